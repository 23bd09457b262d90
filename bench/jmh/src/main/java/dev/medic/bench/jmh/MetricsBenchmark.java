package dev.medic.bench.jmh;

import dev.medic.metrics.MedicMetrics;
import dev.medic.probe.Measurement;
import dev.medic.probe.ProbeResult;
import dev.medic.probe.Status;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * medic's meters for 10,000 http checks (status gauge, probe-duration histogram, probe counter,
 * latency gauge per check, plus the JVM and process meters): {@code scrape} is the Prometheus
 * text {@code /metrics} serves; {@code probed} is what recording one finished probe costs (score
 * per probe, over a round of all checks).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
public class MetricsBenchmark {

  /** Per-check scores divide by this ({@code OperationsPerInvocation}), so it is fixed, not a parameter. */
  final int checks = Fleet.CHECKS;

  MedicMetrics metrics;
  String[] names;
  Duration[] took;
  Map<String, Measurement>[] measurements;

  @Setup
  @SuppressWarnings("unchecked")
  public void setup() {
    metrics = new MedicMetrics(MedicMetrics.newRegistry());
    metrics.bindJvm();
    names = new String[checks];
    took = new Duration[checks];
    measurements = new Map[checks];
    for (int i = 0; i < checks; i++) {
      ProbeResult r = Fleet.result(i);
      Status status = Fleet.status(i);
      names[i] = "c" + i;
      took[i] = r.latency();
      measurements[i] = Fleet.latency(r);
      metrics.addCheck(names[i], "http", () -> status);
      metrics.probed(names[i], took[i], status.label(), measurements[i]);
    }
  }

  @TearDown
  public void tearDown() {
    metrics.close();
  }

  @Benchmark
  @OutputTimeUnit(TimeUnit.MILLISECONDS)
  public String scrape() {
    return metrics.scrape();
  }

  @Benchmark
  @OperationsPerInvocation(Fleet.CHECKS)
  @OutputTimeUnit(TimeUnit.NANOSECONDS)
  public void probed() {
    for (int i = 0; i < names.length; i++) {
      metrics.probed(names[i], took[i], "ok", measurements[i]);
    }
  }
}
