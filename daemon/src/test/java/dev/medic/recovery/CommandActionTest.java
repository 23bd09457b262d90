package dev.medic.recovery;

import static dev.medic.testing.Scripts.list;
import static dev.medic.testing.Scripts.quote;
import static org.assertj.core.api.Assertions.assertThat;

import dev.medic.config.ConfigProblem;
import dev.medic.config.Settings;
import dev.medic.testing.RecordedProcesses;
import dev.medic.testing.Scripts;
import dev.medic.testing.TempOutput;
import dev.medic.testing.TestSettings;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

@ExtendWith(VertxExtension.class)
@Timeout(value = 15, timeUnit = TimeUnit.SECONDS)
class CommandActionTest {

  private static final Duration GENEROUS = Duration.ofSeconds(5);

  @TempDir Path tmp;

  private RecordedProcesses recorded;

  @AfterEach
  void killLeftovers() throws IOException {
    if (recorded != null) {
      recorded.killSurvivors();
    }
  }

  // ---- exit status and output -----------------------------------------------------------------

  @Test
  void exitZeroIsSuccessAndTheOutputIsKept(Vertx vertx, VertxTestContext test) throws Exception {
    Path flush = script("flush.sh", "echo 'flushed 3 keys'\necho 'a warning' >&2\necho done\n");
    action(vertx, "command = " + list(flush.toString())).run("cache")
        .onComplete(test.succeeding(o -> test.verify(() -> {
          assertThat(o.success()).isTrue();
          assertThat(o.message()).isEqualTo("exit status 0"); // the output is a detail, never the headline
          // stderr is interleaved with stdout, as a terminal would show it
          assertThat(o.output()).isEqualTo("flushed 3 keys\na warning\ndone\n");
          test.completeNow();
        })));
  }

  @Test
  void aNonZeroExitIsAFailureWithItsOutputApart(Vertx vertx, VertxTestContext test) throws Exception {
    Path fails = script("fails.sh", "echo\necho 'error: redis refused the connection' >&2\necho 'more detail'\nexit 3\n");
    Path silent = script("silent.sh", "exit 1\n");
    Path killed = script("killed.sh", "echo 'about to die'\nkill -9 $$\n");
    Future.all(
            action(vertx, "command = " + list(fails.toString())).run("cache"),
            action(vertx, "command = " + list(silent.toString())).run("cache"),
            action(vertx, "command = " + list(killed.toString())).run(null))
        .onComplete(test.succeeding(all -> test.verify(() -> {
          ActionOutcome fail = all.resultAt(0);
          ActionOutcome quiet = all.resultAt(1);
          ActionOutcome nine = all.resultAt(2);
          assertThat(fail.success()).isFalse();
          assertThat(fail.message()).isEqualTo("exit status 3");
          assertThat(fail.output()).contains("error: redis refused the connection", "more detail");
          assertThat(quiet.success()).isFalse();
          assertThat(quiet.message()).isEqualTo("exit status 1");
          assertThat(nine.success()).isFalse();
          assertThat(nine.message()).isEqualTo("exit status 137 (killed by signal 9?)");
          assertThat(nine.output()).isEqualTo("about to die\n");
          test.completeNow();
        })));
  }

  @Test
  void outputIsTruncated(Vertx vertx, VertxTestContext test) throws Exception {
    Path chatty = script("chatty.sh", """
        i=0
        while [ $i -lt 2000 ]; do echo "line $i: the quick brown fox jumps over the lazy dog"; i=$((i+1)); done
        exit 1
        """);
    action(vertx, "command = " + list(chatty.toString())).run("x")
        .onComplete(test.succeeding(o -> test.verify(() -> {
          assertThat(o.message()).isEqualTo("exit status 1; output exceeded 16 KiB, the rest was discarded");
          assertThat(o.output()).startsWith("line 0: ").endsWith("\n[output truncated after 16 KiB]")
              .doesNotContain("line 1999");
          assertThat(o.output().length()).isLessThanOrEqualTo(16 * 1024 + 40);
          test.completeNow();
        })));
  }

  // ---- how the program is run -----------------------------------------------------------------

  @Test
  void argumentsArriveLiterallyWithoutAShell(Vertx vertx, VertxTestContext test) throws Exception {
    Path args = tmp.resolve("args");
    Path injected = tmp.resolve("injected");
    Path record = script("args.sh", "for a in \"$@\"; do printf '%s\\n' \"$a\"; done > " + args + "\necho \"got $#\"\n");
    List<String> given = List.of("two words", "$HOME", "x; touch " + injected, "`id`", "*", "'quoted'", "a|b", "$(id)");
    List<String> command = new ArrayList<>();
    command.add(record.toString());
    command.addAll(given);
    action(vertx, "command = " + list(command)).run("x")
        .onComplete(test.succeeding(o -> test.verify(() -> {
          assertThat(o.message()).isEqualTo("exit status 0");
          assertThat(o.output()).isEqualTo("got 8\n");
          assertThat(Files.readAllLines(args)).containsExactlyElementsOf(given);
          assertThat(injected).doesNotExist();
          test.completeNow();
        })));
  }

  @Test
  void withAnEmptyAllowListTheProgramSeesOnlyEnv(Vertx vertx, VertxTestContext test) throws Exception {
    assertThat(System.getenv("HOME")).as("this test needs HOME in the test JVM's environment").isNotNull();
    String hocon = "command = [\"/usr/bin/env\"]\nenv-allow = []\nenv { MEDIC_TEST_SECRET = \"s3cret value\" }";
    action(vertx, hocon).run("x").onComplete(test.succeeding(o -> test.verify(() -> {
      assertThat(o.success()).isTrue();
      assertThat(o.output()).isEqualTo("MEDIC_TEST_SECRET=s3cret value\n");
      test.completeNow();
    })));
  }

  @Test
  void byDefaultOnlyTheSafeVariablesOfMedicArePassed(Vertx vertx, VertxTestContext test) throws Exception {
    Map<String, String> medic = Map.of(
        "PATH", "/usr/bin:/bin", "HOME", "/var/lib/medic", "LANG", "C.UTF-8",
        "MEDIC_TOKEN", "t0ken", "DATABASE_URL", "postgresql://u:pw@db/app", "TERM", "xterm");
    Future.all(
            action(vertx, new CommandActionType(medic), "command = [\"/usr/bin/env\"]").run("x"),
            action(vertx, new CommandActionType(medic),
                "command = [\"/usr/bin/env\"]\nenv-allow = [TERM, NOT_SET]\nenv { LANG = C }").run("x"))
        .onComplete(test.succeeding(all -> test.verify(() -> {
          ActionOutcome byDefault = all.resultAt(0);
          ActionOutcome allowed = all.resultAt(1);
          assertThat(byDefault.output().lines().sorted())
              .containsExactly("HOME=/var/lib/medic", "LANG=C.UTF-8", "PATH=/usr/bin:/bin");
          assertThat(allowed.output().lines().sorted()).containsExactly("LANG=C", "TERM=xterm");
          test.completeNow();
        })));
  }

  @Test
  void theRealEnvironmentIsFilteredToo(Vertx vertx, VertxTestContext test) throws Exception {
    // Whatever the test JVM runs with, the program sees no more than the default allow-list.
    action(vertx, "command = [\"/usr/bin/env\"]").run("x").onComplete(test.succeeding(o -> test.verify(() -> {
      List<String> names = o.output().lines().map(l -> l.substring(0, l.indexOf('='))).toList();
      assertThat(names).isSubsetOf(CommandActionType.DEFAULT_ENV_ALLOW);
      assertThat(names).contains("PATH", "HOME");
      test.completeNow();
    })));
  }

  @Test
  void workdirIsWhereTheProgramRuns(Vertx vertx, VertxTestContext test) throws Exception {
    Path dir = Files.createDirectory(tmp.resolve("work"));
    Scripts.write(dir.resolve("where.sh"), "pwd\n");
    action(vertx, "command = [\"./where.sh\"]\nworkdir = " + quote(dir.toString())).run("x")
        .onComplete(test.succeeding(o -> test.verify(() -> {
          assertThat(o.output()).isEqualTo(dir.toRealPath() + "\n");
          test.completeNow();
        })));
  }

  @Test
  void aProgramThatCannotStartIsAFailedOutcome(Vertx vertx, VertxTestContext test) throws Exception {
    Path missing = tmp.resolve("no-such-program");
    Future.all(
            action(vertx, "command = " + list(missing.toString())).run("x"),
            action(vertx, "command = [medic-no-such-program]\nenv { PATH = " + quote(tmp.toString()) + " }").run("x"))
        .onComplete(test.succeeding(all -> test.verify(() -> {
          ActionOutcome absent = all.resultAt(0);
          ActionOutcome notFound = all.resultAt(1);
          assertThat(absent.success()).isFalse();
          assertThat(absent.message()).isEqualTo(missing + " does not exist");
          assertThat(notFound.success()).isFalse();
          assertThat(notFound.message()).isEqualTo("command not found: medic-no-such-program (searched PATH " + tmp + ")");
          test.completeNow();
        })));
  }

  @Test
  @Timeout(value = 20, timeUnit = TimeUnit.SECONDS)
  void aTimeoutKillsTheWholeProcessTree(Vertx vertx, VertxTestContext test) throws Exception {
    recorded = new RecordedProcesses(tmp.resolve("pids"));
    String pids = recorded.file().toString();
    Path hang = script("hang.sh", """
        echo $$ >> PIDS
        sleep 300 &
        echo $! >> PIDS
        # a child with a child of its own
        sh -c 'sleep 300 & echo $! >> PIDS; wait' &
        echo $! >> PIDS
        # an orphan: its parent exits at once, so it is no longer a descendant of this script
        ( sleep 300 & echo $! >> PIDS )
        echo "started everything"
        wait
        """.replace("PIDS", pids));
    Action action = action(vertx, new CommandActionType(), "command = " + list(hang.toString()), Duration.ofSeconds(1));
    long started = System.nanoTime();
    action.run("x")
        .compose(o -> {
          test.verify(() -> {
            assertThat(o.success()).isFalse();
            assertThat(o.message()).isEqualTo("timed out after 1s (process tree killed)");
            assertThat(o.output()).isEqualTo("started everything\n");
            assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(5));
            assertThat(recorded.pids()).as("script, a sleep, a shell and its sleep, an orphaned sleep").hasSize(5);
          });
          return recorded.gone(vertx, Duration.ofSeconds(3));
        })
        .onComplete(test.succeeding(gone -> test.verify(() -> {
          assertThat(recorded.survivors()).as("processes of the timed-out tree still running").isEmpty();
          test.completeNow();
        })));
  }

  // ---- programs that flood output or leave children --------------------------------------------

  @Test
  @Timeout(value = 20, timeUnit = TimeUnit.SECONDS)
  void aProgramThatFloodsOutputWritesNoMoreThanIsReadAndSaysSo(Vertx vertx, VertxTestContext test) throws Exception {
    long heapBefore = TempOutput.heapAfterGc();
    TempOutput files = TempOutput.watch(vertx);
    Action action = action(vertx, new CommandActionType(), "command = " + list("/usr/bin/yes", "x"),
        Duration.ofSeconds(2));
    action.run("x").onComplete(test.succeeding(o -> test.verify(() -> {
      long largest = files.stop();
      // Other JVMs on the machine may write smaller such files: 1 MiB, not 16 KiB + 1.
      assertThat(largest).as("largest medic-process-* file while it ran").isLessThanOrEqualTo(1024 * 1024);
      assertThat(TempOutput.heapAfterGc() - heapBefore).as("heap growth").isLessThan(32L * 1024 * 1024);
      assertThat(o.success()).isFalse();
      assertThat(o.message()).isEqualTo(
          "timed out after 2s (process tree killed); output exceeded 16 KiB, the rest was discarded");
      assertThat(o.output()).startsWith("x\nx\n").endsWith("\n[output truncated after 16 KiB]");
      test.completeNow();
    })));
  }

  @Test
  @Timeout(value = 20, timeUnit = TimeUnit.SECONDS)
  void whatAProgramLeftRunningIsEndedAfterItExits(Vertx vertx, VertxTestContext test) throws Exception {
    recorded = new RecordedProcesses(tmp.resolve("pids"));
    String pids = recorded.file().toString();
    Path leaves = script("leaves.sh", """
        echo $$ >> PIDS
        sleep 300 &
        echo $! >> PIDS
        # a child with a child of its own, that ignores SIGTERM: only SIGKILL ends it
        sh -c 'trap "" TERM; sleep 300 & echo $! >> PIDS; wait' &
        echo $! >> PIDS
        echo "restarted"
        exit 0
        """.replace("PIDS", pids));
    action(vertx, "command = " + list(leaves.toString())).run("x")
        .compose(o -> {
          test.verify(() -> {
            assertThat(o.success()).isTrue();
            assertThat(o.output()).isEqualTo("restarted\n");
            assertThat(recorded.pids()).as("script, a sleep, a shell and its sleep").hasSize(4);
          });
          return recorded.gone(vertx, Duration.ofSeconds(3));
        })
        .onComplete(test.succeeding(gone -> test.verify(() -> {
          assertThat(recorded.survivors()).as("children of a program that exited 0").isEmpty();
          assertThat(TempOutput.groupMembers(recorded.pids().get(0))).as("its process group").isEmpty();
          test.completeNow();
        })));
  }

  /**
   * A restart script that ends in {@code setsid /opt/app/server &}: the server keeps the script's
   * stdout. Killing the sink when the script exits would make the server die of SIGPIPE at its
   * next write; the sink is left to discard what it writes, and the output is still capped.
   */
  @Test
  @Timeout(value = 20, timeUnit = TimeUnit.SECONDS)
  void aDetachedChildIsNotKilledWhenItWritesAfterTheProgramExits(Vertx vertx, VertxTestContext test) throws Exception {
    Path marks = tmp.resolve("marks");
    Path restart = script("restart.sh", """
        setsid sh -c 'echo started >> MARKS; sleep 1; echo still here >> MARKS; echo to-stdout; head -c 2000000 /dev/zero; sleep 1; echo done >> MARKS' &
        # until it has left the group: before that it would be ended with it
        while [ ! -s MARKS ]; do sleep 0.05; done
        echo "restarted"
        exit 0
        """.replace("MARKS", marks.toString()));
    TempOutput files = TempOutput.watch(vertx);
    long started = System.nanoTime();
    action(vertx, "command = " + list(restart.toString())).run("x")
        .compose(o -> {
          test.verify(() -> {
            assertThat(o.success()).isTrue();
            assertThat(o.output()).isEqualTo("restarted\n");
            assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(3));
          });
          return Future.<Void>future(p -> vertx.setPeriodic(0, 50, id -> {
            try {
              if (Files.exists(marks) && Files.readAllLines(marks).size() >= 3
                  || System.nanoTime() - started > Duration.ofSeconds(8).toNanos()) {
                vertx.cancelTimer(id);
                p.complete();
              }
            } catch (IOException e) {
              vertx.cancelTimer(id);
              p.fail(e);
            }
          }));
        })
        .onComplete(test.succeeding(v -> test.verify(() -> {
          long largest = files.stop();
          assertThat(marks).exists();
          assertThat(Files.readAllLines(marks)).as("lines the detached child wrote").containsExactly("started", "still here", "done");
          assertThat(largest).as("largest medic-process-* file").isLessThanOrEqualTo(1024 * 1024);
          test.completeNow();
        })));
  }

  @Test
  @Timeout(value = 20, timeUnit = TimeUnit.SECONDS)
  void closingTheActionEndsTheRunsStillGoing(Vertx vertx, VertxTestContext test) throws Exception {
    recorded = new RecordedProcesses(tmp.resolve("pids"));
    String pids = recorded.file().toString();
    Path slow = script("slow.sh", "echo $$ >> PIDS\nsleep 300 &\necho $! >> PIDS\nwait\n".replace("PIDS", pids));
    Action action = action(vertx, new CommandActionType(), "command = " + list(slow.toString()), Duration.ofSeconds(60));
    Future<ActionOutcome> run = action.run("x");
    Future<Void> started = Future.future(p -> vertx.setPeriodic(0, 50, id -> {
      try {
        if (Files.exists(recorded.file()) && recorded.pids().size() == 2) {
          vertx.cancelTimer(id);
          p.complete();
        }
      } catch (IOException e) {
        vertx.cancelTimer(id);
        p.fail(e);
      }
    }));
    started.compose(s -> action.close())
        .compose(closed -> run)
        .compose(o -> {
          test.verify(() -> assertThat(o.message()).isEqualTo("exit status 137 (killed by signal 9?)"));
          return recorded.gone(vertx, Duration.ofSeconds(3));
        })
        .onComplete(test.succeeding(gone -> test.verify(() -> {
          assertThat(recorded.survivors()).as("processes of a run going on at close").isEmpty();
          test.completeNow();
        })));
  }

  @Test
  @Timeout(value = 30, timeUnit = TimeUnit.SECONDS)
  void fiftyRunsLeaveNoDescriptorBehind(Vertx vertx, VertxTestContext test) throws Exception {
    Path ok = script("ok.sh", "echo done\necho 'a note' >&2\n");
    Action action = action(vertx, "command = " + list(ok.toString()));
    long before = TempOutput.openDescriptors();
    Future<ActionOutcome> runs = Future.succeededFuture();
    for (int i = 0; i < 50; i++) {
      runs = runs.compose(o -> action.run("x"));
    }
    runs.onComplete(test.succeeding(o -> test.verify(() -> {
      assertThat(o.success()).isTrue();
      assertThat(TempOutput.openDescriptors() - before).as("descriptors added by 50 runs").isLessThan(10);
      test.completeNow();
    })));
  }

  @Test
  void creatingAnActionStartsNothing(Vertx vertx, VertxTestContext test) throws Exception {
    Path marker = tmp.resolve("ran");
    Path touch = script("touch.sh", "touch " + marker + "\n");
    Action action = action(vertx, "command = " + list(touch.toString()));
    vertx.timer(300, TimeUnit.MILLISECONDS)
        .compose(v -> {
          test.verify(() -> assertThat(marker).as("created by merely creating the action").doesNotExist());
          return action.run("x");
        })
        .onComplete(test.succeeding(o -> test.verify(() -> {
          assertThat(marker).exists();
          test.completeNow();
        })));
  }

  @Test
  void describeShowsTheArgumentsQuotedAndNoCredentials(Vertx vertx) throws Exception {
    Action action = action(vertx, "command = [\"/usr/bin/curl\", \"-d\", \"a b\", \"https://u:pw@example.org/x\"]\n"
        + "env { TOKEN = secret }");
    assertThat(action.describe()).isEqualTo("/usr/bin/curl -d 'a b' 'https://u:****@example.org/x'");
  }

  // ---- configuration --------------------------------------------------------------------------

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', quoteCharacter = '\'', textBlock = """
      env-allow = [PATH]                           | test.conf:1: medic.actions.test.command: missing (a value is required: the argument vector, e.g. ["/usr/local/bin/flush-cache", "--all"])
      command = []                                 | test.conf:1: medic.actions.test.command: is empty (expected the program and its arguments
      command = "/usr/bin/flush --all"             | test.conf:1: medic.actions.test.command: is not a list (expected the argument vector, run without a shell
      command = ["systemctl restart app; rm -f /run/app.pid"] | test.conf:1: medic.actions.test.command: "systemctl restart app; rm -f /run/app.pid" is a shell command line, run as the name of one program (no shell reads ;
      command = ["systemctl restart app"]          | test.conf:1: medic.actions.test.command: "systemctl restart app" is one string with spaces, run as the name of one program (no shell splits it; expected each word as its own string: command = ["systemctl", "restart", "app"])
      command = ["/usr/bin/flush > /tmp/out"]      | test.conf:1: medic.actions.test.command: "/usr/bin/flush > /tmp/out" is a shell command line
      command = ["~/bin/flush"]                    | test.conf:1: medic.actions.test.command: "~/bin/flush" is a shell command line
      command = ["/usr/bin/curl", "-d", "a b; c"]  | 
      command = [""]                               | test.conf:1: medic.actions.test.command: starts with an empty program name
      command = ["/bin/true"], comand = ["x"]      | test.conf:1: medic.actions.test.comand: unknown key (did you mean "command"?)
      command = ["/bin/true"], workdir = "tmp"     | test.conf:1: medic.actions.test.workdir: "tmp" is not an absolute path
      command = ["/bin/true"], env { "A=B" = x }   | test.conf:1: medic.actions.test.env: "A=B" is not an environment variable name
      command = ["/bin/true"], env-allow = ["A=B"] | test.conf:1: medic.actions.test.env-allow: "A=B" is not an environment variable name
      command = ["/bin/true"], env-allow = PATH    | 
      command = ["/bin/true"], env-allow = {a = 1} | test.conf:1: medic.actions.test.env-allow: is an object (expected a list of strings)
      """)
  void configurationIsValidated(String hocon, String problem, Vertx vertx) {
    Settings settings = TestSettings.action(hocon);
    new CommandActionType().create(settings, new ActionContext(vertx, "test", GENEROUS));
    settings.reportUnknownKeys();

    if (problem == null) {
      assertThat(settings.problems().sorted()).isEmpty();
    } else {
      assertThat(settings.problems().sorted()).singleElement().extracting(ConfigProblem::toString)
          .asString().startsWith(problem);
    }
  }

  @Test
  void aProgramWhoseFileNameHasASpaceIsAProgram(Vertx vertx) throws IOException {
    Path program = Files.writeString(tmp.resolve("flush cache"), "#!/bin/sh\n");
    Settings settings = TestSettings.action("command = [\"" + program + "\", \"--all\"]");
    new CommandActionType().create(settings, new ActionContext(vertx, "test", GENEROUS));
    settings.reportUnknownKeys();

    assertThat(settings.problems().sorted()).isEmpty();
  }

  @Test
  void isFoundByItsTypeName() {
    assertThat(ActionTypes.discover().find("command")).get().isInstanceOf(CommandActionType.class);
  }

  // ---- helpers --------------------------------------------------------------------------------

  private Path script(String name, String body) throws IOException {
    return Scripts.write(tmp.resolve(name), body);
  }

  private static Action action(Vertx vertx, String hocon) throws Exception {
    return action(vertx, new CommandActionType(), hocon, GENEROUS);
  }

  private static Action action(Vertx vertx, CommandActionType type, String hocon) throws Exception {
    return action(vertx, type, hocon, GENEROUS);
  }

  private static Action action(Vertx vertx, CommandActionType type, String hocon, Duration timeout) throws Exception {
    Settings settings = TestSettings.action(hocon);
    Action action = type.create(settings, new ActionContext(vertx, "test", timeout));
    TestSettings.assertValid(settings);
    return action;
  }
}
