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
import java.util.regex.PatternSyntaxException;

/**
 * {@code type = log-cleanup}: deletes old files, keeps the newest N, gzips large ones, in the
 * configured directories only and never through a symbolic link.
 *
 * <pre>
 * paths             required: absolute directories, the roots; "/" is refused
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
    Duration activeWithin = settings.duration("active-within", DEFAULT_ACTIVE_WITHIN);
    if (activeWithin.isNegative()) {
      settings.problem("active-within", "is negative (expected a duration such as 5m, or 0s to touch every file)");
      activeWithin = DEFAULT_ACTIVE_WITHIN;
    }
    String patternText = settings.string("pattern", "*");
    PathMatcher pattern = pattern(settings, patternText);
    boolean recursive = settings.bool("recursive", true);
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
      roots.add(root);
    }
    return List.copyOf(roots);
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
