package dev.medic.probe;

import dev.medic.process.SearchPath;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Reads the file system holding a path through {@link FileStore} (statvfs) and, for inodes, the
 * coreutils {@code stat -f} program, on a worker thread.
 *
 * <p>statvfs on a hung network mount blocks in the kernel and cannot be interrupted. So that one
 * such mount holds at most one worker thread, a run that finds the previous one still blocked
 * reports critical at once instead of queuing another.
 */
final class DiskProbe implements Probe {

  /** Bytes of {@code stat} output worth reading: two numbers. */
  private static final int STAT_OUTPUT_LIMIT = 256;

  private final Vertx vertx;
  private final String path;
  private final Duration timeout;
  /** System.nanoTime() when the blocked-or-running read started; 0 when none runs. */
  private final AtomicLong readingSince = new AtomicLong();

  DiskProbe(ProbeContext context, String path) {
    this.vertx = context.vertx();
    this.path = path;
    this.timeout = context.timeout();
  }

  @Override
  public Future<ProbeResult> run() {
    long now = System.nanoTime();
    if (!readingSince.compareAndSet(0, now)) {
      Duration stuck = Duration.ofNanos(now - readingSince.get());
      return Future.succeededFuture(ProbeResult.critical(
          "reading the file system of " + path + " has not returned for "
              + Unit.SECONDS.format(stuck.toMillis() / 1000.0) + " (a hung mount?)"));
    }
    return vertx.<ProbeResult>executeBlocking(this::read, false)
        .andThen(done -> readingSince.set(0));
  }

  private ProbeResult read() {
    Path p = Path.of(path);
    FileStore store;
    long total;
    long unallocated;
    long available;
    try {
      store = Files.getFileStore(p);
      total = store.getTotalSpace();
      unallocated = store.getUnallocatedSpace();
      available = store.getUsableSpace();
    } catch (NoSuchFileException e) {
      return ProbeResult.critical(path + " does not exist");
    } catch (IOException | SecurityException e) {
      return ProbeResult.critical("cannot read the file system of " + path + ": " + e);
    }
    // As df: used excludes the blocks reserved for root, and Use% is used / (used + available),
    // so a disk whose reserve is all that is left reads 100%.
    long used = Math.max(0, total - unallocated);
    long usable = used + available;
    double usedRatio = usable == 0 ? 0 : (double) used / usable;

    Map<String, Measurement> m = new LinkedHashMap<>();
    m.put("used", Measurement.ratio(usedRatio));
    m.put("free", Measurement.bytes(available));
    StringBuilder message = new StringBuilder()
        .append(path).append(' ').append(dfPercent(used, usable)).append("% used, ")
        .append(Unit.BYTES.format(available)).append(" free");
    OptionalDouble inodes = inodesUsed();
    if (inodes.isPresent()) {
      m.put("inodes-used", Measurement.ratio(inodes.getAsDouble()));
      message.append(", inodes ").append(Unit.RATIO.format(inodes.getAsDouble())).append(" used");
    }
    return ProbeResult.of(Status.OK, message.toString(), m);
  }

  /** df rounds Use% up, so "100%" means really full and a sliver over a limit is not hidden. */
  private static long dfPercent(long used, long usable) {
    return usable == 0 ? 0 : (used * 100 + usable - 1) / usable;
  }

  /**
   * Java's FileStore does not expose inode counts; {@code stat -f -c '%c %d'} prints total and
   * free inodes. Empty when stat is missing, fails, or the file system reports no inodes (btrfs,
   * some FUSE and network file systems), so the measurement is left out rather than faked.
   */
  private OptionalDouble inodesUsed() {
    Optional<Path> stat = SearchPath.ofProcess().find("stat");
    if (stat.isEmpty()) {
      return OptionalDouble.empty();
    }
    ProcessBuilder pb = new ProcessBuilder(stat.get().toString(), "-f", "-c", "%c %d", "--", path)
        .redirectError(ProcessBuilder.Redirect.DISCARD)
        .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()));
    Process process = null;
    try {
      process = pb.start();
      // The output is a few bytes and fits the pipe, so waiting before reading cannot deadlock,
      // and the wait is bounded where a read of a stuck process would not be.
      if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS) || process.exitValue() != 0) {
        return OptionalDouble.empty();
      }
      String out;
      try (InputStream in = process.getInputStream()) {
        out = new String(in.readNBytes(STAT_OUTPUT_LIMIT), StandardCharsets.US_ASCII).trim();
      }
      String[] parts = out.split("\\s+");
      if (parts.length != 2) {
        return OptionalDouble.empty();
      }
      long totalInodes = Long.parseLong(parts[0]);
      long freeInodes = Long.parseLong(parts[1]);
      if (totalInodes <= 0 || freeInodes < 0 || freeInodes > totalInodes) {
        return OptionalDouble.empty();
      }
      return OptionalDouble.of((double) (totalInodes - freeInodes) / totalInodes);
    } catch (IOException | NumberFormatException e) {
      return OptionalDouble.empty();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return OptionalDouble.empty();
    } finally {
      if (process != null && process.isAlive()) {
        process.destroyForcibly();
      }
    }
  }
}
