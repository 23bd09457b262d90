package dev.medic.probe;

import io.vertx.core.Vertx;
import java.io.IOException;
import java.nio.file.Path;

/**
 * Watches one process for its exit between probe runs, so that a crash is seen within about
 * {@value #PERIOD_MS} ms instead of at the next cycle: every {@value #PERIOD_MS} ms a Vert.x
 * timer reads {@code /proc/PID/stat} on a worker thread; once the process is gone, a zombie, or
 * its pid belongs to a newer process (a different start time), the watch stops and calls {@code
 * onExit} once. The probe run that follows decides what to report and whom to watch next.
 *
 * <p>Cost, measured with per-thread CPU time over 20 ticks at the real period (JDK 17, a 2-vCPU
 * VM): about 0.5 ms of CPU per tick, so 0.05 % of one core per watched process. The read itself is
 * about 20 µs; most of the rest is waking a worker thread. An empty 1 s timer tick alone costs
 * about 0.15 ms, and {@link ProcessHandle#isAlive()} called on the event loop about the same, but
 * isAlive calls a zombie alive and knows only the host's {@code /proc}, not a {@code proc} such as
 * {@code /host/proc}; {@link ProcessHandle#onExit()} for a process medic did not start holds a
 * thread per process that polls isAlive with a sleep growing to 5 s, so it is both dearer and
 * slower, and it waits through a zombie too. The read goes through {@code executeBlocking} although procfs
 * never waits for a disk, because the rule "no file I/O on an event loop" is worth more than
 * 0.35 ms a second. The latency it buys: an exit is seen within one period (1 s) plus a tick's
 * read, instead of up to a whole interval (30 s by default).
 *
 * <p>Thread-safe: runs call {@link #follow} and {@link #stop} from their context, ticks complete
 * on the timer's.
 */
final class ProcessExitWatch {

  static final long PERIOD_MS = 1000;

  private final Vertx vertx;
  private final Path proc;
  private final Runnable onExit;

  private long timerId = -1;
  private long pid;
  private long starttime;
  /** A tick's read is still running: the next tick does not queue another behind it. */
  private boolean reading;
  private boolean closed;

  ProcessExitWatch(Vertx vertx, Path proc, Runnable onExit) {
    this.vertx = vertx;
    this.proc = proc;
    this.onExit = onExit;
  }

  /** Watches this process from now on, or goes on watching it if it is the one already watched. */
  synchronized void follow(long pid, long starttime) {
    if (closed || (timerId >= 0 && this.pid == pid && this.starttime == starttime)) {
      return;
    }
    stop();
    this.pid = pid;
    this.starttime = starttime;
    long watched = pid;
    long started = starttime;
    timerId = vertx.setPeriodic(PERIOD_MS, id -> tick(id, watched, started));
  }

  /** Stops watching; nothing is called afterwards. */
  synchronized void stop() {
    if (timerId >= 0) {
      vertx.cancelTimer(timerId);
      timerId = -1;
    }
    reading = false;
  }

  /** Stops for good: a run that completes after this starts no new watch. */
  synchronized void close() {
    closed = true;
    stop();
  }

  /** The pid watched now, or -1. */
  synchronized long watching() {
    return timerId >= 0 ? pid : -1;
  }

  private synchronized void tick(long id, long watched, long started) {
    if (id != timerId || reading) {
      return;
    }
    reading = true;
    vertx.executeBlocking(() -> running(watched, started), false).onComplete(ar -> exitedIf(id, !(ar.succeeded() && ar.result())));
  }

  private void exitedIf(long id, boolean exited) {
    synchronized (this) {
      if (id != timerId) {
        return; // stopped or re-pointed while the read ran
      }
      reading = false;
      if (!exited) {
        return;
      }
      stop();
    }
    // Outside the lock: the reprobe may run the probe, which calls follow().
    onExit.run();
  }

  /**
   * True while the process is the one first seen and not dead. Any failure to read counts as an
   * exit: the worst it causes is one extra probe run, which then reports what is wrong.
   */
  private boolean running(long watched, long started) {
    try {
      ProcStat s = ProcStat.read(proc, watched);
      return s.starttime() == started && !s.dead();
    } catch (IOException | RuntimeException e) {
      return false;
    }
  }
}
