package dev.medic.schedule;

import dev.medic.config.CheckConfig;
import dev.medic.evaluate.CheckState;
import dev.medic.probe.Probe;
import java.time.Instant;

/**
 * A running check: its configuration, its probe and its latest state. The scheduler's context
 * alone writes it; other verticles read {@link #state()}, an immutable record published through a
 * volatile field.
 */
public final class CheckRuntime {

  private static final int HISTORY = 30;

  // Replaced by a reload on the scheduler's context; read from other threads.
  volatile CheckConfig config;
  volatile Probe probe;
  private volatile CheckState state;
  private final double[] latencyHistory = new double[HISTORY];
  private int historyCount;
  private int historyNext;

  // Scheduler bookkeeping, touched only on the scheduler's context.
  long timerId = -1;
  long dueNanos;
  long anchorNanos;
  boolean running;
  boolean reprobeRequested;
  boolean stopped;
  /** Probes replaced by a reload while a run was using them: closed when that run ends. */
  final java.util.List<Probe> retiring = new java.util.ArrayList<>(1);

  CheckRuntime(CheckConfig config, Probe probe, Instant now) {
    this.config = config;
    this.probe = probe;
    this.state = CheckState.initial(now);
  }

  public CheckConfig config() {
    return config;
  }

  public String name() {
    return config.name();
  }

  public CheckState state() {
    return state;
  }

  void state(CheckState next) {
    this.state = next;
  }

  void recordLatency(double seconds) {
    synchronized (latencyHistory) {
      latencyHistory[historyNext] = seconds;
      historyNext = (historyNext + 1) % HISTORY;
      historyCount = Math.min(HISTORY, historyCount + 1);
    }
  }

  /** The latest probe latencies in seconds, oldest first (at most 30). */
  public double[] latencyHistory() {
    synchronized (latencyHistory) {
      double[] out = new double[historyCount];
      int start = (historyNext - historyCount + HISTORY) % HISTORY;
      for (int i = 0; i < historyCount; i++) {
        out[i] = latencyHistory[(start + i) % HISTORY];
      }
      return out;
    }
  }
}
