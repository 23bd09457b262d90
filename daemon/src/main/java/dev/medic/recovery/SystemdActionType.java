package dev.medic.recovery;

import dev.medic.config.Settings;
import dev.medic.process.CommandSettings;
import dev.medic.recovery.SystemdAction.Operation;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * {@code type = systemd}: restarts, reloads or starts a unit with systemctl and checks that it is
 * active afterwards.
 *
 * <pre>
 * unit       required: the full unit name, e.g. "app.service", "getty@tty1.service"
 * operation  restart | reload | start | try-restart; default restart
 * systemctl  the program: a name looked up on PATH or an absolute path; default "systemctl"
 * user       false; true talks to the user's service manager (systemctl --user)
 * </pre>
 *
 * <p>systemctl gets medic's {@code PATH}, {@code LANG}, {@code LC_ALL}, {@code HOME}, {@code TZ},
 * and, for {@code --user}, {@code XDG_RUNTIME_DIR} and {@code DBUS_SESSION_BUS_ADDRESS}, which it
 * needs to reach the user manager; nothing else of medic's environment.
 */
public final class SystemdActionType implements ActionType {

  static final List<String> ENV_ALLOW = List.of(
      "PATH", "LANG", "LC_ALL", "HOME", "TZ", "XDG_RUNTIME_DIR", "DBUS_SESSION_BUS_ADDRESS");

  /**
   * A unit name as systemd(1) defines it: a name (with an optional {@code @instance}) made of
   * letters, digits and {@code :-_.\}, then a unit type. It cannot start with {@code -}, so it is
   * never taken for an option of systemctl; globs are not accepted, so one action is one unit.
   */
  private static final Pattern UNIT = Pattern.compile(
      "[A-Za-z0-9:_.\\\\][A-Za-z0-9:_.\\\\-]*(@[A-Za-z0-9:_.\\\\-]*)?"
          + "\\.(service|socket|target|timer|mount|automount|swap|path|slice|scope|device)");
  private static final int UNIT_MAX = 255;

  private final Map<String, String> medicEnvironment;

  public SystemdActionType() {
    this(System.getenv());
  }

  SystemdActionType(Map<String, String> medicEnvironment) {
    this.medicEnvironment = Map.copyOf(medicEnvironment);
  }

  @Override
  public String type() {
    return "systemd";
  }

  @Override
  public Action create(Settings settings, ActionContext context) {
    String unit = unit(settings);
    String[] verbs = Arrays.stream(Operation.values()).map(o -> o.verb).toArray(String[]::new);
    String verb = settings.choice("operation", Operation.RESTART.verb, verbs);
    Operation operation = Arrays.stream(Operation.values()).filter(o -> o.verb.equals(verb)).findFirst()
        .orElse(Operation.RESTART);
    String systemctl = settings.string("systemctl", "systemctl");
    if (systemctl.isBlank()) {
      settings.problem("systemctl", "is empty (expected a program name such as systemctl, or an absolute path)");
    } else if (systemctl.contains("/") && !systemctl.startsWith("/")) {
      settings.problem("systemctl", "\"" + systemctl + "\" is a relative path (expected a program name such as "
          + "systemctl, or an absolute path such as /usr/bin/systemctl)");
    } else {
      if (CommandSettings.shellLine(systemctl).isPresent()) {
        // "sudo systemctl" would be run as one program of that name, and fail only during the incident.
        settings.problem("systemctl", "\"" + systemctl + "\" is not one program (expected a program name such as"
            + " systemctl, or an absolute path such as /usr/bin/systemctl: it runs without a shell, and medic adds"
            + " the verb and the unit itself)");
      }
    }
    boolean user = settings.bool("user", false);
    Map<String, String> env = CommandActionType.environment(medicEnvironment, ENV_ALLOW, Map.of());
    return new SystemdAction(context, systemctl, user, unit, operation, env);
  }

  private static String unit(Settings settings) {
    String unit = settings.string("unit");
    if (unit.isEmpty()) {
      if (settings.has("unit")) {
        settings.problem("unit", "is empty (expected a unit name such as \"app.service\")");
      }
      return unit;
    }
    if (unit.length() > UNIT_MAX || !UNIT.matcher(unit).matches()) {
      String hint = unit.indexOf('.') < 0 && !unit.startsWith("-")
          ? " (expected the full name with its type, e.g. \"" + unit + ".service\")"
          : " (expected a unit name such as \"app.service\" or \"getty@tty1.service\")";
      settings.problem("unit", "\"" + unit + "\" is not a unit name" + hint);
    }
    return unit;
  }
}
