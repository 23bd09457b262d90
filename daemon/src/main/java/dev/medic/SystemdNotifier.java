package dev.medic;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The systemd notify protocol for {@code Type=notify} units: {@code READY=1} once {@code /ready}
 * first turns true, then {@code WATCHDOG=1} every half {@code WatchdogSec} while the scheduler's
 * heartbeat is fresh — a stalled scheduler stops the pings and systemd restarts medic.
 *
 * <p>Java 17 cannot send a datagram to a Unix socket, so each message is one run of
 * {@code systemd-notify} (found on {@code PATH}); the unit must say {@code NotifyAccess=all} for
 * systemd to accept a message from that child. systemd-notify waits until systemd has read the
 * message (its default since systemd 246), so the child is still alive, and in medic's cgroup,
 * when systemd attributes it. The runs happen on a worker thread, never on an event loop; a run
 * that hangs is killed after {@link #RUN_TIMEOUT_MS} and a ping is skipped while one is running.
 *
 * <p>Without {@code NOTIFY_SOCKET} (not started by systemd, or not as {@code Type=notify}) this
 * does nothing at all. The trap: {@code WATCHDOG_USEC} without a matching {@code WATCHDOG_PID}
 * belongs to another process (medic started by a script that systemd watches) and is ignored.
 */
public final class SystemdNotifier {

  private static final Logger log = LoggerFactory.getLogger(SystemdNotifier.class);
  static final long READY_POLL_MS = 250;
  static final long RUN_TIMEOUT_MS = 5_000;

  private final Vertx vertx;
  private final List<String> command;
  private final long watchdogMs;
  private final BooleanSupplier ready;
  private final BooleanSupplier ticking;
  private final AtomicBoolean busy = new AtomicBoolean();
  private volatile long readyTimer = -1;
  private volatile long watchdogTimer = -1;
  private volatile boolean stopped;

  private SystemdNotifier(Vertx vertx, List<String> command, long watchdogMs, BooleanSupplier ready,
      BooleanSupplier ticking) {
    this.vertx = vertx;
    this.command = command;
    this.watchdogMs = watchdogMs;
    this.ready = ready;
    this.ticking = ticking;
  }

  /**
   * A notifier for the environment medic was started with, already running; one that does
   * nothing when {@code NOTIFY_SOCKET} is not set.
   *
   * @param ready true once every check has its first result (what {@code /ready} answers)
   * @param ticking true while the scheduler's heartbeat is fresh (what {@code /health} answers)
   */
  public static SystemdNotifier start(Vertx vertx, Map<String, String> env, BooleanSupplier ready,
      BooleanSupplier ticking) {
    String socket = env.get("NOTIFY_SOCKET");
    if (socket == null || socket.isBlank()) {
      return new SystemdNotifier(vertx, null, 0, ready, ticking);
    }
    long watchdogMs = watchdogIntervalMs(env, ProcessHandle.current().pid());
    SystemdNotifier n = new SystemdNotifier(vertx, List.of("systemd-notify"), watchdogMs, ready, ticking);
    log.atInfo().addKeyValue("watchdog", watchdogMs > 0 ? "every " + watchdogMs + " ms" : "off")
        .log("systemd notify protocol on");
    n.readyTimer = vertx.setPeriodic(READY_POLL_MS, id -> n.pollReady());
    return n;
  }

  /**
   * Half of {@code WATCHDOG_USEC} in milliseconds (at least 1), as sd_watchdog_enabled(3)
   * recommends; 0 when the watchdog is off or meant for another process.
   */
  static long watchdogIntervalMs(Map<String, String> env, long pid) {
    String usec = env.get("WATCHDOG_USEC");
    if (usec == null || usec.isBlank()) {
      return 0;
    }
    String forPid = env.get("WATCHDOG_PID");
    try {
      if (forPid != null && !forPid.isBlank() && Long.parseLong(forPid.trim()) != pid) {
        return 0;
      }
      long us = Long.parseLong(usec.trim());
      return us <= 0 ? 0 : Math.max(1, us / 2_000);
    } catch (NumberFormatException e) {
      log.atWarn().addKeyValue("WATCHDOG_USEC", usec).addKeyValue("WATCHDOG_PID", forPid)
          .log("ignoring a watchdog setting that is not a number");
      return 0;
    }
  }

  /** Whether this notifier talks to systemd at all. */
  public boolean active() {
    return command != null;
  }

  private void pollReady() {
    if (stopped || !ready.getAsBoolean()) {
      return;
    }
    vertx.cancelTimer(readyTimer);
    readyTimer = -1;
    send("READY=1", "STATUS=ready: every check has a result").onSuccess(ok -> {
      if (ok) {
        log.atInfo().log("told systemd: ready");
      }
    });
    if (watchdogMs > 0 && !stopped) {
      watchdogTimer = vertx.setPeriodic(watchdogMs, id -> pingWatchdog());
    }
  }

  private void pingWatchdog() {
    if (stopped) {
      return;
    }
    if (!ticking.getAsBoolean()) {
      // No ping: systemd's watchdog ends a medic whose scheduler is stuck and restarts it.
      log.atWarn().log("scheduler heartbeat is stale; withholding the systemd watchdog ping");
      return;
    }
    send("WATCHDOG=1");
  }

  /**
   * Tells systemd medic is stopping ({@code STOPPING=1}) and stops the timers; the returned
   * future completes once that message went out (or could not).
   */
  public Future<Void> stop() {
    if (command == null || stopped) {
      stopped = true;
      return Future.succeededFuture();
    }
    stopped = true;
    vertx.cancelTimer(readyTimer);
    vertx.cancelTimer(watchdogTimer);
    return run(List.of("STOPPING=1", "STATUS=stopping")).mapEmpty();
  }

  /** One systemd-notify run, unless one is still under way; true when it exited 0. */
  private Future<Boolean> send(String... assignments) {
    if (stopped || !busy.compareAndSet(false, true)) {
      return Future.succeededFuture(false);
    }
    return run(List.of(assignments)).onComplete(ar -> busy.set(false));
  }

  private Future<Boolean> run(List<String> assignments) {
    List<String> cmd = new ArrayList<>(command);
    cmd.addAll(assignments);
    return vertx.executeBlocking(() -> {
      Process p;
      try {
        p = new ProcessBuilder(cmd).redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
      } catch (IOException e) {
        log.atWarn().addKeyValue("command", String.join(" ", cmd)).addKeyValue("error", e.getMessage())
            .log("cannot run systemd-notify");
        return false;
      }
      if (!p.waitFor(RUN_TIMEOUT_MS, TimeUnit.MILLISECONDS)) {
        p.destroyForcibly();
        log.atWarn().addKeyValue("command", String.join(" ", cmd)).addKeyValue("timeout", RUN_TIMEOUT_MS + "ms")
            .log("systemd-notify did not finish; killed it");
        return false;
      }
      if (p.exitValue() != 0) {
        log.atWarn().addKeyValue("command", String.join(" ", cmd)).addKeyValue("exit", p.exitValue())
            .log("systemd-notify failed");
        return false;
      }
      return true;
    }, false);
  }
}
