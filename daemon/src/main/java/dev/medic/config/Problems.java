package dev.medic.config;

import com.typesafe.config.ConfigOrigin;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/** Collects configuration problems so that all of them are reported at once. */
public final class Problems {

  private final List<ConfigProblem> list = new ArrayList<>();
  private final String fallbackFile;

  public Problems(String fallbackFile) {
    this.fallbackFile = fallbackFile;
  }

  public void add(ConfigOrigin origin, String path, String message) {
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
    list.add(new ConfigProblem(file, line, path, message));
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
