package dev.medic.probe;

import dev.medic.config.Settings;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * {@code type = process}: whether a process runs, and what it uses, from {@code /proc}.
 *
 * <p>Keys: exactly one of {@code pidfile} (absolute path of a file holding the pid) and {@code
 * match} (a Java regular expression found anywhere in the command line, its arguments joined by
 * spaces, as {@code pgrep -f} does; anchor it with {@code ^} for the program); {@code user} (with
 * {@code match} only: a user name or numeric uid the process must run as, effective uid);
 * {@code proc} (default {@code "/proc"}; e.g. {@code /host/proc} to watch a node's processes from
 * a container sharing its pid namespace).
 *
 * <p>Measurements: {@code pid}, {@code uptime} (lower is worse: a young process has restarted),
 * {@code cpu} (ratio of one core since the previous run), {@code memory} (resident bytes),
 * {@code memory-used} (ratio of the host's MemTotal), {@code children} (direct children),
 * {@code open-files} (where medic may read {@code /proc/PID/fd}), {@code processes} (how many
 * match; lower is worse, so a threshold can ask for a number of workers).
 */
public final class ProcessProbeType implements ProbeType {

  static final String DEFAULT_PROC = "/proc";
  private static final Pattern USER = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.-]*\\$?");

  @Override
  public String type() {
    return "process";
  }

  @Override
  public Probe create(Settings settings, ProbeContext context) {
    Optional<String> pidfile = settings.optString("pidfile");
    Optional<String> matchText = settings.optString("match");
    Optional<String> user = settings.optString("user");
    String proc = settings.string("proc", DEFAULT_PROC);

    if (pidfile.isPresent() && matchText.isPresent()) {
      settings.problem("match", "is set together with pidfile (expected one of them: pidfile finds one "
          + "process by its pid, match finds processes by their command line)");
    } else if (pidfile.isEmpty() && matchText.isEmpty()) {
      settings.problem("needs pidfile or match (expected one of them, e.g. pidfile = \"/run/app.pid\" "
          + "or match = \"^/usr/sbin/nginx\")");
    }
    if (pidfile.isPresent() && !pidfile.get().startsWith("/")) {
      settings.problem("pidfile", "\"" + pidfile.get() + "\" is not an absolute path (expected e.g. \"/run/app.pid\")");
    }
    Optional<Pattern> match = matchText.flatMap(re -> compile(settings, re));
    if (user.isPresent()) {
      if (matchText.isEmpty()) {
        settings.problem("user", "applies only with match (a pidfile names its process already)");
      } else if (!USER.matcher(user.get()).matches()) {
        settings.problem("user", "\"" + user.get() + "\" is not a user name or uid (expected e.g. \"postgres\" or 999)");
      }
    }
    if (!proc.startsWith("/")) {
      settings.problem("proc", "\"" + proc + "\" is not an absolute path (expected e.g. \"/proc\" or \"/host/proc\")");
    }
    return new ProcessProbe(context, new ProcessProbe.Config(pidfile, match, user, proc));
  }

  private static Optional<Pattern> compile(Settings settings, String re) {
    if (re.isBlank()) {
      settings.problem("match", "is empty (expected a regular expression for the command line, e.g. \"^/usr/sbin/nginx\")");
      return Optional.empty();
    }
    try {
      return Optional.of(Pattern.compile(re));
    } catch (PatternSyntaxException e) {
      settings.problem("match", "\"" + re + "\" is not a regular expression: " + e.getDescription()
          + " at index " + e.getIndex() + " (expected a Java regex, e.g. \"^/usr/sbin/nginx\")");
      return Optional.empty();
    }
  }

  @Override
  public Map<String, MeasurementSpec> measurements() {
    Map<String, MeasurementSpec> m = new LinkedHashMap<>();
    m.put("pid", MeasurementSpec.higherIsWorse(Unit.NUMBER));
    m.put("uptime", MeasurementSpec.lowerIsWorse(Unit.SECONDS));
    m.put("cpu", MeasurementSpec.higherIsWorse(Unit.RATIO));
    m.put("memory", MeasurementSpec.higherIsWorse(Unit.BYTES));
    m.put("memory-used", MeasurementSpec.higherIsWorse(Unit.RATIO));
    m.put("children", MeasurementSpec.higherIsWorse(Unit.COUNT));
    m.put("open-files", MeasurementSpec.higherIsWorse(Unit.COUNT));
    m.put("processes", MeasurementSpec.lowerIsWorse(Unit.COUNT));
    return Collections.unmodifiableMap(m);
  }
}
