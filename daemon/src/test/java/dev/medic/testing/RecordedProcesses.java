package dev.medic.testing;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Processes a test's scripts said they started, one pid a line in a file, and which of them are
 * still running according to /proc. A test kills the survivors afterwards so that a failed
 * assertion leaves nothing behind.
 */
public final class RecordedProcesses {

  private final Path file;

  public RecordedProcesses(Path file) {
    this.file = file;
  }

  public Path file() {
    return file;
  }

  public List<Long> pids() throws IOException {
    if (!Files.exists(file)) {
      return List.of();
    }
    return Files.readAllLines(file).stream().map(String::trim).filter(s -> !s.isEmpty()).map(Long::valueOf).toList();
  }

  /** Recorded pids still running, with their command lines; a zombie has stopped running. */
  public List<String> survivors() throws IOException {
    List<String> alive = new ArrayList<>();
    for (long pid : pids()) {
      Path proc = Path.of("/proc", Long.toString(pid));
      try {
        String stat = Files.readString(proc.resolve("stat"));
        char state = stat.charAt(stat.lastIndexOf(')') + 2);
        if (state != 'Z' && state != 'X') {
          alive.add(pid + " " + state + " " + Files.readString(proc.resolve("cmdline")).replace('\0', ' ').trim());
        }
      } catch (IOException e) {
        // no such process any more
      }
    }
    return alive;
  }

  /**
   * Completes once no recorded process runs any more, or when {@code within} has passed (the
   * caller then asserts on {@link #survivors()}). SIGKILL is sent before an action answers; the
   * kernel may take a moment to finish the processes off.
   */
  public Future<Void> gone(Vertx vertx, Duration within) {
    Promise<Void> done = Promise.promise();
    long deadline = System.nanoTime() + within.toNanos();
    vertx.setPeriodic(0, 50, id -> {
      try {
        if (survivors().isEmpty() || System.nanoTime() > deadline) {
          vertx.cancelTimer(id);
          done.tryComplete();
        }
      } catch (IOException e) {
        vertx.cancelTimer(id);
        done.tryFail(e);
      }
    });
    return done.future();
  }

  public void killSurvivors() throws IOException {
    for (long pid : pids()) {
      ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
    }
  }
}
