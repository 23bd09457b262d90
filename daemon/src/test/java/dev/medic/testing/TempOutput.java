package dev.medic.testing;

import io.vertx.core.Vertx;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/**
 * Watches the temporary files medic writes program output to ({@code medic-process-*} in the
 * temporary directory) and keeps the largest size any of them reached while watched. Other test JVMs on
 * the machine may write such files too: compare with a bound far below what a flood writes.
 */
public final class TempOutput {

  private final Vertx vertx;
  private final AtomicLong largest = new AtomicLong();
  private final long timer;

  private TempOutput(Vertx vertx) {
    this.vertx = vertx;
    this.timer = vertx.setPeriodic(0, 20, id -> vertx.executeBlocking(() -> {
      sample();
      return null;
    }, false));
  }

  public static TempOutput watch(Vertx vertx) {
    return new TempOutput(vertx);
  }

  /** Stops watching and returns the largest size seen, in bytes. */
  public long stop() {
    vertx.cancelTimer(timer);
    sample();
    return largest.get();
  }

  /**
   * Where Files.createTempFile writes: the java.io.tmpdir the JVM started with, which the
   * property surefire sets later does not change.
   */
  private static Path tempDir() throws IOException {
    Path probe = Files.createTempFile("medic-temp-output-", "");
    Files.delete(probe);
    return probe.getParent();
  }

  private void sample() {
    try (Stream<Path> files = Files.list(tempDir())) {
      files.filter(p -> p.getFileName().toString().startsWith("medic-process-")).forEach(p -> {
        try {
          largest.accumulateAndGet(Files.size(p), Math::max);
        } catch (IOException e) {
          // deleted while we looked
        }
      });
    } catch (IOException e) {
      // nothing to see this time
    }
  }

  /** Heap in use after a full collection, in bytes. */
  public static long heapAfterGc() {
    Runtime rt = Runtime.getRuntime();
    System.gc();
    return rt.totalMemory() - rt.freeMemory();
  }

  /** Open file descriptors of this JVM. */
  public static long openDescriptors() throws IOException {
    try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
      return fds.count();
    }
  }

  /** Live processes (not zombies) whose process group or session is {@code id}, as "pid cmdline". */
  public static java.util.List<String> groupMembers(long id) throws IOException {
    java.util.List<String> found = new java.util.ArrayList<>();
    try (Stream<Path> dirs = Files.list(Path.of("/proc"))) {
      for (Path dir : dirs.filter(d -> d.getFileName().toString().matches("[0-9]+")).toList()) {
        try {
          String stat = Files.readString(dir.resolve("stat"));
          String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
          if (!f[0].equals("Z") && (f[2].equals(Long.toString(id)) || f[3].equals(Long.toString(id)))) {
            found.add(dir.getFileName() + " " + Files.readString(dir.resolve("cmdline")).replace('\0', ' ').trim());
          }
        } catch (IOException e) {
          // gone
        }
      }
    }
    return found;
  }
}
