package dev.medic.config;

/**
 * One thing wrong with a configuration, located by file, line and key path. Its text is the
 * contract of DESIGN §3: {@code FILE:LINE: medic.checks.db.uri: what is wrong (what was expected)}.
 */
public record ConfigProblem(String file, int line, String path, String message) {

  @Override
  public String toString() {
    String where = line > 0 ? file + ":" + line : file;
    return path.isEmpty() ? where + ": " + message : where + ": " + path + ": " + message;
  }
}
