package dev.medic.evaluate;

import dev.medic.probe.Measurement;
import dev.medic.probe.ProbeResult;
import dev.medic.probe.Status;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Turns probe results into check states: thresholds (with hysteresis), {@code fall}/{@code rise}
 * debounce and flap detection. A pure function of (state, result, now): no clock, no Vert.x.
 */
public final class Evaluator {

  /** A check's evaluation rules, taken from its configuration. */
  public record Rules(int fall, int rise, int flapChanges, Duration flapWindow, List<Threshold> thresholds) {

    public Rules {
      if (fall < 1 || rise < 1) {
        throw new IllegalArgumentException("fall and rise must be at least 1, got " + fall + "/" + rise);
      }
      thresholds = List.copyOf(thresholds);
    }
  }

  /** The new state and the changes worth publishing (none most of the time). */
  public record Outcome(CheckState state, List<StateChange> changes) {}

  private Evaluator() {}

  public static Outcome apply(String check, Rules rules, CheckState prev, ProbeResult raw, Instant now) {
    Map<String, Status> levels = new HashMap<>();
    ProbeResult judged = judge(raw, rules.thresholds(), prev.levels(), levels);
    Status s = judged.status();
    int consecutive = s == prev.lastStatus() && prev.probed() ? prev.consecutive() + 1 : 1;
    List<StateChange> out = new ArrayList<>(2);

    if (!prev.probed()) {
      // The first result sets the state directly: there is nothing to debounce yet.
      CheckState first = new CheckState(s, now, s, 1, 0, List.of(), false, Map.copyOf(levels), judged, now);
      out.add(new StateChange(check, Status.UNKNOWN, s, judged.message(), now, false, StateChange.Kind.STATUS));
      return new Outcome(first, out);
    }

    Status status = prev.status();
    Instant since = prev.since();
    int pending = 0;
    List<Instant> changes = recent(prev.changes(), now, rules.flapWindow());
    if (s != status) {
      boolean worse = s.worseThan(status);
      boolean sameDirection = prev.pending() > 0 && prev.lastStatus().worseThan(status) == worse;
      pending = sameDirection ? prev.pending() + 1 : 1;
      if (pending >= (worse ? rules.fall() : rules.rise())) {
        Status from = status;
        status = s;
        since = now;
        pending = 0;
        changes = new ArrayList<>(changes);
        changes.add(now);
        boolean flappingNow = changes.size() > rules.flapChanges();
        out.add(new StateChange(check, from, s, judged.message(), now, flappingNow, StateChange.Kind.STATUS));
      }
    }
    boolean flapping = changes.size() > rules.flapChanges();
    if (flapping && !prev.flapping()) {
      out.add(new StateChange(check, status, status,
          changes.size() + " state changes within " + rules.flapWindow().toSeconds() + "s (limit "
              + rules.flapChanges() + ")", now, true, StateChange.Kind.FLAPPING_STARTED));
    } else if (!flapping && prev.flapping()) {
      out.add(new StateChange(check, status, status, "settled at " + status, now, false,
          StateChange.Kind.FLAPPING_STOPPED));
    }
    CheckState next = new CheckState(status, since, s, consecutive, pending, List.copyOf(changes), flapping,
        Map.copyOf(levels), judged, now);
    return new Outcome(next, out);
  }

  /**
   * Applies thresholds (and a command's own perfdata ranges) to a result: its status becomes the
   * worst of the probe's own verdict and every breached limit, and its message names the limits.
   *
   * @param previous the level each measurement had last time, for hysteresis
   * @param levels receives the level of each judged measurement
   */
  public static ProbeResult judge(ProbeResult raw, List<Threshold> thresholds,
      Map<String, Status> previous, Map<String, Status> levels) {
    Map<String, Measurement> measurements = new LinkedHashMap<>(raw.measurements());
    if (raw.latency() != null && !measurements.containsKey("latency")) {
      measurements.put("latency", Measurement.seconds(raw.latency().toNanos() / 1e9));
    }
    Status status = raw.status();
    List<String> breaches = new ArrayList<>();
    Map<String, Threshold> configured = new HashMap<>();
    for (Threshold t : thresholds) {
      configured.put(t.measurement(), t);
    }
    for (Map.Entry<String, Measurement> e : measurements.entrySet()) {
      String name = e.getKey();
      Measurement m = e.getValue();
      Threshold t = configured.get(name);
      Status prevLevel = previous.getOrDefault(name, Status.OK);
      Status level = Status.OK;
      String limitText = null;
      if (t != null) {
        level = level(m.value(), t.warning(), t.critical(), t.hysteresis(), prevLevel);
        limitText = limitText(level, t.warning(), t.critical(), m);
        Optional<Limit> crossed = level == Status.CRITICAL ? t.critical() : t.warning();
        if (level != Status.OK && crossed.isPresent() && !crossed.get().breached(m.value())) {
          // Kept by hysteresis: say so, rather than claim the limit is crossed.
          limitText = "held " + level.label() + " (" + crossed.get().describe(m.unit()) + ", within the "
              + m.unit().format(t.hysteresis()) + " hysteresis margin)";
        }
      }
      Status own = level(m.value(), m.warning(), m.critical(), 0, Status.OK);
      if (own.worseThan(level)) {
        level = own;
        limitText = limitText(own, m.warning(), m.critical(), m);
      }
      if (t != null || m.warning().isPresent() || m.critical().isPresent()) {
        levels.put(name, level);
      }
      if (level != Status.OK) {
        breaches.add(name + " " + m.formatted() + " " + limitText);
        status = Status.worst(status, level);
      }
    }
    String message = breaches.isEmpty() ? raw.message() : String.join("; ", breaches) + " — " + raw.message();
    return new ProbeResult(status, message, raw.latency(), measurements);
  }

  static Status level(double v, Optional<Limit> warning, Optional<Limit> critical, double hysteresis,
      Status previous) {
    if (critical.isPresent()) {
      Limit c = critical.get();
      if (c.breached(v) || (hysteresis > 0 && previous == Status.CRITICAL && c.heldWithin(v, hysteresis))) {
        return Status.CRITICAL;
      }
    }
    if (warning.isPresent()) {
      Limit w = warning.get();
      boolean wasWarning = previous == Status.WARNING || previous == Status.CRITICAL;
      if (w.breached(v) || (hysteresis > 0 && wasWarning && w.heldWithin(v, hysteresis))) {
        return Status.WARNING;
      }
    }
    return Status.OK;
  }

  /** {@code ≥ critical 90%} for a plain bound, {@code critical (outside 0:10)} for a range. */
  private static String limitText(Status level, Optional<Limit> warning, Optional<Limit> critical, Measurement m) {
    Optional<Limit> limit = level == Status.CRITICAL ? critical : warning;
    String name = level.label();
    if (limit.isEmpty()) {
      return name;
    }
    if (limit.get() instanceof Bound b) {
      return (b.lowerIsWorse() ? "≤ " : "≥ ") + name + " " + m.unit().format(b.value());
    }
    return name + " (" + limit.get().describe(m.unit()) + ")";
  }

  private static List<Instant> recent(List<Instant> changes, Instant now, Duration window) {
    Instant cutoff = now.minus(window);
    List<Instant> kept = new ArrayList<>(changes.size());
    for (Instant t : changes) {
      if (t.isAfter(cutoff)) {
        kept.add(t);
      }
    }
    return kept;
  }
}
