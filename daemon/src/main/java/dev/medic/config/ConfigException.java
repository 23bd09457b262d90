package dev.medic.config;

import java.util.List;

/** A configuration that cannot be used, with every problem found in it (not just the first). */
public final class ConfigException extends Exception {

  private final List<ConfigProblem> problems;

  public ConfigException(List<ConfigProblem> problems) {
    super(problems.size() + " configuration problem(s): " + problems);
    this.problems = List.copyOf(problems);
  }

  public List<ConfigProblem> problems() {
    return problems;
  }

  /** Every problem on its own line, as {@code medic check} prints them. */
  public String report() {
    StringBuilder sb = new StringBuilder();
    for (ConfigProblem p : problems) {
      sb.append(p).append('\n');
    }
    return sb.toString();
  }
}
