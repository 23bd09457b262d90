package dev.medic.recovery;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The durable record of what medic saw and did: JSON lines under {@code journal.dir}, one record a
 * line, rotated by size. Action records are fsynced before the append completes, so a crash or a
 * restart of medic loses no attempt: budgets are rebuilt from here at start.
 *
 * <p>Writes run in order on one worker thread of their own, never on an event loop. A write that
 * fails (a full disk, an I/O error) fails its future and leaves nothing of its record behind: what
 * was written of it is cut off again, or, if even that fails, the next record starts on a line of
 * its own. The journal stays open after a failure — a rotation that broke half-way included — and
 * the next write tries again. Every failure, and the first synced write that works after failures, is
 * told to the {@link Watcher}; {@link #health()} says where the journal stands.
 *
 * <p>On disk it takes at most {@code 6 × 10 MiB}: the current file and five rotated ones, each cut
 * at 10 MiB (a record is far smaller: action output is cut at 16 KiB).
 */
public final class Journal {

  private static final Logger log = LoggerFactory.getLogger(Journal.class);

  public static final String FILE = "journal.jsonl";
  private static final long DEFAULT_MAX_BYTES = 10L * 1024 * 1024;
  private static final int KEEP = 5;
  /** Torn lines named one by one in the warning; the count covers the rest. */
  private static final int TORN_NAMED = 10;

  /** Hears how writes go. Called on the journal's writer thread: must be quick and must not block. */
  public interface Watcher {
    /**
     * A write failed.
     *
     * @param record what could not be written (its {@code check} and {@code kind} say for whom)
     * @param outageStarted true for the first failure after writes worked
     */
    void writeFailed(JsonObject record, Throwable cause, JournalHealth health, boolean outageStarted);

    /** A write worked after failures; {@code outage} is the health just before it (when, how many, why). */
    void writableAgain(JournalHealth outage);
  }

  /** What a failed {@link #append} fails with: the record is not in the journal. */
  public static final class WriteFailedException extends RuntimeException {
    WriteFailedException(Path dir, Throwable cause) {
      super("the journal in " + dir + " could not be written: " + describe(cause), cause);
    }
  }

  private final Path dir;
  private final long maxBytes;
  private final Clock clock;
  private final WorkerExecutor writer;
  /** Touched on the writer thread only. */
  private FileChannel channel;
  /** The current file does not end with a newline (a torn last line): the next record starts a new one. */
  private boolean newlineFirst;
  private volatile boolean closed;
  private volatile JournalHealth health = JournalHealth.WRITABLE;
  private volatile Watcher watcher = new Watcher() {
    @Override
    public void writeFailed(JsonObject record, Throwable cause, JournalHealth health, boolean outageStarted) {}

    @Override
    public void writableAgain(JournalHealth outage) {}
  };

  private Journal(Vertx vertx, Path dir, long maxBytes, Clock clock) {
    this.dir = dir;
    this.maxBytes = maxBytes;
    this.clock = clock;
    this.writer = vertx.createSharedWorkerExecutor("medic-journal-" + dir, 1);
  }

  /** Opens (creating the directory if needed) the journal in {@code dir}. */
  public static Future<Journal> open(Vertx vertx, Path dir) {
    return open(vertx, dir, DEFAULT_MAX_BYTES, Clock.systemUTC());
  }

  static Future<Journal> open(Vertx vertx, Path dir, long maxBytes) {
    return open(vertx, dir, maxBytes, Clock.systemUTC());
  }

  static Future<Journal> open(Vertx vertx, Path dir, long maxBytes, Clock clock) {
    Journal j = new Journal(vertx, dir, maxBytes, clock);
    return j.writer.executeBlocking(() -> {
      Files.createDirectories(dir);
      j.openCurrent();
      return j;
    }, true);
  }

  public Path dir() {
    return dir;
  }

  /** Where the journal stands: writable, or failing since when and why. */
  public JournalHealth health() {
    return health;
  }

  /** Sets who hears about failed writes and about the journal taking writes again. */
  public void watch(Watcher w) {
    this.watcher = w;
  }

  /**
   * Appends a record; with {@code sync} the future completes only once it is on disk. A failed
   * future means the record is not in the journal (not even in part).
   */
  public Future<Void> append(JsonObject record, boolean sync) {
    if (closed) {
      return Future.failedFuture(new IllegalStateException("the journal in " + dir + " is closed"));
    }
    return write(record, (record.encode() + "\n").getBytes(StandardCharsets.UTF_8), sync);
  }

  /**
   * Tries whether the journal takes a synced write, without adding a record: writes an empty line
   * (which {@link #read} skips) and fsyncs it. Fails like {@link #append}, with {@code about}
   * (e.g. the check and kind that wait for it) told to the watcher; a success ends an outage.
   */
  public Future<Void> probe(JsonObject about) {
    if (closed) {
      return Future.failedFuture(new IllegalStateException("the journal in " + dir + " is closed"));
    }
    return write(about, "\n".getBytes(StandardCharsets.UTF_8), true);
  }

  private Future<Void> write(JsonObject record, byte[] line, boolean sync) {
    return writer.executeBlocking(() -> {
      if (closed) {
        throw new IllegalStateException("the journal in " + dir + " is closed");
      }
      try {
        write(line, sync);
      } catch (IOException | RuntimeException e) {
        JournalHealth before = health;
        health = before.failed(clock.instant(), describe(e));
        tell(w -> w.writeFailed(record, e, health, before.writable()));
        throw new WriteFailedException(dir, e);
      }
      JournalHealth before = health;
      // Only a synced write proves the disk takes records: on a nearly full disk a small unsynced
      // line may land in the page cache while the fsynced outcome records still fail.
      if (!before.writable() && sync) {
        health = before.succeeded();
        tell(w -> w.writableAgain(before));
      }
      return null;
    }, true);
  }

  /** The cause of a failed write as /status, the log and the notice show it. */
  static String describe(Throwable e) {
    return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
  }

  private void tell(java.util.function.Consumer<Watcher> call) {
    try {
      call.accept(watcher);
    } catch (RuntimeException e) {
      // The watcher reports; its own failure must not turn into a failed (or a lost) write.
      log.atError().addKeyValue("error", String.valueOf(e)).log("the journal's watcher failed");
    }
  }

  private void write(byte[] line, boolean sync) throws IOException {
    if (channel == null || !channel.isOpen()) {
      // A rotation or an earlier write broke after closing the file: open it again, do not stay closed.
      openCurrent();
    }
    if (channel.size() + line.length > maxBytes && channel.size() > 0) {
      rotate();
    }
    long start = channel.size();
    ByteBuffer buf;
    if (newlineFirst) {
      buf = ByteBuffer.allocate(line.length + 1).put((byte) '\n').put(line).flip();
    } else {
      buf = ByteBuffer.wrap(line);
    }
    try {
      while (buf.hasRemaining()) {
        channel.write(buf);
      }
      if (sync) {
        channel.force(false);
      }
      newlineFirst = false;
    } catch (IOException | RuntimeException e) {
      undo(start);
      throw e;
    }
  }

  /** Cuts off what a failed write left, so that the record is not half there (or there unsynced). */
  private void undo(long start) {
    try {
      if (channel.isOpen() && channel.size() > start) {
        channel.truncate(start);
        channel.force(false);
      }
    } catch (IOException | RuntimeException e) {
      // Part of the record may stay: the reader skips that line, and the next record starts its own.
      newlineFirst = true;
      log.atWarn().addKeyValue("file", dir.resolve(FILE)).addKeyValue("error", describe(e))
          .log("could not cut off a failed journal write; the next record starts on a new line");
    }
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

  /**
   * Reads every whole record, oldest file first. A line that is not a whole record — cut short by
   * a crash or a full disk, or glued to such a one — is skipped with a warning naming the file and
   * the line; the records around it stand.
   */
  static List<JsonObject> read(Path dir) throws IOException {
    List<JsonObject> out = new ArrayList<>();
    for (int i = KEEP; i >= 0; i--) {
      Path f = i == 0 ? dir.resolve(FILE) : dir.resolve(FILE + "." + i);
      if (!Files.isRegularFile(f)) {
        continue;
      }
      List<Integer> torn = new ArrayList<>();
      int tornCount = 0;
      int n = 0;
      // Malformed UTF-8 (a multi-byte character cut by a crash) is replaced, not fatal: that line is torn anyway.
      try (BufferedReader in = new BufferedReader(new InputStreamReader(Files.newInputStream(f),
          StandardCharsets.UTF_8))) {
        for (String line = in.readLine(); line != null; line = in.readLine()) {
          n++;
          if (line.isBlank()) {
            continue;
          }
          try {
            out.add(new JsonObject(line));
          } catch (DecodeException e) {
            tornCount++;
            if (torn.size() < TORN_NAMED) {
              torn.add(n);
            }
          }
        }
      }
      if (tornCount > 0) {
        log.atWarn().addKeyValue("file", f).addKeyValue("lines", torn.stream().map(String::valueOf)
                .collect(java.util.stream.Collectors.joining(",")) + (tornCount > torn.size() ? ",..." : ""))
            .addKeyValue("count", tornCount).addKeyValue("of", n)
            .log("journal lines skipped: not whole records (cut short by a crash or a full disk)");
      }
    }
    return out;
  }

  /** Opens the current file for appending, noting whether it ends in the middle of a line. */
  private void openCurrent() throws IOException {
    Path file = dir.resolve(FILE);
    channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
    newlineFirst = false;
    long size = channel.size();
    if (size > 0) {
      try (SeekableByteChannel r = Files.newByteChannel(file, StandardOpenOption.READ)) {
        ByteBuffer last = ByteBuffer.allocate(1);
        r.position(size - 1);
        newlineFirst = r.read(last) == 1 && last.get(0) != '\n';
      }
    }
  }

  /**
   * journal.jsonl becomes .1, .1 becomes .2 … and .5 is dropped. Whatever fails on the way, the
   * current file is opened again before the error is passed on: the next write retries the
   * rotation instead of finding the journal closed for good.
   */
  private void rotate() throws IOException {
    channel.force(true);
    channel.close();
    try {
      for (int i = KEEP - 1; i >= 1; i--) {
        Path from = dir.resolve(FILE + "." + i);
        if (Files.exists(from)) {
          Files.move(from, dir.resolve(FILE + "." + (i + 1)), StandardCopyOption.REPLACE_EXISTING);
        }
      }
      Files.move(dir.resolve(FILE), dir.resolve(FILE + ".1"), StandardCopyOption.REPLACE_EXISTING);
    } finally {
      openCurrent();
    }
  }
}
