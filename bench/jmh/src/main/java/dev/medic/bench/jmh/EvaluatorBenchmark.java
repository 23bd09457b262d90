package dev.medic.bench.jmh;

import dev.medic.config.CheckConfig;
import dev.medic.evaluate.CheckState;
import dev.medic.evaluate.Evaluator;
import dev.medic.probe.ProbeResult;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.infra.Blackhole;

/**
 * {@link Evaluator#apply} (thresholds, debounce, flap detection) over one round of 10,000 checks;
 * scores are per check. {@code steady}: every check gets the result it already had (the common
 * case). {@code flipping}: every check alternates ok and critical, so debounce, state changes and
 * the flap window all work on every call.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class EvaluatorBenchmark {

  /** Per-check scores divide by this ({@code OperationsPerInvocation}), so it is fixed, not a parameter. */
  final int checks = Fleet.CHECKS;

  CheckConfig[] configs;
  ProbeResult[] results;
  ProbeResult refused;
  CheckState[] settled;
  CheckState[] flipping;
  Instant now;
  long round;

  @Setup
  public void setup() {
    Fleet fleet = new Fleet(checks);
    configs = fleet.checks.toArray(CheckConfig[]::new);
    results = fleet.results.toArray(ProbeResult[]::new);
    refused = Fleet.result(0);
    settled = new CheckState[checks];
    flipping = new CheckState[checks];
    for (int i = 0; i < checks; i++) {
      settled[i] = Fleet.settled(configs[i], results[i], 3);
      flipping[i] = settled[i];
    }
    now = Fleet.NOW.plusSeconds(3600);
  }

  @Benchmark
  @OperationsPerInvocation(Fleet.CHECKS)
  public void steady(Blackhole bh) {
    for (int i = 0; i < configs.length; i++) {
      bh.consume(Evaluator.apply(configs[i].name(), configs[i].rules(), settled[i], results[i], now));
    }
  }

  @Benchmark
  @OperationsPerInvocation(Fleet.CHECKS)
  public void flipping(Blackhole bh) {
    // Time moves 2 s a round (a retry interval), so the flap window (10 min) keeps filling.
    round++;
    Instant at = now.plusSeconds(2 * round);
    boolean bad = (round & 1) == 0;
    for (int i = 0; i < configs.length; i++) {
      Evaluator.Outcome o = Evaluator.apply(configs[i].name(), configs[i].rules(), flipping[i],
          bad ? refused : results[i], at);
      flipping[i] = o.state();
      bh.consume(o);
    }
  }
}
