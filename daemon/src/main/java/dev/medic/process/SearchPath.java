package dev.medic.process;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The directories of a {@code PATH} value, for finding helper programs ({@code stat},
 * {@code setsid}, {@code kill}) and a command's executable before starting it, so a missing
 * program is reported by name instead of as an exit status 127. Looks at the file system: call it
 * from a worker thread only.
 */
public final class SearchPath {

  /** Used when the environment has no PATH, as execvp would. */
  private static final String DEFAULT = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

  private final List<Path> directories;

  private SearchPath(List<Path> directories) {
    this.directories = directories;
  }

  /** The directories of {@code pathVariable}; a missing or empty value gives the usual default. */
  public static SearchPath of(String pathVariable) {
    String value = pathVariable == null || pathVariable.isBlank() ? DEFAULT : pathVariable;
    List<Path> dirs = new ArrayList<>();
    for (String entry : value.split(File.pathSeparator)) {
      // An empty entry means the working directory to a shell; a daemon must not run what
      // happens to lie in its working directory.
      if (!entry.isEmpty()) {
        try {
          dirs.add(Path.of(entry));
        } catch (InvalidPathException e) {
          // not a directory anyone could mean: skip it
        }
      }
    }
    return new SearchPath(List.copyOf(dirs));
  }

  /** The PATH medic itself runs with. */
  public static SearchPath ofProcess() {
    return of(System.getenv("PATH"));
  }

  /** {@link #find(String, Path)} from medic's own working directory. */
  public Optional<Path> find(String name) {
    return find(name, null);
  }

  /**
   * The executable {@code name} names: itself when it contains a slash (a relative one taken from
   * {@code workdir}, as exec after chdir would), else the first executable regular file of that
   * name in these directories.
   *
   * @param workdir where the program will run; {@code null} for medic's own working directory
   */
  public Optional<Path> find(String name, Path workdir) {
    if (name.isEmpty()) {
      return Optional.empty();
    }
    if (name.contains("/")) {
      Path p = Path.of(name);
      if (!p.isAbsolute() && workdir != null) {
        p = workdir.resolve(p);
      }
      return isExecutableFile(p) ? Optional.of(p) : Optional.empty();
    }
    for (Path dir : directories) {
      Path candidate = dir.resolve(name);
      if (isExecutableFile(candidate)) {
        return Optional.of(candidate);
      }
    }
    return Optional.empty();
  }

  private static boolean isExecutableFile(Path p) {
    return Files.isRegularFile(p) && Files.isExecutable(p);
  }

  @Override
  public String toString() {
    return String.join(File.pathSeparator, directories.stream().map(Path::toString).toList());
  }
}
