package dev.medic.notify;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * Notifications on disk until delivered: one file per (channel, event) under
 * {@code journal.dir/outbox/CHANNEL/}, written and fsynced before any attempt to send it, deleted
 * once the channel confirmed delivery, moved to {@code outbox/given-up/} when its retry time ran
 * out (where the newest {@link #KEEP_ASIDE} per channel are kept). A receiver that is down, or a
 * restart of medic, loses nothing; at worst an event is sent twice, and its stable id lets the
 * receiver tell. How much a channel may queue is the notifier's decision ({@code outbox.max-events},
 * {@code outbox.max-size}); a write that fails leaves no partial file behind.
 *
 * <p>File work runs in order on one worker thread of its own, never on an event loop.
 */
public final class Outbox {

  /**
   * An event waiting for one channel, with the file that holds it, or none when the outbox could
   * not be written (a full disk): then it waits in memory only, and is written again later.
   *
   * @param size the event's size on disk (its JSON), what the channel's {@code outbox.max-size} counts
   */
  public record Entry(Path file, Event event, long size) {

    /** An event the outbox could not take: it is delivered from memory, and lost if medic stops first. */
    public static Entry inMemory(Event event) {
      return new Entry(null, event, encoded(event).length);
    }

    public boolean onDisk() {
      return file != null;
    }
  }

  /** At most this many files are kept per channel in {@code given-up/} and {@code unreadable/}; the oldest go first. */
  static final int KEEP_ASIDE = 1_000;

  private final Path dir;
  private final WorkerExecutor io;

  private Outbox(Vertx vertx, Path dir) {
    this.dir = dir;
    this.io = vertx.createSharedWorkerExecutor("medic-outbox-" + dir, 1);
  }

  public static Outbox open(Vertx vertx, Path journalDir) {
    return new Outbox(vertx, journalDir.resolve("outbox"));
  }

  /** Writes the event for the channel; completes once it is on disk. An id already queued is kept once. */
  public Future<Entry> put(String channel, Event event) {
    return io.executeBlocking(() -> {
      Path d = Files.createDirectories(dir.resolve(channel));
      Path file = d.resolve(String.format("%013d-%s.json", event.at().toEpochMilli(), safe(event.id())));
      byte[] bytes = encoded(event);
      if (!Files.exists(file)) {
        Path tmp = d.resolve(file.getFileName() + ".tmp");
        try {
          try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
              StandardOpenOption.TRUNCATE_EXISTING)) {
            java.nio.ByteBuffer buf = java.nio.ByteBuffer.wrap(bytes);
            while (buf.hasRemaining()) {
              ch.write(buf);
            }
            ch.force(true);
          }
          // Renamed into place whole: a crash leaves either the event or nothing, never half of it.
          Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException | RuntimeException e) {
          // A full disk: the half-written file would only take the room the next write needs.
          Files.deleteIfExists(tmp);
          throw e;
        }
      }
      return new Entry(file, event, bytes.length);
    }, true);
  }

  private static byte[] encoded(Event event) {
    return event.toJson().encode().getBytes(StandardCharsets.UTF_8);
  }

  /** Everything still waiting for the channel, oldest first (at start, after a restart). */
  public Future<List<Entry>> pending(String channel) {
    return io.executeBlocking(() -> {
      Path d = dir.resolve(channel);
      List<Entry> out = new ArrayList<>();
      if (!Files.isDirectory(d)) {
        return out;
      }
      List<Path> files = new ArrayList<>();
      try (DirectoryStream<Path> s = Files.newDirectoryStream(d, "*.json")) {
        s.forEach(files::add);
      }
      files.sort(null);
      for (Path f : files) {
        try {
          byte[] bytes = Files.readAllBytes(f);
          out.add(new Entry(f, Event.fromJson(new JsonObject(new String(bytes, StandardCharsets.UTF_8))), bytes.length));
        } catch (IOException | RuntimeException unreadable) {
          moveAside(f, "unreadable");
        }
      }
      pruneAside("unreadable", channel);
      return out;
    }, true);
  }

  /** Delivered, or shed by the channel's cap: forget them. */
  public Future<Void> delivered(List<Entry> entries) {
    return io.executeBlocking(() -> {
      for (Entry e : entries) {
        if (e.onDisk()) {
          Files.deleteIfExists(e.file());
        }
      }
      return null;
    }, true);
  }

  /** Retried for too long: kept aside for an operator, out of the queue (the newest {@link #KEEP_ASIDE} per channel). */
  public Future<Void> givenUp(List<Entry> entries) {
    return io.executeBlocking(() -> {
      java.util.Set<String> channels = new java.util.HashSet<>();
      for (Entry e : entries) {
        if (e.onDisk()) {
          moveAside(e.file(), "given-up");
          channels.add(e.file().getParent().getFileName().toString());
        }
      }
      for (String channel : channels) {
        pruneAside("given-up", channel);
      }
      return null;
    }, true);
  }

  public Future<Void> close() {
    return io.close();
  }

  private void moveAside(Path f, String where) throws IOException {
    String channel = f.getParent().getFileName().toString();
    Path aside = Files.createDirectories(dir.resolve(where));
    Files.move(f, aside.resolve(channel + "-" + f.getFileName()), StandardCopyOption.REPLACE_EXISTING);
  }

  /** Kept for an operator to look at, not for ever: a receiver down for weeks must not fill the disk. */
  private void pruneAside(String where, String channel) throws IOException {
    Path aside = dir.resolve(where);
    if (!Files.isDirectory(aside)) {
      return;
    }
    List<Path> kept = new ArrayList<>();
    // CHANNEL-<13 digits>-ID.json: the digits keep channel "ops" from matching the files of "ops-eu".
    java.util.regex.Pattern mine = java.util.regex.Pattern.compile(java.util.regex.Pattern.quote(channel) + "-\\d{13}-.*");
    try (DirectoryStream<Path> s = Files.newDirectoryStream(aside, p -> mine.matcher(p.getFileName().toString()).matches())) {
      s.forEach(kept::add);
    }
    if (kept.size() > KEEP_ASIDE) {
      kept.sort(null); // the channel's name, then the event's time: oldest first
      for (Path old : kept.subList(0, kept.size() - KEEP_ASIDE)) {
        Files.deleteIfExists(old);
      }
    }
  }

  private static String safe(String id) {
    return id.replaceAll("[^A-Za-z0-9._-]", "_");
  }
}
