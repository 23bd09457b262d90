package dev.medic.probe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.typesafe.config.ConfigUtil;
import dev.medic.config.ConfigProblem;
import dev.medic.config.Settings;
import dev.medic.evaluate.NagiosRange;
import dev.medic.testing.TempOutput;
import dev.medic.testing.TestSettings;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

@ExtendWith(VertxExtension.class)
@Timeout(value = 15, timeUnit = TimeUnit.SECONDS)
class CommandProbeTest {

  private static final Duration GENEROUS = Duration.ofSeconds(5);
  private static final double GIB = 1024.0 * 1024 * 1024;

  @TempDir Path tmp;

  /** Processes a test's scripts said they started; any still alive are killed after the test. */
  private Path pids;

  // ---- exit status and output -----------------------------------------------------------------

  @ParameterizedTest(name = "exit {0} → {1}")
  @CsvSource({"0, OK", "1, WARNING", "2, CRITICAL", "3, UNKNOWN"})
  void theExitStatusIsTheStatus(int exit, Status status, Vertx vertx, VertxTestContext test) throws Exception {
    Path plugin = script("plugin.sh", """
        echo "PLUGIN exit $1 | v=$1"
        echo "details that are not the message"
        exit "$1"
        """);
    probe(vertx, list(plugin.toString(), Integer.toString(exit))).run()
        .onComplete(test.succeeding(r -> test.verify(() -> {
          assertThat(r.status()).isEqualTo(status);
          assertThat(r.message()).isEqualTo("PLUGIN exit " + exit);
          assertThat(r.measurements().get("v").value()).isEqualTo(exit);
          test.completeNow();
        })));
  }

  @Test
  void anExitStatusOutsideZeroToThreeIsUnknownAndSaysSo(Vertx vertx, VertxTestContext test) throws Exception {
    Path seven = script("seven.sh", "echo 'confused plugin'\nexit 7\n");
    Path killed = script("killed.sh", "echo 'about to die'\nkill -9 $$\n");
    Path silent = script("silent.sh", "echo 'oops: no such table' >&2\nexit 2\n");
    Future.all(
            probe(vertx, list(seven.toString())).run(),
            probe(vertx, list(killed.toString())).run(),
            probe(vertx, list(silent.toString())).run())
        .onComplete(test.succeeding(all -> test.verify(() -> {
          ProbeResult r7 = all.resultAt(0);
          ProbeResult r9 = all.resultAt(1);
          ProbeResult quiet = all.resultAt(2);
          assertThat(r7.status()).isEqualTo(Status.UNKNOWN);
          assertThat(r7.message()).isEqualTo("exit status 7 (a plugin exits 0 to 3): confused plugin");
          assertThat(r9.status()).isEqualTo(Status.UNKNOWN);
          assertThat(r9.message()).isEqualTo("exit status 137 (killed by signal 9?): about to die");
          assertThat(quiet.status()).isEqualTo(Status.CRITICAL);
          assertThat(quiet.message()).isEqualTo("no output (exit status 2); stderr: oops: no such table");
          test.completeNow();
        })));
  }

  @Test
  void perfdataBecomesMeasurementsInBaseUnitsWithTheirRanges(Vertx vertx, VertxTestContext test) throws Exception {
    Path plugin = script("perf.sh", """
        echo "DISK OK - free space: / 3326 MB (56%) | time=12ms;100;200;0; '/ used'=1.5GB;2:;@0:1;0;10 'it''s'=42c"
        echo "long text with x=1 but no bar"
        echo "long text line 3 | size=2048KB;;;0 pct=81%;80;90 load=0.5;;;;"
        echo "weird=3rpm U=U bad=abc rate=5s;~:10"
        exit 0
        """);
    probe(vertx, list(plugin.toString())).run().onComplete(test.succeeding(r -> test.verify(() -> {
      assertThat(r.status()).isEqualTo(Status.OK);
      assertThat(r.message()).isEqualTo("DISK OK - free space: / 3326 MB (56%)");
      Map<String, Measurement> m = r.measurements();
      // Long text is not perfdata until a later line's "|"; from there on every line is.
      assertThat(m.keySet()).containsExactly(
          "time", "/ used", "it's", "size", "pct", "load", "weird", "rate");

      Measurement time = m.get("time");
      assertThat(time.unit()).isEqualTo(Unit.SECONDS);
      assertThat(time.value()).isCloseTo(0.012, within(1e-12));
      assertThat(time.warning()).contains(new NagiosRange(0, 0.1, false));
      assertThat(time.critical()).contains(new NagiosRange(0, 0.2, false));

      Measurement used = m.get("/ used");
      assertThat(used.unit()).isEqualTo(Unit.BYTES);
      assertThat(used.value()).isEqualTo(1.5 * GIB);
      assertThat(used.warning().orElseThrow().breached(1.9 * GIB)).isTrue();
      assertThat(used.warning().orElseThrow().breached(2.1 * GIB)).isFalse();
      assertThat(used.critical().orElseThrow().breached(0.5 * GIB)).isTrue();

      assertThat(m.get("it's")).isEqualTo(Measurement.count(42));
      assertThat(m.get("size")).isEqualTo(Measurement.bytes(2048 * 1024));

      Measurement pct = m.get("pct");
      assertThat(pct.unit()).isEqualTo(Unit.RATIO);
      assertThat(pct.value()).isCloseTo(0.81, within(1e-12));
      assertThat(pct.warning().orElseThrow().breached(pct.value())).isTrue();
      assertThat(pct.critical().orElseThrow().breached(pct.value())).isFalse();
      assertThat(pct.critical().orElseThrow().describe(Unit.RATIO)).isEqualTo("outside 0%:90%");

      assertThat(m.get("load")).isEqualTo(new Measurement(0.5, Unit.NUMBER));
      assertThat(m.get("weird")).isEqualTo(new Measurement(3, Unit.NUMBER));
      assertThat(m.get("rate").warning()).contains(new NagiosRange(Double.NEGATIVE_INFINITY, 10, false));
      test.completeNow();
    })));
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', quoteCharacter = '"', textBlock = """
      a=1 b=2                          | a, b
      'a b'=1 'c''d'=2                 | a b, c'd
      =5 'open=1 x=2                   |
      a=1;5:1;;; b=2;x;@                | a, b
      dup=1 dup=2                      | dup
      a=1,5 b=.5 c=-2e3 d=+1 e=U f=    | b, c, d
      'a'b=1 c=2                       | c
      """)
  void perfdataThatCannotBeReadIsLeftOut(String perfdata, String labels) {
    List<String> expected = labels == null ? List.of() : Arrays.asList(labels.split(",\\s*"));
    Map<String, Measurement> m = PluginOutput.perfdata(perfdata);

    assertThat(m.keySet()).containsExactlyElementsOf(expected);
    if (m.containsKey("a") && perfdata.contains(";5:1")) {
      // A malformed range is dropped; its value stays.
      assertThat(m.get("a").warning()).isEmpty();
      assertThat(m.get("b").warning()).isEmpty();
      assertThat(m.get("b").critical()).isEmpty();
    }
    if (m.containsKey("dup")) {
      assertThat(m.get("dup").value()).isEqualTo(1);
    }
  }

  @Test
  void outputIsReadOnlyUpToALimitAndTheMessageIsShortened(Vertx vertx, VertxTestContext test) throws Exception {
    Path chatty = script("chatty.sh", """
        echo "OK lots to say | a=1"
        i=0
        while [ $i -lt 3000 ]; do echo "line $i: the quick brown fox jumps over the lazy dog"; i=$((i+1)); done
        echo "late | never=1"
        """);
    Path longLine = script("long.sh", "head -c 5000 /dev/zero | tr '\\0' x\necho\n");
    Future.all(probe(vertx, list(chatty.toString())).run(), probe(vertx, list(longLine.toString())).run())
        .onComplete(test.succeeding(all -> test.verify(() -> {
          ProbeResult r = all.resultAt(0);
          assertThat(r.status()).isEqualTo(Status.OK);
          assertThat(r.message()).isEqualTo("OK lots to say (output exceeded 64 KiB, the rest was discarded)");
          assertThat(r.measurements()).containsOnlyKeys("a");
          ProbeResult shortened = all.resultAt(1);
          assertThat(shortened.message()).hasSize(1024).startsWith("xxxx").endsWith("…");
          test.completeNow();
        })));
  }

  // ---- how the command is run -----------------------------------------------------------------

  @Test
  void argumentsArriveLiterallyWithoutAShell(Vertx vertx, VertxTestContext test) throws Exception {
    Path args = tmp.resolve("args");
    Path injected = tmp.resolve("injected");
    Path plugin = script("args.sh", """
        for a in "$@"; do printf '%s\\n' "$a"; done > "$ARGS_OUT"
        echo "got $# arguments"
        """);
    List<String> given = List.of("two words", "$HOME", "x; touch " + injected, "`id`", "*", "'quoted'", "a|b");
    List<String> command = new ArrayList<>();
    command.add(plugin.toString());
    command.addAll(given);
    String hocon = "command = " + list(command.toArray(String[]::new)) + "\nenv { ARGS_OUT = " + quote(args.toString()) + " }";
    probe(vertx, hocon, GENEROUS).run().onComplete(test.succeeding(r -> test.verify(() -> {
      assertThat(r.status()).isEqualTo(Status.OK);
      assertThat(r.message()).isEqualTo("got 7 arguments");
      assertThat(Files.readAllLines(args)).containsExactlyElementsOf(given);
      assertThat(injected).doesNotExist();
      test.completeNow();
    })));
  }

  @Test
  void envIsAddedToTheInheritedEnvironmentAndItsPathFindsTheProgram(Vertx vertx, VertxTestContext test) throws Exception {
    Path bin = Files.createDirectory(tmp.resolve("bin"));
    script(bin.resolve("check_greeting"), "echo \"$GREETING, HOME is ${HOME:-unset}\"\n");
    String hocon = "command = [check_greeting]\n"
        + "env { GREETING = \"hello world\", PATH = " + quote(bin + ":/usr/bin:/bin") + " }";
    probe(vertx, hocon, GENEROUS).run().onComplete(test.succeeding(r -> test.verify(() -> {
      assertThat(r.status()).isEqualTo(Status.OK);
      assertThat(r.message()).isEqualTo("hello world, HOME is " + System.getenv().getOrDefault("HOME", "unset"));
      test.completeNow();
    })));
  }

  @Test
  void workdirIsWhereTheCommandRunsAndWhereARelativeProgramIsFound(Vertx vertx, VertxTestContext test) throws Exception {
    Path dir = Files.createDirectory(tmp.resolve("work"));
    script(dir.resolve("where.sh"), "pwd\n");
    String hocon = "command = [\"./where.sh\"]\nworkdir = " + quote(dir.toString());
    probe(vertx, hocon, GENEROUS).run().onComplete(test.succeeding(r -> test.verify(() -> {
      assertThat(r.status()).isEqualTo(Status.OK);
      assertThat(r.message()).isEqualTo(dir.toRealPath().toString());
      test.completeNow();
    })));
  }

  @Test
  void aProgramThatCannotBeRunIsUnknownAndNamed(Vertx vertx, VertxTestContext test) throws Exception {
    Path missing = tmp.resolve("no-such-plugin");
    Path notExecutable = Files.writeString(tmp.resolve("plain.txt"), "echo hi\n");
    String noWorkdir = tmp.resolve("gone").toString();
    Future.all(List.of(
            probe(vertx, list(missing.toString())).run(),
            probe(vertx, list(notExecutable.toString())).run(),
            probe(vertx, "command = [medic-no-such-program]\nenv { PATH = " + quote(tmp.toString()) + " }", GENEROUS).run(),
            probe(vertx, "command = [\"/bin/true\"]\nworkdir = " + quote(noWorkdir), GENEROUS).run()))
        .onComplete(test.succeeding(all -> test.verify(() -> {
          List<ProbeResult> r = all.list();
          assertThat(r).extracting(ProbeResult::status).containsOnly(Status.UNKNOWN);
          assertThat(r).extracting(ProbeResult::message).containsExactly(
              missing + " does not exist",
              notExecutable + " is not an executable file",
              "command not found: medic-no-such-program (searched PATH " + tmp + ")",
              "workdir " + noWorkdir + " is not a directory");
          test.completeNow();
        })));
  }

  @Test
  @Timeout(value = 20, timeUnit = TimeUnit.SECONDS)
  void aTimeoutKillsTheWholeProcessTree(Vertx vertx, VertxTestContext test) throws Exception {
    pids = tmp.resolve("pids");
    Path hang = script("hang.sh", """
        echo $$ >> "$PIDS"
        sleep 300 &
        echo $! >> "$PIDS"
        sleep 300 &
        echo $! >> "$PIDS"
        # a child with a child of its own
        sh -c 'sleep 300 & echo $! >> "$PIDS"; wait' &
        echo $! >> "$PIDS"
        # an orphan: its parent exits at once, so it is no longer a descendant of this script
        ( sleep 300 & echo $! >> "$PIDS" )
        echo "started everything"
        wait
        """);
    String hocon = "command = " + list(hang.toString()) + "\nenv { PIDS = " + quote(pids.toString()) + " }";
    Probe probe = probe(vertx, hocon, Duration.ofSeconds(1));
    long started = System.nanoTime();
    probe.run()
        .compose(r -> {
          test.verify(() -> {
            assertThat(r.status()).isEqualTo(Status.CRITICAL);
            assertThat(r.message()).isEqualTo("timed out after 1s");
            assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(5));
            assertThat(recordedPids()).as("script, 2 sleeps, a shell and its sleep, an orphaned sleep").hasSize(6);
          });
          // SIGKILL is sent before the result; the kernel may take a moment to finish them off.
          return eventually(vertx, Duration.ofSeconds(3), () -> survivors().isEmpty());
        })
        .onComplete(test.succeeding(gone -> test.verify(() -> {
          assertThat(survivors()).as("processes of the timed-out tree still running").isEmpty();
          test.completeNow();
        })));
  }

  // ---- plugins that flood output or leave children ---------------------------------------------

  @Test
  @Timeout(value = 20, timeUnit = TimeUnit.SECONDS)
  void aPluginThatFloodsOutputWritesNoMoreThanIsReadAndSaysSo(Vertx vertx, VertxTestContext test) throws Exception {
    long heapBefore = TempOutput.heapAfterGc();
    TempOutput files = TempOutput.watch(vertx);
    Probe probe = probe(vertx, "command = " + list("/usr/bin/yes", "x"), Duration.ofSeconds(2));
    long started = System.nanoTime();
    probe.run().onComplete(test.succeeding(r -> test.verify(() -> {
      long largest = files.stop();
      // Before the cap, yes wrote hundreds of MiB a second into java.io.tmpdir. Other JVMs on the
      // machine may write smaller such files, hence the bound of 1 MiB rather than 64 KiB + 1.
      assertThat(largest).as("largest medic-process-* file while it ran").isLessThanOrEqualTo(1024 * 1024);
      assertThat(TempOutput.heapAfterGc() - heapBefore).as("heap growth").isLessThan(32L * 1024 * 1024);
      assertThat(r.status()).isEqualTo(Status.CRITICAL);
      assertThat(r.message()).isEqualTo("timed out after 2s (output exceeded 64 KiB, the rest was discarded)");
      assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(5));
      test.completeNow();
    })));
  }

  @Test
  @Timeout(value = 20, timeUnit = TimeUnit.SECONDS)
  void whatAPluginLeftRunningIsEndedAfterItExits(Vertx vertx, VertxTestContext test) throws Exception {
    pids = tmp.resolve("pids");
    Path leaves = script("leaves.sh", """
        echo $$ >> "$PIDS"
        sleep 300 &
        echo $! >> "$PIDS"
        # a child with a child of its own, that ignores SIGTERM: only SIGKILL ends it
        sh -c 'trap "" TERM; sleep 300 & echo $! >> "$PIDS"; wait' &
        echo $! >> "$PIDS"
        echo "OK left two behind"
        exit 0
        """);
    String hocon = "command = " + list(leaves.toString()) + "\nenv { PIDS = " + quote(pids.toString()) + " }";
    probe(vertx, hocon, GENEROUS).run()
        .compose(r -> {
          test.verify(() -> {
            assertThat(r.status()).isEqualTo(Status.OK);
            assertThat(r.message()).isEqualTo("OK left two behind");
            assertThat(recordedPids()).as("script, a sleep, a shell and its sleep").hasSize(4);
          });
          return eventually(vertx, Duration.ofSeconds(3), () -> survivors().isEmpty());
        })
        .onComplete(test.succeeding(gone -> test.verify(() -> {
          assertThat(survivors()).as("children of a plugin that exited 0").isEmpty();
          assertThat(TempOutput.groupMembers(recordedPids().get(0))).as("its process group").isEmpty();
          test.completeNow();
        })));
  }

  /**
   * The documented limit: a child that makes itself a new session leaves the group and the
   * session, so it survives; holding stdout, it cannot hold up the result past the sink's grace.
   */
  @Test
  @Timeout(value = 20, timeUnit = TimeUnit.SECONDS)
  void aChildThatCallsSetsidEscapesButCannotHoldTheResult(Vertx vertx, VertxTestContext test) throws Exception {
    pids = tmp.resolve("pids");
    Path escapes = script("escapes.sh", """
        setsid sh -c 'echo $$ >> "$PIDS"; exec sleep 300' &
        while [ ! -s "$PIDS" ]; do sleep 0.05; done
        echo "OK detached one"
        """);
    String hocon = "command = " + list(escapes.toString()) + "\nenv { PIDS = " + quote(pids.toString()) + " }";
    long started = System.nanoTime();
    probe(vertx, hocon, GENEROUS).run().onComplete(test.succeeding(r -> test.verify(() -> {
      assertThat(r.message()).isEqualTo("OK detached one");
      assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(3));
      assertThat(survivors()).as("the process that left the session").hasSize(1);
      test.completeNow();
    })));
  }

  @Test
  @Timeout(value = 20, timeUnit = TimeUnit.SECONDS)
  void closingTheProbeEndsTheRunsStillGoing(Vertx vertx, VertxTestContext test) throws Exception {
    pids = tmp.resolve("pids");
    Path slow = script("slow.sh", """
        echo $$ >> "$PIDS"
        sleep 300 &
        echo $! >> "$PIDS"
        wait
        """);
    String hocon = "command = " + list(slow.toString()) + "\nenv { PIDS = " + quote(pids.toString()) + " }";
    Probe probe = probe(vertx, hocon, Duration.ofSeconds(60));
    Future<ProbeResult> run = probe.run();
    eventually(vertx, Duration.ofSeconds(3), () -> Files.exists(pids) && recordedPids().size() == 2)
        .compose(started -> probe.close())
        .compose(closed -> run)
        .compose(r -> {
          test.verify(() -> assertThat(r.message()).startsWith("exit status 137 (killed by signal 9?)"));
          return eventually(vertx, Duration.ofSeconds(3), () -> survivors().isEmpty());
        })
        .onComplete(test.succeeding(gone -> test.verify(() -> {
          assertThat(survivors()).as("processes of a run going on at close").isEmpty();
          test.completeNow();
        })));
  }

  @Test
  @Timeout(value = 30, timeUnit = TimeUnit.SECONDS)
  void fiftyRunsLeaveNoDescriptorOrTemporaryFileBehind(Vertx vertx, VertxTestContext test) throws Exception {
    Path plugin = script("plugin.sh", "echo 'OK fine | v=1'\necho 'a note' >&2\n");
    Probe probe = probe(vertx, list(plugin.toString()));
    long before = TempOutput.openDescriptors();
    Future<ProbeResult> runs = Future.succeededFuture();
    for (int i = 0; i < 50; i++) {
      runs = runs.compose(r -> probe.run());
    }
    runs.onComplete(test.succeeding(r -> test.verify(() -> {
      assertThat(r.message()).isEqualTo("OK fine");
      // A few for the JDK's own lazily opened files; a leak would be 50 or 100 more.
      assertThat(TempOutput.openDescriptors() - before).as("descriptors added by 50 runs").isLessThan(10);
      test.completeNow();
    })));
  }

  @Test
  void slowCommandsHoldNoWorkerThreadWhileTheyRun(VertxTestContext test) throws Exception {
    Path slow = script("slow.sh", "sleep 1\necho done\n");
    // One worker thread: if a run held it while its command ran, four runs would take 4 s.
    Vertx oneWorker = Vertx.vertx(new VertxOptions().setWorkerPoolSize(1));
    List<Future<ProbeResult>> runs = new ArrayList<>();
    long started = System.nanoTime();
    for (int i = 0; i < 4; i++) {
      runs.add(probe(oneWorker, list(slow.toString())).run());
    }
    Future.all(runs)
        .eventually(oneWorker::close)
        .onComplete(test.succeeding(all -> test.verify(() -> {
          assertThat(runs).extracting(f -> f.result().message()).containsOnly("done");
          assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofMillis(3000));
          test.completeNow();
        })));
  }

  // ---- configuration --------------------------------------------------------------------------

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', quoteCharacter = '\'', textBlock = """
      command = []                                 | test.conf:1: medic.checks.test.command: is empty (expected the program and its arguments, e.g. ["/usr/lib/nagios/plugins/check_load", "-w", "5,4,3"])
      workdir = "/tmp"                             | test.conf:1: medic.checks.test.command: missing (a value is required: the argument vector, e.g. [
      command = "/usr/lib/nagios/check_load -w 5"  | test.conf:1: medic.checks.test.command: is not a list (expected the argument vector, run without a shell, e.g. [
      command = ["/usr/lib/nagios/plugins/check_load -w 5,4,3"] | test.conf:1: medic.checks.test.command: "/usr/lib/nagios/plugins/check_load -w 5,4,3" is one string with spaces, run as the name of one program (no shell splits it; expected each word as its own string: command = ["/usr/lib/nagios/plugins/check_load", "-w", "5,4,3"])
      command = ["check_http -H $HOST"]            | test.conf:1: medic.checks.test.command: "check_http -H $HOST" is a shell command line, run as the name of one program (no shell reads ;
      command = [""]                               | test.conf:1: medic.checks.test.command: starts with an empty program name
      command = [{ a = 1 }]                        | test.conf:1: medic.checks.test.command: has an item that is an object (expected strings)
      command = ["/bin/true"], comand = ["x"]      | test.conf:1: medic.checks.test.comand: unknown key (did you mean "command"?)
      command = ["/bin/true"], workdir = "tmp"     | test.conf:1: medic.checks.test.workdir: "tmp" is not an absolute path
      command = ["/bin/true"], env { "A=B" = x }   | test.conf:1: medic.checks.test.env: "A=B" is not an environment variable name
      command = ["/bin/true"], env = 5             | test.conf:1: medic.checks.test.env: is a number (expected an object of name = value)
      """)
  void badConfigurationIsReportedWithItsPath(String hocon, String problem, Vertx vertx) {
    Settings settings = TestSettings.of(hocon);
    new CommandProbeType().create(settings, context(vertx, GENEROUS));
    settings.reportUnknownKeys();

    assertThat(settings.problems().sorted()).singleElement().extracting(ConfigProblem::toString)
        .asString().startsWith(problem);
  }

  @Test
  void creatingAProbeStartsNothing(Vertx vertx, VertxTestContext test) throws Exception {
    Path marker = tmp.resolve("ran");
    Path plugin = script("touch.sh", "touch \"$1\"\necho touched\n");
    Probe probe = probe(vertx, list(plugin.toString(), marker.toString()));
    vertx.timer(300, TimeUnit.MILLISECONDS)
        .compose(v -> {
          test.verify(() -> assertThat(marker).as("created by merely creating the probe").doesNotExist());
          return probe.run();
        })
        .onComplete(test.succeeding(r -> test.verify(() -> {
          assertThat(marker).exists();
          test.completeNow();
        })));
  }

  @Test
  void isFoundByTypeNameWithOpenMeasurements() {
    ProbeType type = ServiceLoader.load(ProbeType.class).stream()
        .map(ServiceLoader.Provider::get)
        .filter(t -> t.type().equals("command"))
        .findFirst().orElseThrow();

    assertThat(type.openMeasurements()).isTrue();
    assertThat(type.measurements()).isEmpty();
  }

  // ---- helpers --------------------------------------------------------------------------------

  @AfterEach
  void killLeftovers() throws IOException {
    if (pids != null && Files.exists(pids)) {
      for (long pid : recordedPids()) {
        ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
      }
    }
  }

  private List<Long> recordedPids() throws IOException {
    return Files.readAllLines(pids).stream().map(String::trim).filter(s -> !s.isEmpty()).map(Long::valueOf).toList();
  }

  /** Recorded pids still running, with their command lines; a zombie has stopped running. */
  private List<String> survivors() throws IOException {
    List<String> alive = new ArrayList<>();
    for (long pid : recordedPids()) {
      Path proc = Path.of("/proc", Long.toString(pid));
      try {
        String stat = Files.readString(proc.resolve("stat"));
        char state = stat.charAt(stat.lastIndexOf(')') + 2);
        if (state != 'Z' && state != 'X') {
          alive.add(pid + " " + state + " " + Files.readString(proc.resolve("cmdline")).replace('\0', ' ').trim());
        }
      } catch (IOException e) {
        // no such process any more
      }
    }
    return alive;
  }

  /** Polls {@code condition} on a timer until it holds or {@code within} has passed. */
  private static Future<Void> eventually(Vertx vertx, Duration within, Check condition) {
    Promise<Void> done = Promise.promise();
    long deadline = System.nanoTime() + within.toNanos();
    vertx.setPeriodic(0, 50, id -> {
      try {
        if (condition.holds() || System.nanoTime() > deadline) {
          vertx.cancelTimer(id);
          done.tryComplete();
        }
      } catch (Exception e) {
        vertx.cancelTimer(id);
        done.tryFail(e);
      }
    });
    return done.future();
  }

  @FunctionalInterface
  private interface Check {
    boolean holds() throws Exception;
  }

  private Path script(String name, String body) throws IOException {
    return script(tmp.resolve(name), body);
  }

  private static Path script(Path file, String body) throws IOException {
    Files.writeString(file, "#!/bin/sh\n" + body);
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
    return file;
  }

  private static String quote(String s) {
    return ConfigUtil.quoteString(s);
  }

  private static String list(String... items) {
    return Arrays.stream(items).map(ConfigUtil::quoteString).collect(Collectors.joining(", ", "[", "]"));
  }

  private Probe probe(Vertx vertx, String commandList) throws Exception {
    return probe(vertx, "command = " + commandList, GENEROUS);
  }

  private Probe probe(Vertx vertx, String hocon, Duration timeout) throws Exception {
    Settings settings = TestSettings.of(hocon);
    Probe probe = new CommandProbeType().create(settings, context(vertx, timeout));
    TestSettings.assertValid(settings);
    return probe;
  }

  private static ProbeContext context(Vertx vertx, Duration timeout) {
    return new ProbeContext(vertx, "test", timeout, () -> {});
  }
}
