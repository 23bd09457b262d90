package dev.medic.recovery;

import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import dev.medic.config.Settings;
import dev.medic.recovery.LogCleanupAction.Rules;
import java.nio.file.FileSystems;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.Set;
import java.util.regex.PatternSyntaxException;

/**
 * {@code type = log-cleanup}: deletes old files, keeps the newest N, gzips large ones, in the
 * configured directories only and never through a symbolic link.
 *
 * <pre>
 * paths             required: absolute directories, the roots; "/", top-level directories
 *                   (/var, /home, /tmp, ...) and system directories are refused
 * older-than        delete regular files whose mtime is older than this, e.g. 7d
 * keep              keep the newest N files of each directory, delete the older ones
 * gzip-larger-than  gzip files larger than this (not already .gz) into NAME.gz, e.g. 100MB
 * active-within     5m: a file modified this recently is never touched (it is being written)
 * pattern           "*": glob on file names (not paths), e.g. "*.log*"
 * recursive         true: also the directories below each root
 * </pre>
 *
 * <p>At least one of {@code older-than}, {@code keep} and {@code gzip-larger-than} is required.
 */
public final class LogCleanupActionType implements ActionType {

  static final Duration DEFAULT_ACTIVE_WITHIN = Duration.ofMinutes(5);
  private static final String PATHS_EXAMPLE = "[\"/var/log/app\"]";

  private final Clock clock;

  public LogCleanupActionType() {
    this(Clock.systemUTC());
  }

  LogCleanupActionType(Clock clock) {
    this.clock = clock;
  }

  @Override
  public String type() {
    return "log-cleanup";
  }

  @Override
  public Action create(Settings settings, ActionContext context) {
    List<Path> roots = roots(settings);
    Optional<Duration> olderThan = Optional.ofNullable(settings.positiveDuration("older-than", null));
    OptionalInt keep = settings.has("keep")
        ? OptionalInt.of(settings.integer("keep", 1, 1, 1_000_000)) : OptionalInt.empty();
    OptionalLong gzip = settings.has("gzip-larger-than")
        ? OptionalLong.of(settings.bytes("gzip-larger-than", Long.MAX_VALUE)) : OptionalLong.empty();
    // Negative is refused by the reader; 0s means "touch even a file written this instant".
    Duration activeWithin = settings.duration("active-within", DEFAULT_ACTIVE_WITHIN);
    String patternText = settings.string("pattern", "*");
    PathMatcher pattern = pattern(settings, patternText);
    boolean recursive = settings.bool("recursive", true);
    if (patternText.chars().allMatch(ch -> ch == '*' || ch == '?') && patternText.indexOf('*') >= 0) {
      // Under /var/lib applications keep their data (databases, queues) beside their logs: every
      // file there is fair game only to a pattern that names the logs.
      for (Path root : roots) {
        Path real = realPath(root);
        if (real.startsWith(VAR_LIB) || root.startsWith(VAR_LIB)) {
          settings.problem("pattern", "\"" + patternText + "\" matches every file, and \"" + root + "\" is inside "
              + VAR_LIB + ", where applications keep their data (refused: expected a pattern for the log files"
              + " alone, e.g. pattern = \"*.log*\")");
        }
      }
    }
    if (olderThan.isEmpty() && keep.isEmpty() && gzip.isEmpty()
        && !settings.has("older-than") && !settings.has("keep") && !settings.has("gzip-larger-than")) {
      settings.problem("has nothing to do (expected at least one of older-than, keep, gzip-larger-than)");
    }
    return new LogCleanupAction(context,
        new Rules(roots, olderThan, gzip, activeWithin, keep, pattern, patternText, recursive), clock);
  }

  private static List<Path> roots(Settings settings) {
    ConfigValue raw = settings.value("paths");
    if (raw == null) {
      settings.problem("paths", "missing (a value is required: the directories to clean, e.g. " + PATHS_EXAMPLE + ")");
      return List.of();
    }
    if (raw.valueType() == ConfigValueType.LIST && ((List<?>) raw.unwrapped()).isEmpty()) {
      settings.problem("paths", "is empty (expected the directories to clean, e.g. " + PATHS_EXAMPLE + ")");
      return List.of();
    }
    List<Path> roots = new ArrayList<>();
    for (String p : settings.strings("paths", List.of())) {
      if (!p.startsWith("/")) {
        settings.problem("paths", "\"" + p + "\" is not an absolute path (expected e.g. " + PATHS_EXAMPLE + ")");
        continue;
      }
      Path root;
      try {
        root = Path.of(p).normalize();
      } catch (RuntimeException e) {
        settings.problem("paths", "\"" + p + "\" is not a path: " + e.getMessage());
        continue;
      }
      if (root.getNameCount() == 0) {
        settings.problem("paths", "\"" + p + "\" is the root of the file system (refused: expected a directory "
            + "that holds only files to clean, e.g. " + PATHS_EXAMPLE + ")");
        continue;
      }
      Optional<String> why = refusal(root);
      Path real = realPath(root);
      if (why.isEmpty() && !real.equals(root)) {
        why = refusal(real).map(w -> "resolves to \"" + real + "\", " + w);
      }
      if (why.isPresent()) {
        String shown = root.toString().equals(p) ? "\"" + p + "\"" : "\"" + p + "\" (that is \"" + root + "\")";
        settings.problem("paths", shown + " " + why.get() + " (refused: every file below a root that the pattern"
            + " matches may be deleted; expected the directory of one application's logs, e.g. " + PATHS_EXAMPLE + ")");
        continue;
      }
      roots.add(root);
    }
    return List.copyOf(roots);
  }

  private static final Path VAR_LIB = Path.of("/var/lib");

  /** Trees of the system itself, refused as roots at any depth: nothing in them is a log to clean. */
  private static final Set<String> SYSTEM_TREES = Set.of("bin", "boot", "dev", "etc", "lib", "lib32", "lib64",
      "libx32", "proc", "sbin", "sys");
  /** Directories of two components that hold programs, data or users, refused as themselves. */
  private static final Set<String> SYSTEM_DIRECTORIES = Set.of("/usr/bin", "/usr/sbin", "/usr/lib", "/usr/lib32",
      "/usr/lib64", "/usr/libx32", "/usr/libexec", "/usr/include", "/usr/share", "/usr/src", "/usr/local",
      "/var/lib", "/var/spool", "/var/mail", "/var/backups", "/var/opt", "/var/cache");

  /**
   * Why {@code root} (absolute, normalized, not "/") must not be cleaned, if it must not: a
   * top-level directory ({@code /var}, {@code /home}, {@code /tmp}, {@code /data} alike), a tree
   * of the system, or a directory that holds programs, databases or a user's home.
   */
  static Optional<String> refusal(Path root) {
    String top = root.getName(0).toString();
    if (SYSTEM_TREES.contains(top)) {
      return Optional.of(root.getNameCount() == 1 ? "is a system directory" : "is inside the system directory /" + top);
    }
    if (root.getNameCount() == 1) {
      return Optional.of("is a top-level directory");
    }
    if (root.getNameCount() == 2 && (SYSTEM_DIRECTORIES.contains(root.toString()) || top.equals("home"))) {
      return Optional.of(top.equals("home") ? "is a home directory" : "is a system directory");
    }
    return Optional.empty();
  }

  /** The path with symbolic links resolved, where it exists; else as written. */
  private static Path realPath(Path root) {
    try {
      return root.toRealPath();
    } catch (java.io.IOException | SecurityException e) {
      return root; // not there (yet): it is checked as written, and the action finds out at run time
    }
  }

  private static PathMatcher pattern(Settings settings, String text) {
    PathMatcher all = FileSystems.getDefault().getPathMatcher("glob:*");
    if (text.isEmpty() || text.contains("/")) {
      settings.problem("pattern", "\"" + text + "\" is not a file name pattern (expected a glob without /, e.g. \"*.log\")");
      return all;
    }
    try {
      return FileSystems.getDefault().getPathMatcher("glob:" + text);
    } catch (PatternSyntaxException e) {
      settings.problem("pattern", "\"" + text + "\" is not a valid glob: " + e.getDescription() + " (expected e.g. \"*.log\")");
      return all;
    }
  }
}
