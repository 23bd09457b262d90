package dev.medic.recovery;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * The durable record of what medic saw and did: JSON lines under {@code journal.dir}, one record a
 * line, rotated by size. Action records are fsynced before the append completes, so a crash or a
 * restart of medic loses no attempt: budgets are rebuilt from here at start.
 *
 * <p>Writes run in order on one worker thread of their own, never on an event loop.
 */
public final class Journal {

  public static final String FILE = "journal.jsonl";
  private static final long DEFAULT_MAX_BYTES = 10L * 1024 * 1024;
  private static final int KEEP = 5;

  private final Path dir;
  private final long maxBytes;
  private final WorkerExecutor writer;
  private FileChannel channel;
  private volatile boolean closed;

  private Journal(Vertx vertx, Path dir, long maxBytes) {
    this.dir = dir;
    this.maxBytes = maxBytes;
    this.writer = vertx.createSharedWorkerExecutor("medic-journal-" + dir, 1);
  }

  /** Opens (creating the directory if needed) the journal in {@code dir}. */
  public static Future<Journal> open(Vertx vertx, Path dir) {
    return open(vertx, dir, DEFAULT_MAX_BYTES);
  }

  static Future<Journal> open(Vertx vertx, Path dir, long maxBytes) {
    Journal j = new Journal(vertx, dir, maxBytes);
    return j.writer.executeBlocking(() -> {
      Files.createDirectories(dir);
      j.channel = openChannel(dir.resolve(FILE));
      return j;
    }, true);
  }

  /** Appends a record; with {@code sync} the future completes only once it is on disk. */
  public Future<Void> append(JsonObject record, boolean sync) {
    if (closed) {
      return Future.failedFuture(new IllegalStateException("the journal in " + dir + " is closed"));
    }
    byte[] line = (record.encode() + "\n").getBytes(StandardCharsets.UTF_8);
    return writer.executeBlocking(() -> {
      if (channel == null || !channel.isOpen()) {
        throw new IllegalStateException("the journal in " + dir + " is closed");
      }
      if (channel.size() + line.length > maxBytes && channel.size() > 0) {
        rotate();
      }
      ByteBuffer buf = ByteBuffer.wrap(line);
      while (buf.hasRemaining()) {
        channel.write(buf);
      }
      if (sync) {
        channel.force(false);
      }
      return null;
    }, true);
  }

  /** Every record of the journal, oldest first, rotated files included (blocking: a worker's job). */
  public Future<List<JsonObject>> readAll() {
    return writer.executeBlocking(() -> read(dir), true);
  }

  public Future<Void> close() {
    if (closed) {
      return Future.succeededFuture();
    }
    closed = true;
    return writer.<Void>executeBlocking(() -> {
      if (channel != null && channel.isOpen()) {
        channel.force(true);
        channel.close();
      }
      return null;
    }, true).eventually(() -> writer.close());
  }

  static List<JsonObject> read(Path dir) throws IOException {
    List<JsonObject> out = new ArrayList<>();
    for (int i = KEEP; i >= 0; i--) {
      Path f = i == 0 ? dir.resolve(FILE) : dir.resolve(FILE + "." + i);
      if (!Files.isRegularFile(f)) {
        continue;
      }
      for (String line : Files.readAllLines(f, StandardCharsets.UTF_8)) {
        if (line.isBlank()) {
          continue;
        }
        try {
          out.add(new JsonObject(line));
        } catch (DecodeException torn) {
          // A line cut short by a crash mid-write: the records before it are whole.
        }
      }
    }
    return out;
  }

  private void rotate() throws IOException {
    channel.force(true);
    channel.close();
    for (int i = KEEP - 1; i >= 1; i--) {
      Path from = dir.resolve(FILE + "." + i);
      if (Files.exists(from)) {
        Files.move(from, dir.resolve(FILE + "." + (i + 1)), StandardCopyOption.REPLACE_EXISTING);
      }
    }
    Files.move(dir.resolve(FILE), dir.resolve(FILE + ".1"), StandardCopyOption.REPLACE_EXISTING);
    channel = openChannel(dir.resolve(FILE));
  }

  private static FileChannel openChannel(Path file) throws IOException {
    return FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
  }
}
