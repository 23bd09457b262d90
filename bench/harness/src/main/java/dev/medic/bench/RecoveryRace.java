package dev.medic.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Random;

/**
 * The recovery race: a real redis-server (Debian's) watched first by medic, then by Monit, each
 * with the same cycle and a restart command, on ports of their own so that neither restarts the
 * other's Redis. Each {@code kill -9} comes at a random moment of the cycle (a uniform random wait
 * after the previous recovery); the time measured runs from the kill to Redis answering PING again.
 *
 * <p>medic: a {@code redis} check every cycle with its defaults (fall 2, retry-interval 2s) and a
 * command action; it keeps a connection to Redis and probes again at once when that connection
 * drops. {@code flap.changes} is raised and the action's cooldown is 0 s: kills a few seconds
 * apart would otherwise (rightly) count as flapping or fall in the cooldown, and every kill here
 * must be answered. Monit: {@code check process} by pid file with start and stop programs and
 * {@code if failed port … protocol redis then restart}.
 */
final class RecoveryRace {

  private RecoveryRace() {}

  /** One tool's kills. */
  record Result(String tool, Duration cycle, List<Double> millis, List<Double> phases, String problems) {
    static final String CSV_HEADER = "tool,cycle_s,kills,median_ms,p95_ms,max_ms,min_ms,kill_ms,problems";

    String csv() {
      StringBuilder each = new StringBuilder();
      millis.forEach(m -> each.append(each.length() == 0 ? "" : " ").append(String.format(Locale.ROOT, "%.0f", m)));
      return String.join(",", tool, Long.toString(cycle.toSeconds()), Integer.toString(millis.size()),
          f(Stats.median(millis)), f(Stats.percentile(millis, 95)), f(Stats.max(millis)), f(Stats.min(millis)),
          "\"" + each + "\"", "\"" + problems.replace("\"", "'") + "\"");
    }

    String line() {
      if (millis.isEmpty()) {
        return "race " + tool + ": no measurement: " + problems;
      }
      return String.format(Locale.ROOT, "race %-6s cycle %d s: kill -9 → PING again: median %.0f ms, p95 %.0f ms, "
              + "min %.0f, max %.0f over %d kills%s", tool, cycle.toSeconds(), Stats.median(millis),
          Stats.percentile(millis, 95), Stats.min(millis), Stats.max(millis), millis.size(),
          problems.isEmpty() ? "" : "  ! " + problems);
    }

    private static String f(double v) {
      return Double.isNaN(v) ? "" : String.format(Locale.ROOT, "%.0f", v);
    }
  }

  static List<Result> run(int kills, Duration cycle, Path jar, List<String> medicOpts, Path out) throws Exception {
    List<Result> results = new ArrayList<>();
    results.add(race("medic", kills, cycle, out, (dir, redisConf, port) -> startMedic(dir, redisConf, port, cycle, jar, medicOpts)));
    results.add(race("monit", kills, cycle, out, (dir, redisConf, port) -> startMonit(dir, redisConf, port, cycle)));
    return results;
  }

  /** Starts the watching tool; returns once it watches a Redis that answers. */
  private interface Watcher {
    Watching start(Path dir, Path redisConf, int port) throws Exception;
  }

  /** The watching tool's process and how to tell it sees Redis ok again. */
  private record Watching(Process process, java.util.function.BooleanSupplier seesOk) {}

  private static Result race(String tool, int kills, Duration cycle, Path out, Watcher watcher) throws Exception {
    Path dir = Files.createDirectories(out.resolve("runs").resolve("race-" + tool));
    String redis = which("redis-server");
    int port = Processes.freePort();
    Path conf = dir.resolve("redis.conf");
    Path pidFile = dir.resolve("redis.pid");
    Files.deleteIfExists(pidFile);
    Files.writeString(conf, String.join("\n", "port " + port, "bind 127.0.0.1", "save \"\"", "appendonly no",
        "daemonize yes", "dir " + dir, "pidfile " + pidFile, "logfile " + dir.resolve("redis.log"), ""));
    List<Double> millis = new ArrayList<>();
    List<Double> phases = new ArrayList<>();
    String problems = "";
    Process watcherProcess = null;
    Random random = new Random();
    try {
      new ProcessBuilder(redis, conf.toString()).inheritIO().start().waitFor();
      Processes.await("redis PING on " + port, Duration.ofSeconds(10), null, () -> ping(port));
      Watching w = watcher.start(dir, conf, port);
      watcherProcess = w.process();
      Processes.await(tool + " sees redis ok", Duration.ofSeconds(60), watcherProcess, w.seesOk());
      for (int i = 1; i <= kills; i++) {
        // A random moment of the cycle: the wait is the point here, not a stand-in for a condition.
        double wait = random.nextDouble() * cycle.toMillis();
        Thread.sleep((long) wait);
        long pid = Long.parseLong(Files.readString(pidFile).trim());
        ProcessHandle victim = ProcessHandle.of(pid).orElseThrow(() -> new IllegalStateException("no process " + pid));
        long killed = System.nanoTime();
        new ProcessBuilder("kill", "-9", Long.toString(pid)).start().waitFor();
        victim.onExit().get();
        Processes.await(tool + ": redis PING after kill " + i, cycle.multipliedBy(3).plusSeconds(60), watcherProcess,
            () -> ping(port));
        double ms = (System.nanoTime() - killed) / 1e6;
        millis.add(ms);
        phases.add(wait);
        System.out.printf(Locale.ROOT, "  race %s kill %d (after %.1f s): PING again in %.0f ms%n", tool, i, wait / 1000, ms);
        Processes.await(tool + " sees redis ok after kill " + i, Duration.ofSeconds(60), watcherProcess, w.seesOk());
      }
    } catch (Exception e) {
      problems = e.getMessage() + " (logs in " + dir + ")";
      System.err.println("race " + tool + ": " + problems);
    } finally {
      Processes.stop(watcherProcess);
      try {
        Optional.of(pidFile).filter(Files::exists).map(RecoveryRace::readPid).flatMap(ProcessHandle::of)
            .ifPresent(ProcessHandle::destroyForcibly);
      } catch (RuntimeException ignored) {
        // Redis already gone
      }
    }
    return new Result(tool, cycle, millis, phases, problems);
  }

  private static long readPid(Path file) {
    try {
      return Long.parseLong(Files.readString(file).trim());
    } catch (IOException | NumberFormatException e) {
      return -1;
    }
  }

  private static Watching startMedic(Path dir, Path redisConf, int port, Duration cycle, Path jar,
      List<String> javaOptions) throws Exception {
    int api = Processes.freePort();
    Path conf = dir.resolve("medic.conf");
    Files.writeString(conf, """
        medic {
          http.port = %d
          journal.dir = "%s"
          checks.cache {
            type = redis, uri = "redis://127.0.0.1:%d"
            interval = %ds
            # Kills seconds apart are flapping by the default (5 changes in 10m): medic would
            # rightly stop acting. Here every kill must be answered.
            flap.changes = 1000
            on-critical = [restart-redis]
          }
          # cooldown 0s: the default 1m after a successful restart would hold the next one back.
          actions.restart-redis { type = command, command = ["%s", "%s"], grace = 500ms, max-attempts = 1000, within = 1m, backoff.initial = 1s, cooldown = 0s }
        }
        """.formatted(api, dir.resolve("journal"), port, cycle.toSeconds(), which("redis-server"), redisConf));
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(javaOptions);
    cmd.addAll(List.of("-jar", jar.toString(), "run", "--config", conf.toString()));
    Process p = Processes.start(cmd, dir.resolve("medic.log"));
    String status = "http://127.0.0.1:" + api + "/status?check=cache";
    return new Watching(p, () -> {
      try {
        return Processes.body(status).replace(" ", "").contains("\"status\":\"ok\"");
      } catch (IOException e) {
        return false;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return false;
      }
    });
  }

  private static Watching startMonit(Path dir, Path redisConf, int port, Duration cycle) throws Exception {
    Path rc = dir.resolve("monitrc");
    Path pidFile = dir.resolve("redis.pid");
    Files.writeString(rc, String.join("\n",
        "set daemon " + cycle.toSeconds(),
        "set logfile " + dir.resolve("monit.log"),
        "set pidfile " + dir.resolve("monit.pid"),
        "set idfile " + dir.resolve("monit.id"),
        "set statefile " + dir.resolve("monit.state"),
        "check process redis with pidfile " + pidFile,
        "  start program = \"" + which("redis-server") + " " + redisConf + "\"",
        "  stop program = \"" + which("redis-cli") + " -p " + port + " shutdown nosave\"",
        "  if failed host 127.0.0.1 port " + port + " protocol redis with timeout 5 seconds then restart",
        ""));
    Files.setPosixFilePermissions(rc, PosixFilePermissions.fromString("rw-------"));
    Process p = Processes.start(List.of("monit", "-I", "-c", rc.toString()), dir.resolve("monit.out"));
    // Monit has no API here: once it runs, a Redis that answers PING is what it sees.
    return new Watching(p, () -> p.isAlive() && ping(port));
  }

  /** Whether Redis on the port answers PING with PONG. */
  static boolean ping(int port) {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 200);
      s.setSoTimeout(500);
      OutputStream o = s.getOutputStream();
      o.write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
      o.flush();
      String reply = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII)).readLine();
      return "+PONG".equals(reply);
    } catch (IOException e) {
      return false;
    }
  }

  static String which(String command) throws IOException {
    for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin").split(":")) {
      Path p = Path.of(dir, command);
      if (Files.isExecutable(p)) {
        return p.toString();
      }
    }
    throw new IOException(command + " not found on PATH (apt-get install redis-server monit)");
  }
}
