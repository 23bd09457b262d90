package dev.medic.recovery;

import static org.assertj.core.api.Assertions.assertThat;

import dev.medic.Daemon;
import dev.medic.config.ConfigLoader;
import dev.medic.config.MedicConfig;
import dev.medic.metrics.MedicMetrics;
import dev.medic.probe.ProbeTypes;
import dev.medic.probe.Status;
import dev.medic.testing.Await;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code type = sequence} inside a whole daemon, with real processes: a command check that is
 * critical until a file exists, and step scripts that write down that they ran (one of them makes
 * the file). Also the headline of a plain action's attempt: what medic concluded, with what the
 * script printed as the separate output.
 */
class SequenceRecoveryTest {

  @TempDir
  Path dir;

  private Vertx vertx;
  private Daemon daemon;

  @AfterEach
  void stop() {
    if (daemon != null) {
      Await.join(daemon.stop());
    }
    if (vertx != null) {
      Await.join(vertx.close());
    }
  }

  /** An executable script under the test's directory. */
  private String script(String name, String body) throws Exception {
    Path p = dir.resolve(name);
    Files.writeString(p, "#!/bin/sh\n" + body + "\n", StandardCharsets.UTF_8);
    Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
    return p.toString();
  }

  private void start(String onCritical, String actions) throws Exception {
    vertx = Vertx.vertx();
    Path fixed = dir.resolve("fixed");
    MedicConfig cfg = new ConfigLoader(ProbeTypes.discover(), ActionTypes.discover(), vertx).loadString("""
        medic {
          http { port = 0, token = "test-token-123" }
          journal.dir = "%s"
          startup-spread = 0s
          fall = 1
          rise = 1
          checks {
            payments {
              type = command
              command = ["/bin/sh", "-c", "test -e '%s' || { echo 'payments failing'; exit 2; }"]
              interval = 1s
              timeout = 800ms
              on-critical = %s
            }
          }
          actions { %s }
        }
        """.formatted(dir.resolve("journal"), fixed, onCritical, actions), "sequence-test.conf");
    daemon = Await.join(Daemon.start(vertx, cfg, new MedicMetrics(MedicMetrics.newRegistry())));
  }

  private List<JsonObject> journal(String kind) throws Exception {
    return Journal.read(dir.resolve("journal")).stream().filter(r -> kind.equals(r.getString("kind"))).toList();
  }

  private void awaitAttempts(int n) throws Exception {
    Await.until(n + " attempt(s) journaled", 15_000, () -> {
      try {
        return journal("attempt").size() >= n;
      } catch (Exception e) {
        return false;
      }
    });
  }

  private List<String> ran() throws Exception {
    Path log = dir.resolve("ran");
    return Files.exists(log) ? Files.readAllLines(log) : List.of();
  }

  @Test
  void aFirstStepThatDoesNotFixTheCheckIsFollowedByTheNextAsOneVerifiedAttempt() throws Exception {
    String flush = script("flush.sh", "echo flush >> '" + dir.resolve("ran") + "'\necho 'curl: (7) Failed to connect'");
    String restart = script("restart.sh", "echo restart >> '" + dir.resolve("ran") + "'\ntouch '"
        + dir.resolve("fixed") + "'");
    start("[flush-then-restart]", """
        flush-redis { type = command, command = ["%s"] }
        restart-app { type = command, command = ["%s"] }
        flush-then-restart { type = sequence, steps = [flush-redis, restart-app], grace = 100ms, max-attempts = 1 }
        """.formatted(flush, restart));
    awaitAttempts(1);
    Await.until("payments ok", 10_000, () -> daemon.live().find("payments").orElseThrow().state().status() == Status.OK);

    assertThat(ran()).containsExactly("flush", "restart");
    List<JsonObject> attempts = journal("attempt");
    assertThat(attempts).hasSize(1);
    JsonObject attempt = attempts.get(0);
    assertThat(attempt.getString("action")).isEqualTo("flush-then-restart");
    assertThat(attempt.getString("outcome")).isEqualTo("success");
    assertThat(attempt.getString("message"))
        .startsWith("flush-then-restart succeeded: 2 steps in ")
        .contains("flush-redis: exit status 0 in ", "restart-app: exit status 0 in ")
        .endsWith("; payments ok after 100ms")
        .doesNotContain("curl");
    assertThat(attempt.getString("output")).contains("== flush-redis ==", "curl: (7) Failed to connect");
    assertThat(journal("attempt-started")).hasSize(1);

    List<JsonObject> steps = journal("step");
    assertThat(steps).extracting(s -> s.getString("step")).containsExactly("flush-redis", "restart-app");
    assertThat(steps).extracting(s -> s.getString("outcome")).containsExactly("success", "success");
    assertThat(steps).allSatisfy(s -> {
      assertThat(s.getString("action")).isEqualTo("flush-then-restart");
      assertThat(s.getString("check")).isEqualTo("payments");
      assertThat(s.getInteger("attempt")).isEqualTo(1);
      assertThat(s.getString("message")).startsWith("exit status 0 in ");
    });
    assertThat(steps.get(0).getString("output")).contains("curl: (7)");

    // /status: the sequence's budget with its steps, and the recent attempt with its step outcomes.
    JsonArray budgets = daemon.recovery().view("payments").getJsonArray("actions");
    assertThat(budgets).hasSize(1);
    assertThat(budgets.getJsonObject(0).getString("action")).isEqualTo("flush-then-restart");
    assertThat(budgets.getJsonObject(0).getJsonArray("steps")).containsExactly("flush-redis", "restart-app");
    assertThat(budgets.getJsonObject(0).getInteger("used")).isEqualTo(1);
    JsonObject recent = daemon.recovery().recent().get(0);
    assertThat(recent.getJsonArray("steps").stream().map(o -> ((JsonObject) o).getString("step")))
        .containsExactly("flush-redis", "restart-app");
  }

  @Test
  void aFailedStepEndsTheSequenceAndTheAttemptFailsNamingIt() throws Exception {
    String flush = script("flush.sh", "echo flush >> '" + dir.resolve("ran") + "'\necho 'ERR no such key' >&2\nexit 3");
    String restart = script("restart.sh", "echo restart >> '" + dir.resolve("ran") + "'\ntouch '"
        + dir.resolve("fixed") + "'");
    start("[flush-then-restart]", """
        flush-redis { type = command, command = ["%s"] }
        restart-app { type = command, command = ["%s"] }
        flush-then-restart { type = sequence, steps = [flush-redis, restart-app], grace = 100ms, max-attempts = 1 }
        """.formatted(flush, restart));
    awaitAttempts(1);

    // The attempt record is written after the sequence ended: by then the restart would have run.
    assertThat(ran()).containsExactly("flush");
    JsonObject attempt = journal("attempt").get(0);
    assertThat(attempt.getString("outcome")).isEqualTo("failure");
    assertThat(attempt.getString("message")).isEqualTo(
        "flush-then-restart failed: step flush-redis (1 of 2) failed: exit status 3 in "
            + attempt.getString("message").replaceAll(".* in ([0-9.]+s);.*", "$1") + "; not run: restart-app");
    assertThat(attempt.getString("output")).contains("ERR no such key");
    List<JsonObject> steps = journal("step");
    assertThat(steps).hasSize(1);
    assertThat(steps.get(0).getString("step")).isEqualTo("flush-redis");
    assertThat(steps.get(0).getString("outcome")).isEqualTo("failure");
    assertThat(steps.get(0).getString("message")).startsWith("exit status 3 in ");
    JsonArray recorded = attempt.getJsonArray("steps");
    assertThat(recorded.getJsonObject(1).getString("step")).isEqualTo("restart-app");
    assertThat(recorded.getJsonObject(1).getString("outcome")).isEqualTo("not-run");
    assertThat(daemon.live().find("payments").orElseThrow().state().status()).isEqualTo(Status.CRITICAL);
  }

  @Test
  void aSequenceThatRunsButDoesNotFixIsVerifiedOnceAfterItsLastStep() throws Exception {
    String flush = script("flush.sh", "echo flush >> '" + dir.resolve("ran") + "'");
    String restart = script("restart.sh", "echo restart >> '" + dir.resolve("ran") + "'");
    start("[flush-then-restart]", """
        flush-redis { type = command, command = ["%s"] }
        restart-app { type = command, command = ["%s"] }
        flush-then-restart { type = sequence, steps = [flush-redis, restart-app], grace = 100ms, max-attempts = 1 }
        """.formatted(flush, restart));
    awaitAttempts(1);
    assertThat(ran()).containsExactly("flush", "restart");
    JsonObject attempt = journal("attempt").get(0);
    assertThat(attempt.getString("outcome")).isEqualTo("failure");
    assertThat(attempt.getString("message"))
        .startsWith("flush-then-restart ran, but payments still critical after grace 100ms (payments failing): 2 steps in ");
    assertThat(journal("step")).extracting(s -> s.getString("outcome")).containsExactly("success", "success");
  }

  @Test
  void aSuccessfulAttemptSaysWhatMedicConcludedAndKeepsTheOutputApart() throws Exception {
    String restart = script("restart.sh", "echo 'curl: (7) Failed to connect to 127.0.0.1 port 9'\ntouch '"
        + dir.resolve("fixed") + "'");
    start("[restart-app]", """
        restart-app { type = command, command = ["%s"], grace = 100ms }
        """.formatted(restart));
    awaitAttempts(1);
    JsonObject attempt = journal("attempt").get(0);
    assertThat(attempt.getString("outcome")).isEqualTo("success");
    assertThat(attempt.getString("message"))
        .matches("restart-app succeeded: exit status 0 in [0-9]+\\.[0-9]s; payments ok after 100ms");
    assertThat(attempt.getString("output")).startsWith("curl: (7) Failed to connect");
    assertThat(daemon.recovery().recent().get(0).getString("output")).startsWith("curl: (7)");
  }

  @Test
  void aDrySequenceRunsNoStepAndJournalsWhatEachWouldDo() throws Exception {
    String flush = script("flush.sh", "echo flush >> '" + dir.resolve("ran") + "'");
    String restart = script("restart.sh", "echo restart >> '" + dir.resolve("ran") + "'");
    start("[flush-then-restart]", """
        flush-redis { type = command, command = ["%s"] }
        restart-app { type = command, command = ["%s"] }
        flush-then-restart { type = sequence, steps = [flush-redis, restart-app], dry-run = true, max-attempts = 1 }
        """.formatted(flush, restart));
    awaitAttempts(1);
    assertThat(ran()).isEmpty();
    JsonObject attempt = journal("attempt").get(0);
    assertThat(attempt.getString("outcome")).isEqualTo("dry-run");
    assertThat(attempt.getString("message")).startsWith("flush-then-restart dry run: would run 2 steps (flush-redis:"
        + " dry run: would run " + flush);
    assertThat(journal("step")).extracting(s -> s.getString("outcome")).containsExactly("dry-run", "dry-run");
  }
}
