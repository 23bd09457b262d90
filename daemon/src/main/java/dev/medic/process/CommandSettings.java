package dev.medic.process;

import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import com.typesafe.config.ConfigUtil;
import dev.medic.config.Settings;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Readers of the keys every configured program shares ({@code command}, {@code env},
 * {@code workdir}), so that the command probe and the command action accept and word them alike.
 * Problems are reported through the settings; readers return a usable fallback.
 */
public final class CommandSettings {

  private CommandSettings() {}

  /**
   * The argument vector under {@code key}: a non-empty list of strings whose first item names the
   * program. A single string is refused: it would be one program name with spaces in it, and
   * saying so beats failing at run time.
   *
   * @param example a HOCON list shown in messages, e.g. {@code ["/usr/bin/foo", "-v"]}
   */
  public static List<String> argv(Settings settings, String key, String example) {
    ConfigValue raw = settings.value(key);
    if (raw == null) {
      settings.problem(key, "missing (a value is required: the argument vector, e.g. " + example + ")");
      return List.of();
    }
    if (raw.valueType() != ConfigValueType.LIST) {
      settings.problem(key, "is not a list (expected the argument vector, run without a shell, e.g. " + example + ")");
      return List.of();
    }
    List<String> command = settings.strings(key, List.of());
    if (command.isEmpty()) {
      if (((List<?>) raw.unwrapped()).isEmpty()) {
        settings.problem(key, "is empty (expected the program and its arguments, e.g. " + example + ")");
      }
      return List.of();
    }
    if (command.get(0).isBlank()) {
      settings.problem(key, "starts with an empty program name (expected e.g. " + example + ")");
    } else {
      shellLine(command.get(0)).ifPresent(why -> settings.problem(key, why));
    }
    return command;
  }

  /** What only a shell reads: word splitting, ; | & &&, redirections, $VAR, quotes, globs, ~. */
  private static final Pattern SHELL = Pattern.compile("[\\s;|&<>$`'\"(){}*?\\\\]|^~");
  private static final Pattern META = Pattern.compile("[;|&<>$`'\"(){}*?\\\\]|^~");

  /**
   * Why {@code program}, the first word of an argument vector, is a shell command line rather
   * than a program, if it is one: {@code "systemctl restart app; rm -f /run/app.pid"} would be
   * run as one program of that name, and fail only when it runs, during the incident. A file of
   * that very name (spaces and all) is a program.
   */
  public static Optional<String> shellLine(String program) {
    if (!SHELL.matcher(program).find() || isFile(program)) {
      return Optional.empty();
    }
    Matcher meta = META.matcher(program);
    boolean shell = meta.find();
    String before = shell ? program.substring(0, meta.start()) : program;
    List<String> words = List.of(before.trim().split("\\s+"));
    String listForm = words.get(0).isEmpty() ? "[\"/usr/local/bin/restart-app\"]"
        : words.stream().map(ConfigUtil::quoteString).collect(Collectors.joining(", ", "[", "]"));
    String text = ConfigUtil.quoteString(program);
    if (!shell) {
      return Optional.of(text + " is one string with spaces, run as the name of one program (no shell splits it;"
          + " expected each word as its own string: command = " + listForm + ")");
    }
    return Optional.of(text + " is a shell command line, run as the name of one program (no shell reads ;, |, &&, >,"
        + " $VAR or quotes; expected the program and each argument as its own string, e.g. command = " + listForm
        + ", and for more than one command a script: command = [\"/usr/local/bin/restart-app\"])");
  }

  private static boolean isFile(String program) {
    try {
      return program.startsWith("/") && Files.exists(Path.of(program));
    } catch (InvalidPathException | SecurityException e) {
      return false;
    }
  }

  /** An object of environment variables under {@code key}; values may be secrets and are never shown. */
  public static Map<String, String> environment(Settings settings, String key) {
    Map<String, String> env = new LinkedHashMap<>();
    for (Map.Entry<String, String> e : settings.stringMap(key).entrySet()) {
      String name = e.getKey();
      if (!isVariableName(name)) {
        settings.problem(key, "\"" + name + "\" is not an environment variable name (expected no \"=\", e.g. LANG)");
      } else if (e.getValue().indexOf('\0') >= 0) {
        settings.problem(key, "the value of " + name + " contains a NUL character");
      } else {
        env.put(name, e.getValue());
      }
    }
    return env;
  }

  /** An optional absolute directory under {@code key}; whether it exists is a matter of run time. */
  public static Optional<String> workdir(Settings settings, String key) {
    Optional<String> workdir = settings.optString(key);
    if (workdir.isPresent() && !workdir.get().startsWith("/")) {
      settings.problem(key, "\"" + workdir.get() + "\" is not an absolute path (expected e.g. \"/var/lib/app\")");
      return Optional.empty();
    }
    return workdir;
  }

  /** What execve accepts as a variable name: anything without {@code =} or NUL. */
  public static boolean isVariableName(String name) {
    return !name.isEmpty() && name.indexOf('=') < 0 && name.indexOf('\0') < 0;
  }
}
