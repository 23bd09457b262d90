package dev.medic.testing;

import dev.medic.config.CheckConfig;
import dev.medic.config.ConfigException;
import dev.medic.config.ConfigLoader;
import dev.medic.config.MedicConfig;
import dev.medic.config.Problems;
import dev.medic.config.Settings;
import dev.medic.evaluate.Evaluator;
import dev.medic.probe.Probe;
import dev.medic.probe.ProbeContext;
import dev.medic.probe.ProbeResult;
import dev.medic.probe.ProbeType;
import dev.medic.probe.ProbeTypes;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.HashMap;
import java.util.Map;

/**
 * One check loaded through the real configuration path — so measurement names, units and
 * directions are those the probe type declares — whose results are judged against its thresholds
 * as {@code medic probe} does.
 */
public final class ConfiguredCheck implements AutoCloseable {

  private final CheckConfig check;
  private final Probe probe;

  private ConfiguredCheck(CheckConfig check, Probe probe) {
    this.check = check;
    this.probe = probe;
  }

  /** Loads {@code medic.checks.NAME { type = ..., <body> }}; the configuration must be valid. */
  public static ConfiguredCheck load(Vertx vertx, ProbeType type, String name, String body) throws ConfigException {
    MedicConfig cfg = new ConfigLoader(ProbeTypes.of(type), vertx).loadString(
        "medic.checks." + name + " { type = " + type.type() + "\n" + body + "\n}", "test.conf");
    CheckConfig c = cfg.checks().get(name);
    Probe probe = c.probeType().create(new Settings(c.raw(), c.path(), c.raw().origin(), new Problems(cfg.source())),
        new ProbeContext(vertx, name, c.timeout(), () -> { }));
    return new ConfiguredCheck(c, probe);
  }

  /** One run, judged against the check's thresholds. */
  public Future<ProbeResult> run() {
    return probe.run().map(r -> Evaluator.judge(r, check.rules().thresholds(), Map.of(), new HashMap<>()));
  }

  @Override
  public void close() {
    probe.close().await();
  }
}
