package dev.medic.testing;

import dev.medic.config.Settings;
import dev.medic.probe.MeasurementSpec;
import dev.medic.probe.Probe;
import dev.medic.probe.ProbeContext;
import dev.medic.probe.ProbeResult;
import dev.medic.probe.ProbeType;
import dev.medic.probe.Unit;
import io.vertx.core.Future;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * A probe type ({@code type = scripted}) whose results the test decides, per check, so that the
 * scheduler's timing, deadlines and debounce can be observed exactly. Records when each run
 * started and how many ran at once.
 */
public final class ScriptedProbeType implements ProbeType {

  /** Behaviour of one check's probe: run number (from 1) → result. */
  private final Map<String, Function<Integer, Future<ProbeResult>>> scripts = new ConcurrentHashMap<>();
  private final Map<String, List<Long>> starts = new ConcurrentHashMap<>();
  private final Map<String, AtomicInteger> inFlight = new ConcurrentHashMap<>();
  private final Map<String, AtomicInteger> maxInFlight = new ConcurrentHashMap<>();
  private final Map<String, ProbeContext> contexts = new ConcurrentHashMap<>();

  public ScriptedProbeType script(String check, Function<Integer, Future<ProbeResult>> behaviour) {
    scripts.put(check, behaviour);
    return this;
  }

  /** Nano times at which the check's probe was started. */
  public List<Long> starts(String check) {
    return starts.computeIfAbsent(check, c -> new CopyOnWriteArrayList<>());
  }

  public int maxInFlight(String check) {
    return maxInFlight.computeIfAbsent(check, c -> new AtomicInteger()).get();
  }

  /** The live context the scheduler gave the check's probe (for reprobe requests). */
  public ProbeContext context(String check) {
    return contexts.get(check);
  }

  @Override
  public String type() {
    return "scripted";
  }

  @Override
  public Map<String, MeasurementSpec> measurements() {
    return Map.of("value", MeasurementSpec.higherIsWorse(Unit.NUMBER));
  }

  @Override
  public Probe create(Settings settings, ProbeContext context) {
    settings.string("note", "");
    String check = context.checkName();
    contexts.put(check, context);
    AtomicInteger runs = new AtomicInteger();
    return () -> {
      starts(check).add(System.nanoTime());
      AtomicInteger now = inFlight.computeIfAbsent(check, c -> new AtomicInteger());
      int n = now.incrementAndGet();
      maxInFlight.computeIfAbsent(check, c -> new AtomicInteger()).accumulateAndGet(n, Math::max);
      Function<Integer, Future<ProbeResult>> script = scripts.getOrDefault(check, i -> Future.succeededFuture(
          ProbeResult.ok("fine")));
      Future<ProbeResult> f = script.apply(runs.incrementAndGet());
      if (f == null) {
        now.decrementAndGet();
        return null; // a broken probe, as the script asked
      }
      return f.onComplete(ar -> now.decrementAndGet());
    };
  }
}
