package dev.medic.probe;

import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import dev.medic.config.Settings;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * {@code type = command}: runs a Nagios plugin and reads its exit status, first line and perfdata.
 *
 * <p>Keys: {@code command} (required: the argument vector, e.g. {@code
 * ["/usr/lib/nagios/plugins/check_load", "-w", "5,4,3", "-c", "10,8,6"]}; run without a shell,
 * nothing in it is expanded), {@code env} (object of variables added to medic's environment),
 * {@code workdir} (absolute; default medic's working directory). Measurements are whatever the
 * plugin prints as perfdata, named by label.
 */
public final class CommandProbeType implements ProbeType {

  private static final String EXAMPLE = "[\"/usr/lib/nagios/plugins/check_load\", \"-w\", \"5,4,3\"]";

  @Override
  public String type() {
    return "command";
  }

  @Override
  public Probe create(Settings settings, ProbeContext context) {
    List<String> command = command(settings);
    Map<String, String> env = environment(settings);
    Optional<String> workdir = settings.optString("workdir");
    if (workdir.isPresent() && !workdir.get().startsWith("/")) {
      settings.problem("workdir", "\"" + workdir.get() + "\" is not an absolute path (expected e.g. \"/var/lib/app\")");
    }
    return new CommandProbe(context, command, env, workdir.orElse(null));
  }

  private static List<String> command(Settings settings) {
    ConfigValue raw = settings.value("command");
    if (raw == null) {
      settings.problem("command", "missing (a value is required: the argument vector, e.g. " + EXAMPLE + ")");
      return List.of();
    }
    // A single string would be one program name with spaces in it: say so rather than fail at run time.
    if (raw.valueType() != ConfigValueType.LIST) {
      settings.problem("command", "is not a list (expected the argument vector, run without a shell, e.g. " + EXAMPLE + ")");
      return List.of();
    }
    List<String> command = settings.strings("command", List.of());
    if (command.isEmpty()) {
      if (((List<?>) raw.unwrapped()).isEmpty()) {
        settings.problem("command", "is empty (expected the program and its arguments, e.g. " + EXAMPLE + ")");
      }
      return List.of();
    }
    if (command.get(0).isBlank()) {
      settings.problem("command", "starts with an empty program name (expected e.g. " + EXAMPLE + ")");
    }
    return command;
  }

  private static Map<String, String> environment(Settings settings) {
    Map<String, String> env = new LinkedHashMap<>();
    for (Map.Entry<String, String> e : settings.stringMap("env").entrySet()) {
      String name = e.getKey();
      if (name.isEmpty() || name.indexOf('=') >= 0 || name.indexOf('\0') >= 0) {
        settings.problem("env", "\"" + name + "\" is not an environment variable name (expected no \"=\", e.g. LANG)");
      } else if (e.getValue().indexOf('\0') >= 0) {
        settings.problem("env", "the value of " + name + " contains a NUL character");
      } else {
        env.put(name, e.getValue());
      }
    }
    return env;
  }

  @Override
  public boolean openMeasurements() {
    return true;
  }
}
