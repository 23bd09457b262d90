package dev.medic.bench.jmh;

import dev.medic.Plugins;
import dev.medic.config.CheckConfig;
import dev.medic.config.ConfigException;
import dev.medic.config.ConfigLoader;
import dev.medic.config.MedicConfig;
import dev.medic.evaluate.CheckState;
import dev.medic.evaluate.Evaluator;
import dev.medic.probe.Measurement;
import dev.medic.probe.ProbeResult;
import dev.medic.probe.Status;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * N http checks as a configuration file declares them (each with latency thresholds), loaded and
 * validated by medic's own loader, and the results a round of probes gives them: 1 % critical
 * (refused), 4 % warning (slow), the rest ok.
 */
final class Fleet {

  /** What the benchmarks measure at. */
  static final int CHECKS = 10_000;

  static final Instant NOW = Instant.parse("2026-11-23T12:00:00Z");

  final MedicConfig config;
  final List<CheckConfig> checks;
  final List<ProbeResult> results;

  Fleet(int n) {
    StringBuilder hocon = new StringBuilder()
        .append("medic {\n  instance = bench\n  journal.dir = \"")
        .append(System.getProperty("java.io.tmpdir").replace("\\", "/")).append("\"\n  checks {\n");
    for (int i = 0; i < n; i++) {
      hocon.append("    c").append(i).append(" { type = http, url = \"http://127.0.0.1:8080/health/").append(i)
          .append("\", thresholds { latency { warning = 1s, critical = 2s } } }\n");
    }
    hocon.append("  }\n}\n");
    Vertx vertx = Vertx.vertx();
    try {
      config = new ConfigLoader(Plugins.discover(), vertx).loadString(hocon.toString(), "fleet.conf");
    } catch (ConfigException e) {
      throw new IllegalStateException(e.report(), e);
    } finally {
      vertx.close().await();
    }
    checks = List.copyOf(config.checks().values());
    results = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      results.add(result(i));
    }
  }

  /** What check {@code i}'s probe reports in a typical round. */
  static ProbeResult result(int i) {
    String url = "GET http://127.0.0.1:8080/health/" + i + " → ";
    if (i % 100 == 0) {
      return ProbeResult.critical(url + "connection refused by 127.0.0.1:8080 (is anything listening?)")
          .withLatency(Duration.ofMillis(1));
    }
    Duration latency = i % 25 == 0 ? Duration.ofMillis(1200) : Duration.ofMillis(1);
    return ProbeResult.ok(url + "200 in " + latency.toMillis() + " ms").withLatency(latency);
  }

  /** The state a check is in after {@code rounds} rounds of the same result. */
  static CheckState settled(CheckConfig c, ProbeResult r, int rounds) {
    CheckState s = CheckState.initial(NOW);
    for (int k = 0; k < rounds; k++) {
      s = Evaluator.apply(c.name(), c.rules(), s, r, NOW.plusSeconds(30L * k)).state();
    }
    return s;
  }

  static Map<String, Measurement> latency(ProbeResult r) {
    return Map.of("latency", Measurement.seconds(r.latency().toNanos() / 1e9));
  }

  static Status status(int i) {
    return i % 100 == 0 ? Status.CRITICAL : i % 25 == 0 ? Status.WARNING : Status.OK;
  }
}
