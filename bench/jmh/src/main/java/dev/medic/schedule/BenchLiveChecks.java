package dev.medic.schedule;

import dev.medic.config.CheckConfig;
import dev.medic.evaluate.CheckState;
import java.time.Instant;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;

/**
 * The live checks a running medic has, built without running the scheduler: in medic only the
 * scheduler fills {@link LiveChecks}, so this lives in its package (in the benchmark module).
 */
public final class BenchLiveChecks {

  private BenchLiveChecks() {}

  /**
   * @param state each check's current state
   * @param latencies the latency history (seconds) every check has, as after that many rounds
   */
  public static LiveChecks of(Collection<CheckConfig> checks, Function<CheckConfig, CheckState> state,
      double[] latencies) {
    Map<String, CheckRuntime> runtimes = new LinkedHashMap<>();
    for (CheckConfig c : checks) {
      CheckRuntime rt = new CheckRuntime(c, null, Instant.EPOCH);
      rt.state(state.apply(c));
      for (double l : latencies) {
        rt.recordLatency(l);
      }
      runtimes.put(c.name(), rt);
    }
    LiveChecks live = new LiveChecks();
    live.replace(runtimes);
    return live;
  }
}
