package dev.medic.cli;

import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigRenderOptions;
import com.typesafe.config.ConfigValue;
import dev.medic.ExitCodes;
import dev.medic.config.ActionConfig;
import dev.medic.config.ChannelConfig;
import dev.medic.config.CheckConfig;
import dev.medic.config.MedicConfig;
import dev.medic.config.Secrets;
import dev.medic.evaluate.Threshold;
import dev.medic.recovery.Policy;
import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code medic check}: validate the configuration the way {@code run} would and print the plan. */
@Command(name = "check", mixinStandardHelpOptions = true, description = "Validate a configuration and print what medic would run (secrets masked).")
public final class CheckCommand implements Callable<Integer> {

  /** Keys every check has; the rest belong to the probe type and are printed as its settings. */
  private static final Set<String> COMMON = Set.of("type", "interval", "timeout", "fall", "rise", "retry-interval",
      "flap", "thresholds", "depends-on", "on-warning", "on-critical", "description", "scope");

  @Mixin
  ConfigOption config;

  @CommandLine.ParentCommand
  Cli cli;

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() {
    try (Session rt = new Session(false, cli.plugins())) {
      Optional<MedicConfig> cfg = rt.load(config.resolve(), spec.commandLine().getErr());
      if (cfg.isEmpty()) {
        return ExitCodes.CONFIG;
      }
      print(cfg.get(), spec.commandLine().getOut());
      return ExitCodes.OK;
    }
  }

  static void print(MedicConfig c, PrintWriter out) {
    out.printf("configuration %s is valid%n", c.source());
    out.printf("instance %s; API http://%s:%d (control token %s); journal %s%s%n", c.instance(), c.http().host(),
        c.http().port(), c.http().token().isPresent() ? "set" : "not set: control endpoints answer 403",
        c.journalDir(), c.dryRun() ? "; dry-run: actions are journaled, not run" : "");
    if (c.cluster().enabled()) {
      out.printf("fleet: lease %s, ttl %s, on backend down: %s%n", c.cluster().leaseShown(), human(c.cluster().ttl()),
          c.cluster().onBackendDown() == dev.medic.config.ClusterConfig.OnBackendDown.SKIP
              ? "shared actions are not run" : "shared actions run on this instance's budget");
    }
    out.printf("%d check(s):%n", c.checks().size());
    ConfigRenderOptions concise = ConfigRenderOptions.concise().setJson(false);
    for (CheckConfig check : c.checks().values()) {
      out.printf("  %s (%s): every %s, timeout %s, fall %d, rise %d, retry every %s%s%n", check.name(), check.type(),
          human(check.interval()), human(check.timeout()), check.rules().fall(), check.rules().rise(),
          human(check.retryInterval()), check.shared() ? "; shared: notified by the lease holder only" : "");
      Map<String, Object> settings = new LinkedHashMap<>();
      for (Map.Entry<String, ConfigValue> e : check.raw().entrySet()) {
        if (!COMMON.contains(e.getKey())) {
          settings.put(e.getKey(), e.getValue().unwrapped());
        }
      }
      if (!settings.isEmpty()) {
        ConfigValue masked = Secrets.mask(com.typesafe.config.ConfigValueFactory.fromMap(settings));
        out.printf("      settings: %s%n", masked.render(concise));
      }
      for (Threshold t : check.rules().thresholds()) {
        StringBuilder sb = new StringBuilder("      threshold " + t.measurement() + ":");
        t.warning().ifPresent(l -> sb.append(" warning ").append(l.describe(t.unit())));
        t.critical().ifPresent(l -> sb.append(" critical ").append(l.describe(t.unit())));
        if (t.hysteresis() > 0) {
          sb.append(" hysteresis ").append(t.unit().format(t.hysteresis()));
        }
        out.println(sb);
      }
      if (!check.dependsOn().isEmpty()) {
        out.printf("      depends on: %s%n", String.join(", ", check.dependsOn()));
      }
      if (!check.onWarning().isEmpty()) {
        out.printf("      on warning: %s%n", String.join(", ", check.onWarning()));
      }
      if (!check.onCritical().isEmpty()) {
        out.printf("      on critical: %s%n", String.join(", ", check.onCritical()));
      }
    }
    if (!c.actions().isEmpty()) {
      out.printf("%d action(s):%n", c.actions().size());
      for (ActionConfig a : c.actions().values()) {
        Policy p = a.policy();
        out.printf("  %s (%s): at most %d attempts within %s, back-off %s..%s, cooldown %s, %s, timeout %s%s%s%n",
            a.name(), a.type(), p.maxAttempts(), human(p.within()), human(p.backoffInitial()), human(p.backoffMax()),
            human(p.cooldown()), p.verify() ? "verified " + human(p.grace()) + " after" : "not verified",
            human(p.timeout()), p.dryRun() ? ", dry-run" : "",
            a.shared() ? "; shared: runs under a lease, budget kept in the lease backend" : "");
        out.printf("      settings: %s%n", Secrets.maskWithUrlPaths(a.raw()).render(concise));
      }
    }
    if (!c.channels().isEmpty()) {
      out.printf("%d notification channel(s):%n", c.channels().size());
      for (ChannelConfig ch : c.channels().values()) {
        out.printf("  %s (%s): %s of %s, grouped over %s, repeated every %s, retried for %s%n", ch.name(), ch.type(),
            String.join("/", new java.util.TreeSet<>(ch.severities())),
            ch.checks().isEmpty() ? "all checks" : String.join(", ", ch.checks()), human(ch.groupWait()),
            ch.repeatInterval().isZero() ? "never" : human(ch.repeatInterval()), human(ch.retryFor()));
        out.printf("      settings: %s%n", Secrets.maskWithUrlPaths(ch.raw()).render(concise));
      }
    }
    out.flush();
  }

  static String human(java.time.Duration d) {
    return dev.medic.config.ConfigLoader.human(d);
  }
}
