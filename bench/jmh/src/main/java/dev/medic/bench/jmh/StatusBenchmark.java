package dev.medic.bench.jmh;

import dev.medic.api.StatusJson;
import dev.medic.config.CheckConfig;
import dev.medic.recovery.Maintenance;
import dev.medic.schedule.BenchLiveChecks;
import dev.medic.schedule.LiveChecks;
import io.vertx.core.json.JsonObject;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * The {@code /status} document for 10,000 checks, each with a latency history of 30 probes and a
 * latency measurement: {@code build} is {@link StatusJson#overall}, {@code encode} adds the JSON
 * text the API sends.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class StatusBenchmark {

  final int checks = Fleet.CHECKS;

  LiveChecks live;
  StatusJson.Recovery recovery;

  @Setup
  public void setup() {
    Fleet fleet = new Fleet(checks);
    Map<String, Integer> index = new HashMap<>();
    for (int i = 0; i < fleet.checks.size(); i++) {
      index.put(fleet.checks.get(i).name(), i);
    }
    double[] history = new double[30];
    for (int k = 0; k < history.length; k++) {
      history[k] = 0.001 + k * 0.0001;
    }
    live = BenchLiveChecks.of(fleet.checks,
        (CheckConfig c) -> Fleet.settled(c, fleet.results.get(index.get(c.name())), 3), history);
    recovery = new NoRecovery();
  }

  @Benchmark
  public JsonObject build() {
    return StatusJson.overall("bench", live, recovery);
  }

  @Benchmark
  public String encode() {
    return StatusJson.overall("bench", live, recovery).encode();
  }

  /** No actions configured: what /status adds from recovery is empty, as with medic's default. */
  static final class NoRecovery implements StatusJson.Recovery {
    @Override
    public JsonObject view(String check) {
      return null;
    }

    @Override
    public List<JsonObject> recent() {
      return List.of();
    }

    @Override
    public Optional<Maintenance.Window> maintenance(String check) {
      return Optional.empty();
    }

    @Override
    public List<Maintenance.Window> windows() {
      return List.of();
    }
  }
}
