package dev.medic.recovery;

import static dev.medic.testing.Scripts.quote;
import static org.assertj.core.api.Assertions.assertThat;

import dev.medic.config.ConfigProblem;
import dev.medic.config.Settings;
import dev.medic.testing.RecordedProcesses;
import dev.medic.testing.Scripts;
import dev.medic.testing.TestSettings;
import io.vertx.core.Vertx;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Against a fake systemctl: a script that records each argument vector it is called with, one
 * line of {@code [arg]} items per call, and exits as the test chose.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 15, timeUnit = TimeUnit.SECONDS)
class SystemdActionTest {

  private static final Duration GENEROUS = Duration.ofSeconds(5);

  @TempDir Path tmp;

  private Path calls;
  private RecordedProcesses recorded;

  @AfterEach
  void killLeftovers() throws IOException {
    if (recorded != null) {
      recorded.killSurvivors();
    }
  }

  @ParameterizedTest(name = "{0}, user = {1}")
  @CsvSource({
      "restart, false, restarted", "reload, false, reloaded", "start, false, started",
      "try-restart, false, restarted if it was running",
      "restart, true, restarted", "reload, true, reloaded", "start, true, started"})
  void runsTheOperationThenIsActive(String operation, boolean user, String done, Vertx vertx, VertxTestContext test)
      throws Exception {
    Path systemctl = fakeSystemctl(0, "", 0, "active");
    String hocon = "unit = \"app.service\"\noperation = " + operation + "\nuser = " + user
        + "\nsystemctl = " + quote(systemctl.toString());
    String u = user ? "[--user]" : "";
    action(vertx, hocon).run("app").onComplete(test.succeeding(o -> test.verify(() -> {
      assertThat(calls()).containsExactly(
          "[" + systemctl + "]" + u + "[" + operation + "][app.service]",
          "[" + systemctl + "]" + u + "[is-active][app.service]");
      assertThat(o.success()).isTrue();
      assertThat(o.message()).isEqualTo("app.service " + done + ", active");
      assertThat(o.output()).contains(operation + " app.service\n", "is-active app.service\nactive\n");
      test.completeNow();
    })));
  }

  @Test
  void restartIsTheDefaultAndSystemctlIsFoundOnPath(Vertx vertx, VertxTestContext test) throws Exception {
    Path systemctl = fakeSystemctl(0, "", 0, "active");
    // systemctl gets medic's PATH: put the fake first in a copy of this JVM's PATH.
    SystemdActionType type = new SystemdActionType(java.util.Map.of("PATH", systemctl.getParent() + ":/usr/bin:/bin"));
    Settings settings = TestSettings.action("unit = \"getty@tty1.service\"");
    Action action = type.create(settings, new ActionContext(vertx, "test", GENEROUS));
    TestSettings.assertValid(settings);
    assertThat(action.describe())
        .isEqualTo("systemctl restart getty@tty1.service && systemctl is-active getty@tty1.service");
    action.run("tty").onComplete(test.succeeding(o -> test.verify(() -> {
      assertThat(calls()).containsExactly(
          "[" + systemctl + "][restart][getty@tty1.service]", "[" + systemctl + "][is-active][getty@tty1.service]");
      assertThat(o.success()).isTrue();
      test.completeNow();
    })));
  }

  @Test
  void aFailedOperationIsAFailureNamingTheUnitAndIsActiveIsNotRun(Vertx vertx, VertxTestContext test)
      throws Exception {
    Path systemctl = fakeSystemctl(5, "Failed to restart app.service: Unit app.service not found.", 0, "active");
    action(vertx, "unit = app.service\nsystemctl = " + quote(systemctl.toString())).run("app")
        .onComplete(test.succeeding(o -> test.verify(() -> {
          assertThat(o.success()).isFalse();
          assertThat(o.message()).isEqualTo(systemctl + " restart app.service failed: exit status 5");
          assertThat(o.output()).contains("Failed to restart app.service: Unit app.service not found.");
          assertThat(calls()).hasSize(1);
          test.completeNow();
        })));
  }

  @Test
  void aUnitThatIsNotActiveAfterwardsIsAFailure(Vertx vertx, VertxTestContext test) throws Exception {
    Path systemctl = fakeSystemctl(0, "", 3, "failed");
    action(vertx, "unit = app.service\noperation = reload\nsystemctl = " + quote(systemctl.toString())).run("app")
        .onComplete(test.succeeding(o -> test.verify(() -> {
          assertThat(o.success()).isFalse();
          assertThat(o.message()).isEqualTo("app.service is not active after reload: exit status 3");
          assertThat(o.output()).contains("failed");
          assertThat(calls()).hasSize(2);
          test.completeNow();
        })));
  }

  @Test
  void aMissingSystemctlIsAFailedOutcome(Vertx vertx, VertxTestContext test) throws Exception {
    Path missing = tmp.resolve("bin/systemctl");
    action(vertx, "unit = app.service\nsystemctl = " + quote(missing.toString())).run("app")
        .onComplete(test.succeeding(o -> test.verify(() -> {
          assertThat(o.success()).isFalse();
          assertThat(o.message()).isEqualTo(missing + " restart app.service failed: " + missing + " does not exist");
          test.completeNow();
        })));
  }

  @Test
  void aHangingSystemctlIsKilledAtTheTimeout(Vertx vertx, VertxTestContext test) throws Exception {
    recorded = new RecordedProcesses(tmp.resolve("pids"));
    Path systemctl = Scripts.write(tmp.resolve("systemctl"),
        "echo $$ >> " + recorded.file() + "\nsleep 300 &\necho $! >> " + recorded.file() + "\nwait\n");
    Settings settings = TestSettings.action("unit = app.service\nsystemctl = " + quote(systemctl.toString()));
    Action action = new SystemdActionType().create(settings, new ActionContext(vertx, "test", Duration.ofSeconds(1)));
    TestSettings.assertValid(settings);
    action.run("app")
        .compose(o -> {
          test.verify(() -> {
            assertThat(o.success()).isFalse();
            assertThat(o.message())
                .isEqualTo(systemctl + " restart app.service failed: timed out after 1s (process tree killed)");
          });
          return recorded.gone(vertx, Duration.ofSeconds(3));
        })
        .onComplete(test.succeeding(v -> test.verify(() -> {
          assertThat(recorded.survivors()).isEmpty();
          test.completeNow();
        })));
  }

  // ---- configuration --------------------------------------------------------------------------

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', quoteCharacter = '\'', textBlock = """
      operation = restart                        | medic.actions.test.unit: missing (a value is required)
      unit = ""                                  | medic.actions.test.unit: is empty (expected a unit name such as "app.service")
      unit = nginx                               | medic.actions.test.unit: "nginx" is not a unit name (expected the full name with its type, e.g. "nginx.service")
      unit = "-H.service"                        | medic.actions.test.unit: "-H.service" is not a unit name
      unit = "app.service; reboot"               | medic.actions.test.unit: "app.service; reboot" is not a unit name
      unit = "app*.service"                      | medic.actions.test.unit: "app*.service" is not a unit name
      unit = app.service, operation = stop       | medic.actions.test.operation: "stop" is not allowed (expected one of: restart, reload, start, try-restart)
      unit = app.service, user = maybe           | medic.actions.test.user: "maybe" is not a boolean
      unit = app.service, systemctl = "bin/sc"   | medic.actions.test.systemctl: "bin/sc" is a relative path
      unit = app.service, unti = x.service       | medic.actions.test.unti: unknown key (did you mean "unit"?)
      """)
  void configurationIsValidated(String hocon, String problem, Vertx vertx) {
    Settings settings = TestSettings.action(hocon);
    new SystemdActionType().create(settings, new ActionContext(vertx, "test", GENEROUS));
    settings.reportUnknownKeys();

    assertThat(settings.problems().sorted()).singleElement().extracting(ConfigProblem::toString)
        .asString().startsWith("test.conf:1: " + problem);
  }

  @Test
  void isFoundByItsTypeName() {
    assertThat(ActionTypes.discover().find("systemd")).get().isInstanceOf(SystemdActionType.class);
  }

  // ---- helpers --------------------------------------------------------------------------------

  /**
   * A systemctl that appends {@code [argv0][arg]...} to {@link #calls}, and answers the operation
   * with {@code opExit} (and {@code opMessage} on stderr) and is-active with {@code activeExit}
   * and {@code activeState}.
   */
  private Path fakeSystemctl(int opExit, String opMessage, int activeExit, String activeState) throws IOException {
    calls = tmp.resolve("calls");
    Path script = tmp.resolve("systemctl");
    return Scripts.write(script, """
        printf '[%s]' "$0" "$@" >> CALLS
        echo >> CALLS
        for a in "$@"; do
          if [ "$a" = is-active ]; then echo 'STATE'; exit ACTIVE_EXIT; fi
        done
        if [ -n 'OP_MESSAGE' ]; then echo 'OP_MESSAGE' >&2; fi
        exit OP_EXIT
        """.replace("CALLS", calls.toString()).replace("STATE", activeState)
        .replace("ACTIVE_EXIT", Integer.toString(activeExit)).replace("OP_MESSAGE", opMessage)
        .replace("OP_EXIT", Integer.toString(opExit)));
  }

  private List<String> calls() throws IOException {
    return Files.exists(calls) ? Files.readAllLines(calls) : List.of();
  }

  private static Action action(Vertx vertx, String hocon) throws Exception {
    Settings settings = TestSettings.action(hocon);
    Action action = new SystemdActionType().create(settings, new ActionContext(vertx, "test", GENEROUS));
    TestSettings.assertValid(settings);
    return action;
  }
}
