package dev.medic.schedule;

import dev.medic.probe.Status;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The checks medic is running now, in configuration order, for the API and other modules to read.
 * Swapped whole by the scheduler; readers get a consistent view without locks.
 */
public final class LiveChecks {

  private volatile Map<String, CheckRuntime> checks = Map.of();

  void replace(Map<String, CheckRuntime> next) {
    this.checks = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(next));
  }

  public Collection<CheckRuntime> all() {
    return checks.values();
  }

  public Optional<CheckRuntime> find(String name) {
    return Optional.ofNullable(checks.get(name));
  }

  /** True once every check has had its first result. */
  public boolean ready() {
    for (CheckRuntime c : checks.values()) {
      if (!c.state().probed()) {
        return false;
      }
    }
    return true;
  }

  /** The most severe confirmed state over all checks (critical outranks unknown); {@code ok} with no checks. */
  public Status overall() {
    Status worst = Status.OK;
    for (CheckRuntime c : checks.values()) {
      worst = Status.mostSevere(worst, c.state().status());
    }
    return worst;
  }

  /** The checks {@code name} depends on that are critical now: its actions and notifications wait. */
  public List<String> suppressedBy(String name) {
    CheckRuntime c = checks.get(name);
    if (c == null) {
      return List.of();
    }
    List<String> out = new ArrayList<>();
    for (String dep : c.config().dependsOn()) {
      CheckRuntime d = checks.get(dep);
      if (d != null && d.state().status() == Status.CRITICAL) {
        out.add(dep);
      }
    }
    return out;
  }
}
