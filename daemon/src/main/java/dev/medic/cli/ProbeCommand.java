package dev.medic.cli;

import dev.medic.ExitCodes;
import dev.medic.config.CheckConfig;
import dev.medic.config.MedicConfig;
import dev.medic.config.Problems;
import dev.medic.config.Settings;
import dev.medic.evaluate.Evaluator;
import dev.medic.probe.Measurement;
import dev.medic.probe.Probe;
import dev.medic.probe.ProbeContext;
import dev.medic.probe.ProbeResult;
import dev.medic.probe.Status;
import dev.medic.schedule.ProbeDeadline;
import io.vertx.core.Future;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code medic probe}: run every check (or one) once, all at the same time, and print a table.
 * Exits 2 if any check is critical, else 3 if any is unknown, else 1 if any is warning, else 0: the
 * precedence a Nagios caller expects, so that a check that could not judge never hides an outage.
 */
@Command(name = "probe", mixinStandardHelpOptions = true, description = "Probe once and print a table; exit 2 if any check is critical, else 3 if any is unknown, else 1 if any is warning, else 0.")
public final class ProbeCommand implements Callable<Integer> {

  @Mixin
  ConfigOption config;

  @CommandLine.ParentCommand
  Cli cli;

  @Option(names = "--check", paramLabel = "NAME", description = "Probe only this check (repeatable).")
  List<String> only = new ArrayList<>();

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    try (Session rt = new Session(false, cli.plugins())) {
      Optional<MedicConfig> loaded = rt.load(config.resolve(), err);
      if (loaded.isEmpty()) {
        return ExitCodes.CONFIG;
      }
      MedicConfig cfg = loaded.get();
      for (String name : only) {
        if (!cfg.checks().containsKey(name)) {
          err.printf("medic: no check named \"%s\" in %s (checks: %s)%n", name, cfg.source(),
              String.join(", ", cfg.checks().keySet()));
          return ExitCodes.USAGE;
        }
      }
      List<CheckConfig> selected = new ArrayList<>();
      for (CheckConfig c : cfg.checks().values()) {
        if (only.isEmpty() || only.contains(c.name())) {
          selected.add(c);
        }
      }
      List<Future<ProbeResult>> results = new ArrayList<>();
      List<Probe> probes = new ArrayList<>();
      for (CheckConfig c : selected) {
        Probe p = c.probeType().create(new Settings(c.raw(), c.path(), c.raw().origin(), new Problems(cfg.source())),
            new ProbeContext(rt.vertx, c.name(), c.timeout(), () -> { }));
        probes.add(p);
        results.add(ProbeDeadline.run(rt.vertx, p, c.type(), c.timeout())
            .map(r -> Evaluator.judge(r, c.rules().thresholds(), Map.of(), new HashMap<>())));
      }
      Session.join(Future.join(results));
      Status worst = Status.OK;
      List<String[]> rows = new ArrayList<>();
      rows.add(new String[] {"CHECK", "TYPE", "STATUS", "LATENCY", "MESSAGE"});
      for (int i = 0; i < selected.size(); i++) {
        CheckConfig c = selected.get(i);
        ProbeResult r = results.get(i).result();
        worst = Status.mostSevere(worst, r.status());
        rows.add(new String[] {c.name(), c.type(), r.status().label(),
            r.latency() == null ? "" : Math.round(r.latency().toNanos() / 1e5) / 10.0 + " ms", r.message()});
        StringBuilder m = new StringBuilder();
        for (Map.Entry<String, Measurement> e : r.measurements().entrySet()) {
          m.append(m.length() == 0 ? "" : "  ").append(e.getKey()).append('=').append(e.getValue().formatted());
        }
        if (m.length() > 0) {
          rows.add(new String[] {"", "", "", "", m.toString()});
        }
      }
      Table.print(out, rows);
      for (Probe p : probes) {
        Session.join(p.close().recover(e -> Future.succeededFuture()));
      }
      return worst.code;
    }
  }
}
