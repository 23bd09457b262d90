package dev.medic.recovery;

import dev.medic.probe.Unit;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileVisitOption;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFileAttributes;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.zip.GZIPOutputStream;

/**
 * Deletes old log files, keeps the newest N per directory and gzips large ones, confined to the
 * configured roots.
 *
 * <p>Confinement: a root is taken at its real path (a root that is itself a symbolic link is
 * followed once, as the operator named it). The walk never follows a symbolic link: a link to a
 * file is skipped, neither deleted nor read through, and a link to a directory is not descended
 * ({@link Files#walkFileTree} without {@link FileVisitOption#FOLLOW_LINKS}). Right before a file
 * is deleted or compressed, its directory's real path must still lie inside the real root and the
 * file must still be a regular file ({@code lstat}), and it is opened with {@code O_NOFOLLOW}.
 * That narrows, but cannot close, the window in which a process able to write to the directory
 * swaps a directory for a link; the roots should be writable only by their owners.
 *
 * <p>A file modified within {@code active-within} is never touched: it is probably being written.
 * All file work runs in {@code executeBlocking}.
 */
final class LogCleanupAction implements Action {

  /** Lines kept in the outcome's output: what was done to which file. */
  private static final int OUTPUT_LIMIT = ProcessText.OUTPUT_LIMIT;

  private final Vertx vertx;
  private final Rules rules;
  private final Clock clock;

  LogCleanupAction(ActionContext context, Rules rules, Clock clock) {
    this.vertx = context.vertx();
    this.rules = rules;
    this.clock = clock;
  }

  /**
   * What to clean, validated.
   *
   * @param roots absolute, normalised, never {@code /}
   * @param keep the newest N files (by mtime) of each directory that are kept; empty for no limit
   * @param pattern matched against file names only
   */
  record Rules(List<Path> roots, Optional<Duration> olderThan, OptionalLong gzipLargerThan, Duration activeWithin,
      OptionalInt keep, PathMatcher pattern, String patternText, boolean recursive) {}

  @Override
  public Future<ActionOutcome> run(String check) {
    return vertx.getOrCreateContext().executeBlocking(this::clean, false);
  }

  private ActionOutcome clean() {
    Tally tally = new Tally(clock.instant());
    for (Path root : rules.roots()) {
      cleanRoot(root, tally);
    }
    return tally.outcome();
  }

  private void cleanRoot(Path root, Tally tally) {
    Path real;
    try {
      if (!Files.exists(root, LinkOption.NOFOLLOW_LINKS)) {
        tally.error("root " + root + " does not exist");
        return;
      }
      real = root.toRealPath();
    } catch (IOException e) {
      tally.error("root " + root + ": " + reason(e));
      return;
    }
    if (!Files.isDirectory(real, LinkOption.NOFOLLOW_LINKS)) {
      tally.error("root " + root + " is not a directory");
      return;
    }
    if (real.getNameCount() == 0) {
      tally.error("root " + root + " resolves to / (refused)");
      return;
    }
    try {
      Files.walkFileTree(real, EnumSet.noneOf(FileVisitOption.class), rules.recursive() ? Integer.MAX_VALUE : 1,
          new Walker(real, tally));
    } catch (IOException e) {
      tally.error(root + ": " + reason(e));
    }
  }

  /** A regular file as listed: the walk reads attributes without following links. */
  private record Entry(Path path, FileTime modified, long size) {}

  /**
   * Lists each directory completely before acting on it, so that {@code keep} sees all its files;
   * a directory's files are handled when the walk leaves it.
   */
  private final class Walker extends SimpleFileVisitor<Path> {

    private final Path realRoot;
    private final Tally tally;
    private final Deque<List<Entry>> open = new ArrayDeque<>();

    Walker(Path realRoot, Tally tally) {
      this.realRoot = realRoot;
      this.tally = tally;
    }

    @Override
    public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
      if (!dir.toRealPath().startsWith(realRoot)) {
        tally.error(dir + " resolves outside its root " + realRoot + " (not entered)");
        return FileVisitResult.SKIP_SUBTREE;
      }
      open.push(new ArrayList<>());
      return FileVisitResult.CONTINUE;
    }

    @Override
    public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
      if (attrs.isSymbolicLink()) {
        tally.note("skipped symbolic link " + file);
      } else if (attrs.isRegularFile() && rules.pattern().matches(file.getFileName())) {
        open.peek().add(new Entry(file, attrs.lastModifiedTime(), attrs.size()));
      }
      return FileVisitResult.CONTINUE;
    }

    @Override
    public FileVisitResult visitFileFailed(Path file, IOException e) {
      if (!(e instanceof NoSuchFileException)) {
        tally.error(file + ": " + reason(e));
      }
      return FileVisitResult.CONTINUE;
    }

    @Override
    public FileVisitResult postVisitDirectory(Path dir, IOException e) {
      if (e != null) {
        tally.error(dir + ": " + reason(e));
      }
      List<Entry> files = open.pop();
      if (e == null) {
        cleanDirectory(files, realRoot, tally);
      }
      return FileVisitResult.CONTINUE;
    }
  }

  /** Applies the rules to the files of one directory. */
  private void cleanDirectory(List<Entry> files, Path realRoot, Tally tally) {
    Instant now = tally.now;
    Instant activeSince = now.minus(rules.activeWithin());
    Optional<Instant> oldBefore = rules.olderThan().map(now::minus);
    List<Entry> newestFirst = new ArrayList<>(files);
    newestFirst.sort(Comparator.comparing(Entry::modified).reversed().thenComparing(Entry::path));
    for (int i = 0; i < newestFirst.size(); i++) {
      Entry e = newestFirst.get(i);
      Instant modified = e.modified().toInstant();
      if (modified.isAfter(activeSince)) {
        continue;
      }
      String why = null;
      if (oldBefore.isPresent() && modified.isBefore(oldBefore.get())) {
        why = "older than " + human(rules.olderThan().get());
      } else if (rules.keep().isPresent() && i >= rules.keep().getAsInt()) {
        why = "beyond the newest " + rules.keep().getAsInt();
      }
      try {
        if (why != null) {
          delete(e, why, realRoot, activeSince, tally);
        } else if (rules.gzipLargerThan().isPresent() && e.size() > rules.gzipLargerThan().getAsLong()
            && !e.path().getFileName().toString().endsWith(".gz")) {
          compress(e, realRoot, activeSince, tally);
        }
      } catch (IOException ex) {
        tally.error(e.path() + ": " + reason(ex));
      }
    }
  }

  /**
   * The file as it is now, if it may still be touched: still a regular file (not swapped for a
   * link), in a directory whose real path is inside the root, and not modified since it became
   * a candidate.
   */
  private static Optional<BasicFileAttributes> stillSafe(Entry e, Path realRoot, Instant activeSince, Tally tally)
      throws IOException {
    BasicFileAttributes now;
    try {
      now = Files.readAttributes(e.path(), BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
    } catch (NoSuchFileException gone) {
      return Optional.empty();
    }
    if (!now.isRegularFile()) {
      tally.note("skipped " + e.path() + ": no longer a regular file");
      return Optional.empty();
    }
    if (!e.path().getParent().toRealPath().startsWith(realRoot)) {
      tally.error(e.path() + " now resolves outside its root " + realRoot + " (not touched)");
      return Optional.empty();
    }
    if (now.lastModifiedTime().toInstant().isAfter(activeSince)) {
      tally.note("skipped " + e.path() + ": modified while cleaning");
      return Optional.empty();
    }
    return Optional.of(now);
  }

  private void delete(Entry e, String why, Path realRoot, Instant activeSince, Tally tally) throws IOException {
    Optional<BasicFileAttributes> now = stillSafe(e, realRoot, activeSince, tally);
    if (now.isEmpty()) {
      return;
    }
    try {
      // unlink(2): a link in the path's last component would go, never what it points to.
      Files.delete(e.path());
    } catch (NoSuchFileException gone) {
      return;
    }
    tally.deleted++;
    tally.deletedBytes += now.get().size();
    tally.note("deleted " + e.path() + " (" + why + ", " + bytes(now.get().size()) + ")");
  }

  /**
   * Writes {@code name.gz} next to the file through a temporary file created with O_EXCL,
   * carrying over mtime and permissions (and the owner, where medic may set it), then deletes the
   * original, unless it changed meanwhile. An existing {@code name.gz} is never overwritten.
   */
  private void compress(Entry e, Path realRoot, Instant activeSince, Tally tally) throws IOException {
    String name = e.path().getFileName().toString();
    Path gz = e.path().resolveSibling(name + ".gz");
    if (Files.exists(gz, LinkOption.NOFOLLOW_LINKS)) {
      tally.note("not compressed " + e.path() + ": " + gz.getFileName() + " already exists");
      return;
    }
    Optional<BasicFileAttributes> before = stillSafe(e, realRoot, activeSince, tally);
    if (before.isEmpty()) {
      return;
    }
    Path tmp = e.path().resolveSibling("." + name + ".gz.medic-tmp");
    // A leftover of an interrupted run; delete() removes a link itself, never its target.
    Files.deleteIfExists(tmp);
    try {
      try (InputStream in = Files.newInputStream(e.path(), LinkOption.NOFOLLOW_LINKS);
          FileChannel channel = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
          GZIPOutputStream out = new GZIPOutputStream(Channels.newOutputStream(channel), 64 * 1024)) {
        in.transferTo(out);
        out.finish();
        // On disk before the original goes.
        channel.force(true);
      }
      copyAttributes(e.path(), tmp, before.get());
      Optional<BasicFileAttributes> after = stillSafe(e, realRoot, activeSince, tally);
      if (after.isEmpty() || after.get().size() != before.get().size()
          || !after.get().lastModifiedTime().equals(before.get().lastModifiedTime())) {
        tally.note("not compressed " + e.path() + ": it changed while being compressed");
        Files.deleteIfExists(tmp);
        return;
      }
      // Without REPLACE_EXISTING: a .gz that appeared meanwhile stays as it is.
      Files.move(tmp, gz);
    } catch (IOException | RuntimeException ex) {
      Files.deleteIfExists(tmp);
      throw ex;
    }
    long size = Files.size(gz);
    Files.delete(e.path());
    tally.compressed++;
    tally.compressedBefore += before.get().size();
    tally.compressedAfter += size;
    tally.note("compressed " + e.path() + " (" + bytes(before.get().size()) + " → " + bytes(size) + ")");
  }

  private static void copyAttributes(Path from, Path to, BasicFileAttributes attrs) throws IOException {
    PosixFileAttributeView view = Files.getFileAttributeView(to, PosixFileAttributeView.class);
    if (view != null) {
      PosixFileAttributes source = Files.readAttributes(from, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
      view.setPermissions(source.permissions());
      try {
        view.setGroup(source.group());
        view.setOwner(source.owner());
      } catch (IOException | SecurityException e) {
        // Only root may give a file away; the compressed file then belongs to medic.
      }
    }
    Files.setLastModifiedTime(to, attrs.lastModifiedTime());
  }

  /** What one run did, and what it says about it. */
  private static final class Tally {

    final Instant now;
    int deleted;
    long deletedBytes;
    int compressed;
    long compressedBefore;
    long compressedAfter;
    final List<String> errors = new ArrayList<>();
    final StringBuilder output = new StringBuilder();
    boolean outputCut;

    Tally(Instant now) {
      this.now = now;
    }

    void note(String line) {
      if (output.length() + line.length() + 1 > OUTPUT_LIMIT) {
        outputCut = true;
        return;
      }
      output.append(line).append('\n');
    }

    void error(String message) {
      errors.add(message);
      note("error: " + message);
    }

    ActionOutcome outcome() {
      String message = "deleted " + deleted + (deleted == 1 ? " file" : " files")
          + (deleted > 0 ? " (" + bytes(deletedBytes) + ")" : "")
          + ", compressed " + compressed
          + (compressed > 0 ? " (" + bytes(compressedBefore) + " → " + bytes(compressedAfter) + ")" : "");
      if (!errors.isEmpty()) {
        message += "; " + errors.size() + (errors.size() == 1 ? " error: " : " errors, the first: ") + errors.get(0);
      }
      String out = outputCut ? output + "[output truncated after " + OUTPUT_LIMIT / 1024 + " KiB]" : output.toString();
      return new ActionOutcome(errors.isEmpty(), message, out);
    }
  }

  private static String bytes(long n) {
    return Unit.BYTES.format(n);
  }

  private static String reason(IOException e) {
    if (e instanceof AccessDeniedException) {
      return "permission denied";
    }
    if (e instanceof NoSuchFileException) {
      return "does not exist";
    }
    return e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
  }

  /** {@code 7d}, {@code 12h}, {@code 30m}, {@code 45s}: the largest unit that divides the duration. */
  static String human(Duration d) {
    long s = d.toSeconds();
    if (d.toMillis() % 1000 != 0) {
      return d.toMillis() + "ms";
    }
    if (s > 0 && s % 86_400 == 0) {
      return s / 86_400 + "d";
    }
    if (s > 0 && s % 3600 == 0) {
      return s / 3600 + "h";
    }
    if (s > 0 && s % 60 == 0) {
      return s / 60 + "m";
    }
    return s + "s";
  }

  @Override
  public String describe() {
    List<String> what = new ArrayList<>();
    rules.olderThan().ifPresent(d -> what.add("delete files older than " + human(d)));
    rules.keep().ifPresent(n -> what.add("keep the newest " + n + " per directory"));
    rules.gzipLargerThan().ifPresent(n -> what.add("gzip files larger than " + bytes(n)));
    return "clean " + String.join(", ", rules.roots().stream().map(Path::toString).toList())
        + " (" + String.join(", ", what) + "; files matching " + rules.patternText()
        + (rules.recursive() ? ", recursively" : ", not recursively")
        + ", untouched if modified within " + human(rules.activeWithin()) + ")";
  }
}
