package dev.medic.config;

import com.typesafe.config.ConfigOrigin;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** Collects configuration problems so that all of them are reported at once. */
public final class Problems {

  private final List<ConfigProblem> list = new ArrayList<>();
  private final String fallbackFile;
  private final Set<String> suppressed = new HashSet<>();

  public Problems(String fallbackFile) {
    this.fallbackFile = fallbackFile;
  }

  public void add(ConfigOrigin origin, String path, String message) {
    if (suppressed.contains(path)) {
      return;
    }
    String file = fallbackFile;
    int line = -1;
    if (origin != null) {
      if (origin.filename() != null) {
        file = origin.filename();
      } else if (origin.resource() != null) {
        file = origin.resource();
      }
      line = origin.lineNumber();
    }
    // Messages quote the values they reject; a URI with a password in the wrong key must not leak.
    list.add(new ConfigProblem(file, line, path, Secrets.maskUri(message)));
  }

  /**
   * Drops problems reported from now on for exactly {@code path}: it has been reported in full
   * (e.g. its value could not be resolved), and what validation then finds — that it is missing —
   * would only repeat that.
   */
  public void suppressLater(String path) {
    suppressed.add(path);
  }

  /** How many problems have been found so far. */
  public int count() {
    return list.size();
  }

  public boolean isEmpty() {
    return list.isEmpty();
  }

  public List<ConfigProblem> sorted() {
    List<ConfigProblem> copy = new ArrayList<>(list);
    copy.sort(Comparator.comparing(ConfigProblem::file).thenComparingInt(ConfigProblem::line));
    return copy;
  }

  public void throwIfAny() throws ConfigException {
    if (!list.isEmpty()) {
      throw new ConfigException(sorted());
    }
  }
}
