package dev.medic.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * medic beside Monit and blackbox_exporter, over the same loopback targets, in one run (issue 7).
 * Run through bench/compare.sh, which builds what it needs and passes:
 *
 * <pre>
 *   Compare --jar daemon/target/medic.jar --out DIR --plot PNG [--smoke] [--sizes 100,1000,10000]
 *           [--rounds 3] [--monit-max 1000] [--race-kills 10] [--no-race] [--tools medic,blackbox,monit]
 * </pre>
 *
 * medic's JVM options come from MEDIC_JAVA_OPTS (bench/compare.sh takes them from the shipped
 * systemd unit). Exits 1 when a tool produced no measurement.
 */
public final class Compare {

  /** Probe period of medic and of the blackbox driver, and the recovery race's cycle. */
  static final Duration PERIOD = Duration.ofSeconds(30);


  public static void main(String[] args) throws Exception {
    Options o = Options.parse(args);
    Files.createDirectories(o.out);
    List<String> medicOpts = Arrays.stream(System.getenv().getOrDefault("MEDIC_JAVA_OPTS", "").trim().split("\\s+"))
        .filter(s -> !s.isEmpty()).toList();
    String started = Instant.now().toString();
    System.out.printf(Locale.ROOT, "compare: sizes %s, %s; medic JVM options: %s%n", o.sizes,
        o.smoke ? "smoke (one round each)" : o.rounds + " measured rounds", medicOpts.isEmpty() ? "(none)" : medicOpts);

    List<Measurement> rows = new ArrayList<>();
    List<String> skipped = new ArrayList<>();
    for (int n : o.sizes) {
      List<Tool> tools = new ArrayList<>();
      if (o.tools.contains("medic")) {
        // The shipped flags at every size (their -Xmx256m holds 10,000 checks; -Xmx64m did not).
        List<String> opts = medicOpts;
        tools.add(new MedicTool(o.jar, opts, true, PERIOD));
        tools.add(new MedicTool(o.jar, opts, false, PERIOD));
      }
      if (o.tools.contains("blackbox")) {
        tools.add(new BlackboxTool(PERIOD));
      }
      if (!o.tools.contains("monit")) {
        // not asked for
      } else if (n <= o.monitMax) {
        tools.add(new MonitTool(5));
      } else {
        skipped.add("monit at N=" + n + ": one target at a time, a round would take at least " + (n / 10 * 5)
            + " s (" + n / 10 + " hung × 5 s timeout)");
      }
      for (Tool tool : tools) {
        // medic's first round carries JIT compilation and connecting: left out of the figures.
        int warmup = o.smoke || !(tool instanceof MedicTool) ? 0 : 1;
        // Monit's round at 1,000 targets lasts ~500 s: one round.
        int measured = o.smoke ? 1 : tool instanceof MonitTool && n >= 1000 ? 1 : o.rounds;
        Measurement m = measure(tool, n, warmup, measured, o.out);
        rows.add(m);
        System.out.println("  " + line(m));
      }
    }
    String ended = Instant.now().toString();

    List<RecoveryRace.Result> race = new ArrayList<>();
    if (o.raceKills > 0) {
      race = RecoveryRace.run(o.raceKills, o.smoke ? Duration.ofSeconds(5) : PERIOD, o.jar, medicOpts, o.out);
    }

    Path csv = o.out.resolve("compare.csv");
    List<String> lines = new ArrayList<>();
    lines.add(Measurement.CSV_HEADER);
    rows.forEach(r -> lines.add(r.csv()));
    Files.write(csv, lines);
    if (!race.isEmpty()) {
      List<String> rl = new ArrayList<>();
      rl.add(RecoveryRace.Result.CSV_HEADER);
      race.forEach(r -> rl.add(r.csv()));
      Files.write(o.out.resolve("race.csv"), rl);
    }
    Files.writeString(o.out.resolve("machine.json"), Machine.describe(started, ended, medicOpts, skipped));

    System.out.println();
    System.out.println(table(rows));
    skipped.forEach(s -> System.out.println("skipped: " + s));
    race.forEach(r -> System.out.println(r.line()));
    Plot.draw(csv, o.plot);
    System.out.println("results: " + csv + (race.isEmpty() ? "" : ", " + o.out.resolve("race.csv")) + "; plot: " + o.plot);

    List<String> missing = new ArrayList<>();
    rows.stream().filter(r -> !r.measured()).forEach(r -> missing.add(r.tool() + " N=" + r.n() + ": " + r.problems()));
    race.stream().filter(r -> r.millis().isEmpty()).forEach(r -> missing.add("race " + r.tool() + ": " + r.problems()));
    if (!missing.isEmpty()) {
      System.err.println("no measurement from: " + String.join("; ", missing));
      System.exit(1);
    }
  }

  /** Starts the tool against fresh targets and measures rounds warmup+1 … warmup+measured. */
  static Measurement measure(Tool tool, int n, int warmup, int measured, Path out) throws Exception {
    Path dir = Files.createDirectories(out.resolve("runs").resolve(tool.name().replace(' ', '-') + "-" + n));
    Process p = null;
    List<Double> rounds = new ArrayList<>();
    try (Targets targets = Targets.start(n)) {
      int total = warmup + measured;
      // With no warm-up round the window starts with the process (its CPU counter starts at 0).
      long window0 = System.nanoTime();
      long[] machine0 = ProcStats.machineJiffies();
      double cpu0 = 0;
      long probes0 = 0;
      p = tool.start(targets, dir, total);
      long pid = p.pid();
      tool.drive(targets, total);
      for (int k = 1; k <= total; k++) {
        long limit = System.nanoTime() + roundLimit(tool, n).toNanos();
        while (!targets.awaitRound(k, 1000)) {
          if (!p.isAlive()) {
            throw new IllegalStateException(tool.name() + " exited with " + p.exitValue() + " in round " + k);
          }
          if (System.nanoTime() > limit) {
            throw new IllegalStateException("round " + k + " not over within " + roundLimit(tool, n).toSeconds()
                + " s (" + targets.probesEnded() + " of " + (long) k * n + " probes ended)");
          }
        }
        if (k == warmup) {
          cpu0 = ProcStats.cpuMillis(pid);
          probes0 = targets.probesEnded();
          machine0 = ProcStats.machineJiffies();
          window0 = System.nanoTime();
        }
        if (k > warmup) {
          rounds.add(targets.roundMillis(k));
        }
      }
      if (tool instanceof BlackboxTool && total > 1) {
        // Like medic's, the window holds whole periods, the idle part of the last one included.
        long periodEnd = targets.roundStartNanos(total) + PERIOD.toNanos();
        Thread.sleep(Math.max(0, (periodEnd - System.nanoTime()) / 1_000_000));
      }
      double cpu = ProcStats.cpuMillis(pid) - cpu0;
      long[] machine1 = ProcStats.machineJiffies();
      double window = (System.nanoTime() - window0) / 1e6;
      long probes = targets.probesEnded() - probes0;
      double rss = ProcStats.peakRssMib(pid);
      String problems = tool.verdictProblems();
      if (targets.stray() > 0) {
        problems += targets.stray() + " requests for no known target; ";
      }
      // The CPU of one round every PERIOD, as a share of one core: the same yardstick for all.
      double corePercent = cpu / probes * n / PERIOD.toMillis() * 100;
      return new Measurement(tool.name(), tool.connects(), n, warmup, rounds, cpu / probes,
          corePercent, rss, probes, window / 1000,
          100.0 * (machine1[0] - machine0[0]) / Math.max(1, machine1[1] - machine0[1]),
          targets.connectionsHealthy(), targets.answered(), tool.note(), problems);
    } catch (Exception e) {
      System.err.println(tool.name() + " N=" + n + ": " + e.getMessage() + " (logs in " + dir + ")");
      return new Measurement(tool.name(), tool.connects(), n, warmup, List.of(), Double.NaN, Double.NaN, 0, 0, 0,
          Double.NaN, 0, 0, tool.note(), "no measurement: " + e.getMessage());
    } finally {
      tool.stopDriving();
      Processes.stop(p);
    }
  }

  /** How long one round may take before the run is called failed: far above what it should. */
  private static Duration roundLimit(Tool tool, int n) {
    if (tool instanceof MonitTool) {
      return Duration.ofSeconds(n / 10 * 5 * 3 / 2 + n / 10 + 120);
    }
    return PERIOD.plusSeconds(120 + n / 100 * 5);
  }

  static String line(Measurement m) {
    if (!m.measured()) {
      return String.format(Locale.ROOT, "%-18s N=%-6d %s", m.tool(), m.n(), m.problems());
    }
    return String.format(Locale.ROOT,
        "%-18s N=%-6d round %.2f s (median of %d)  CPU %.3f ms/probe (%.1f %% of a core at a round / 30 s)  peak RSS %.1f MiB  "
            + "%d probes; %d connections for %d answers%s",
        m.tool(), m.n(), m.roundMedian() / 1000, m.roundMillis().size(), m.cpuMsPerProbe(), m.corePercent(),
        m.peakRssMib(), m.probes(), m.connections(), m.requests(),
        (m.note().isEmpty() ? "" : "  note: " + m.note()) + (m.problems().isEmpty() ? "" : "  ! " + m.problems()));
  }

  static String table(List<Measurement> rows) {
    StringBuilder b = new StringBuilder();
    b.append("| tool | N | round wall time, s (median) | CPU ms / probe | % of a core at a round / 30 s | peak RSS, MiB | connections / answers (healthy) |\n");
    b.append("|---|---:|---:|---:|---:|---:|---:|\n");
    for (Measurement m : rows) {
      if (!m.measured()) {
        b.append(String.format(Locale.ROOT, "| %s | %,d | %s | | | | |%n", m.tool(), m.n(), m.problems()));
        continue;
      }
      String tool = m.tool() + (m.note().isEmpty() ? "" : " (" + m.note().split(" ")[0] + ")");
      b.append(String.format(Locale.ROOT, "| %s | %,d | %.2f (%s) | %.3f | %.1f | %.1f | %,d / %,d |%n", tool, m.n(),
          m.roundMedian() / 1000, m.roundMillis().size() == 1 ? "1 round"
              : String.format(Locale.ROOT, "%.2f–%.2f, %d rounds", Stats.min(m.roundMillis()) / 1000,
                  Stats.max(m.roundMillis()) / 1000, m.roundMillis().size()),
          m.cpuMsPerProbe(), m.corePercent(), m.peakRssMib(), m.connections(), m.requests()));
    }
    return b.toString();
  }

  /** Command-line options. */
  private record Options(Path jar, Path out, Path plot, boolean smoke, List<Integer> sizes, int rounds,
      int monitMax, int raceKills, List<String> tools) {

    static Options parse(String[] args) {
      Path jar = Path.of("daemon/target/medic.jar");
      Path out = Path.of("bench/results");
      Path plot = Path.of("docs/benchmarks-compare.png");
      boolean smoke = false;
      List<Integer> sizes = null;
      int rounds = 3;
      int monitMax = 1000;
      Integer raceKills = null;
      List<String> tools = List.of("medic", "blackbox", "monit");
      for (int i = 0; i < args.length; i++) {
        switch (args[i]) {
          case "--jar" -> jar = Path.of(args[++i]);
          case "--out" -> out = Path.of(args[++i]);
          case "--plot" -> plot = Path.of(args[++i]);
          case "--smoke" -> smoke = true;
          case "--sizes" -> sizes = Arrays.stream(args[++i].split(",")).map(String::trim).map(Integer::parseInt).toList();
          case "--rounds" -> rounds = Integer.parseInt(args[++i]);
          case "--monit-max" -> monitMax = Integer.parseInt(args[++i]);
          case "--race-kills" -> raceKills = Integer.parseInt(args[++i]);
          case "--no-race" -> raceKills = 0;
          case "--tools" -> tools = List.of(args[++i].split(","));
          default -> throw new IllegalArgumentException("unknown option " + args[i]);
        }
      }
      if (sizes == null) {
        sizes = smoke ? List.of(100) : List.of(100, 1000, 10000);
      }
      if (raceKills == null) {
        raceKills = smoke ? 1 : 10;
      }
      return new Options(jar.toAbsolutePath(), out.toAbsolutePath(), plot.toAbsolutePath(), smoke, sizes, rounds,
          monitMax, raceKills, tools);
    }
  }

  private Compare() {}
}
