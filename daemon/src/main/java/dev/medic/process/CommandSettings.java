package dev.medic.process;

import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import dev.medic.config.Settings;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

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
    }
    return command;
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
