package dev.medic.recovery;

import dev.medic.config.Settings;
import dev.medic.process.CommandSettings;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * {@code type = command}: runs a program, without a shell, with a bare environment.
 *
 * <pre>
 * command    required: the argument vector, e.g. ["/usr/local/bin/flush-cache", "--all"];
 *            nothing in it is expanded
 * env        { NAME = value }: variables set for the program; values are never shown
 * env-allow  [PATH, LANG, LC_ALL, HOME, TZ]: variables passed through from medic's own
 *            environment; nothing else is inherited, so MEDIC_TOKEN and the like stay in medic
 * workdir    absolute directory to run in; default medic's working directory
 * </pre>
 */
public final class CommandActionType implements ActionType {

  /** Passed through when {@code env-allow} is not set: what programs need to behave, no secrets. */
  public static final List<String> DEFAULT_ENV_ALLOW = List.of("PATH", "LANG", "LC_ALL", "HOME", "TZ");

  private static final String EXAMPLE = "[\"/usr/local/bin/flush-cache\", \"--all\"]";

  private final Map<String, String> medicEnvironment;

  public CommandActionType() {
    this(System.getenv());
  }

  /** @param medicEnvironment the environment {@code env-allow} picks from */
  CommandActionType(Map<String, String> medicEnvironment) {
    this.medicEnvironment = Map.copyOf(medicEnvironment);
  }

  @Override
  public String type() {
    return "command";
  }

  @Override
  public Action create(Settings settings, ActionContext context) {
    List<String> command = CommandSettings.argv(settings, "command", EXAMPLE);
    Map<String, String> env = CommandSettings.environment(settings, "env");
    List<String> allow = allowList(settings);
    Optional<String> workdir = CommandSettings.workdir(settings, "workdir");
    return new CommandAction(context, command, environment(medicEnvironment, allow, env), workdir.map(Path::of));
  }

  private static List<String> allowList(Settings settings) {
    List<String> allow = settings.strings("env-allow", DEFAULT_ENV_ALLOW);
    for (String name : allow) {
      if (!CommandSettings.isVariableName(name)) {
        settings.problem("env-allow", "\"" + name + "\" is not an environment variable name (expected e.g. PATH)");
      }
    }
    return allow;
  }

  /** The allowed variables medic has, then {@code env} over them. */
  static Map<String, String> environment(Map<String, String> medic, List<String> allow, Map<String, String> env) {
    Map<String, String> out = new LinkedHashMap<>();
    for (String name : allow) {
      String value = medic.get(name);
      if (value != null) {
        out.put(name, value);
      }
    }
    out.putAll(env);
    return out;
  }
}
