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
 * out. A receiver that is down, or a restart of medic, loses nothing; at worst an event is sent
 * twice, and its stable id lets the receiver tell.
 *
 * <p>File work runs in order on one worker thread of its own, never on an event loop.
 */
public final class Outbox {

  /** An event waiting for one channel, with the file that holds it. */
  public record Entry(Path file, Event event) {}

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
      if (!Files.exists(file)) {
        Path tmp = d.resolve(file.getFileName() + ".tmp");
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
            StandardOpenOption.TRUNCATE_EXISTING)) {
          ch.write(java.nio.ByteBuffer.wrap(event.toJson().encode().getBytes(StandardCharsets.UTF_8)));
          ch.force(true);
        }
        // Renamed into place whole: a crash leaves either the event or nothing, never half of it.
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
      }
      return new Entry(file, event);
    }, true);
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
          out.add(new Entry(f, Event.fromJson(new JsonObject(Files.readString(f, StandardCharsets.UTF_8)))));
        } catch (IOException | RuntimeException unreadable) {
          moveAside(f, "unreadable");
        }
      }
      return out;
    }, true);
  }

  /** Delivered: forget them. */
  public Future<Void> delivered(List<Entry> entries) {
    return io.executeBlocking(() -> {
      for (Entry e : entries) {
        Files.deleteIfExists(e.file());
      }
      return null;
    }, true);
  }

  /** Retried for too long: kept aside for an operator, out of the queue. */
  public Future<Void> givenUp(List<Entry> entries) {
    return io.executeBlocking(() -> {
      for (Entry e : entries) {
        moveAside(e.file(), "given-up");
      }
      return null;
    }, true);
  }

  public Future<Void> close() {
    return io.close();
  }

  private void moveAside(Path f, String where) throws IOException {
    Path target = Files.createDirectories(dir.resolve(where)).resolve(f.getParent().getFileName() + "-"
        + f.getFileName());
    Files.move(f, target, StandardCopyOption.REPLACE_EXISTING);
  }

  private static String safe(String id) {
    return id.replaceAll("[^A-Za-z0-9._-]", "_");
  }
}
