package dev.medic.probe;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * CPU use as the share of non-idle time in the aggregate {@code cpu} line of {@code /proc/stat}
 * between the previous run and this one, so the value covers the whole interval rather than the
 * instant of the probe.
 *
 * <p>With no usable previous sample (the first run, or counters that went backwards) the probe
 * takes two samples a short moment apart, waiting on a Vert.x timer. Load averages are divided by
 * {@link Runtime#availableProcessors()}, which honours a container's CPU limit.
 */
final class CpuProbe implements Probe {

  private static final Duration SAMPLE_GAP = Duration.ofMillis(250);

  private final Vertx vertx;
  private final String stat;
  private final String loadavg;
  private final Duration sampleGap;
  /** The sample the next run measures from; written only when a run completes. */
  private volatile CpuTimes previous;

  CpuProbe(ProbeContext context, String stat, String loadavg) {
    this.vertx = context.vertx();
    this.stat = stat;
    this.loadavg = loadavg;
    // A gap as long as a short timeout would make every first run time out.
    Duration half = context.timeout().dividedBy(2);
    this.sampleGap = half.compareTo(SAMPLE_GAP) < 0 ? half : SAMPLE_GAP;
  }

  /** Jiffies from the aggregate cpu line; guest time is already inside user and nice. */
  record CpuTimes(long busy, long iowait, long total) {

    boolean isAfter(CpuTimes earlier) {
      return total > earlier.total && busy >= earlier.busy && iowait >= earlier.iowait;
    }
  }

  /** Two samples, the interval a run reports on. */
  private record Span(CpuTimes from, CpuTimes to) {}

  @Override
  public Future<ProbeResult> run() {
    return readStat()
        .compose(latest -> {
          CpuTimes before = previous;
          if (before != null && latest.isAfter(before)) {
            return Future.succeededFuture(new Span(before, latest));
          }
          return vertx.timer(Math.max(1, sampleGap.toMillis()), TimeUnit.MILLISECONDS)
              .compose(v -> readStat())
              .map(second -> new Span(latest, second));
        })
        .compose(span -> {
          previous = span.to();
          return readLoad().map(load -> judge(span, load));
        })
        .recover(err -> err instanceof IOException
            ? Future.succeededFuture(ProbeResult.unknown(err.getMessage()))
            : Future.failedFuture(err));
  }

  private Future<CpuTimes> readStat() {
    return vertx.executeBlocking(() -> {
      for (String line : read(stat).split("\n")) {
        if (line.startsWith("cpu ")) {
          return parseCpuLine(line);
        }
      }
      throw new IOException(stat + " has no aggregate \"cpu\" line (is it a Linux /proc/stat file?)");
    }, false);
  }

  private CpuTimes parseCpuLine(String line) throws IOException {
    String[] f = line.trim().split("\\s+");
    // cpu user nice system idle [iowait irq softirq steal [guest guest_nice]]
    if (f.length < 5) {
      throw new IOException(stat + ": cpu line has " + (f.length - 1) + " fields (expected at least 4)");
    }
    long[] v = new long[Math.min(f.length - 1, 8)];
    try {
      for (int i = 0; i < v.length; i++) {
        v[i] = Long.parseLong(f[i + 1]);
      }
    } catch (NumberFormatException e) {
      throw new IOException(stat + ": cpu line is not numbers: " + line);
    }
    long total = 0;
    for (long x : v) {
      total += x;
    }
    long idle = v[3];
    long iowait = v.length > 4 ? v[4] : 0;
    return new CpuTimes(total - idle - iowait, iowait, total);
  }

  /** Load averages per core; the processor count may read cgroup files, so it is here too. */
  private Future<LoadPerCore> readLoad() {
    return vertx.executeBlocking(() -> {
      String[] f = read(loadavg).trim().split("\\s+");
      if (f.length < 3) {
        throw new IOException(loadavg + " has " + f.length + " fields (expected at least 3)");
      }
      int cores = Runtime.getRuntime().availableProcessors();
      double[] perCore = new double[3];
      try {
        for (int i = 0; i < 3; i++) {
          perCore[i] = Double.parseDouble(f[i]) / cores;
        }
      } catch (NumberFormatException e) {
        throw new IOException(loadavg + " does not start with three load averages: " + String.join(" ", f));
      }
      return new LoadPerCore(perCore, cores);
    }, false);
  }

  private record LoadPerCore(double[] values, int cores) {}

  private static String read(String path) throws IOException {
    try {
      return Files.readString(Path.of(path), StandardCharsets.US_ASCII);
    } catch (IOException e) {
      throw new IOException("cannot read " + path + ": " + e, e);
    }
  }

  private ProbeResult judge(Span span, LoadPerCore load) {
    CpuTimes before = span.from();
    CpuTimes after = span.to();
    Map<String, Measurement> m = new LinkedHashMap<>();
    long total = after.total - before.total;
    String cpu;
    Status status = Status.OK;
    if (total > 0 && after.isAfter(before)) {
      double used = (double) (after.busy - before.busy) / total;
      double iowait = (double) (after.iowait - before.iowait) / total;
      m.put("used", Measurement.ratio(used));
      m.put("iowait", Measurement.ratio(iowait));
      cpu = "cpu " + Unit.RATIO.format(used) + " used (iowait " + Unit.RATIO.format(iowait) + ")";
    } else {
      // Only a file that does not change (or a kernel bug) gets here: no time, no ratio.
      status = Status.UNKNOWN;
      cpu = "no CPU time counted in " + stat + " between two samples";
    }
    String[] names = {"load1", "load5", "load15"};
    StringBuilder loads = new StringBuilder();
    for (int i = 0; i < 3; i++) {
      double perCore = load.values()[i];
      m.put(names[i], new Measurement(perCore, Unit.NUMBER));
      loads.append(i == 0 ? "" : " ").append(Unit.NUMBER.format(perCore));
    }
    String message = cpu + ", load per core " + loads
        + " (" + load.cores() + (load.cores() == 1 ? " core)" : " cores)");
    return ProbeResult.of(status, message, m);
  }
}
