package dev.medic.probe;

import dev.medic.config.Settings;
import dev.medic.process.CommandSettings;
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
    List<String> command = CommandSettings.argv(settings, "command", EXAMPLE);
    Map<String, String> env = CommandSettings.environment(settings, "env");
    Optional<String> workdir = CommandSettings.workdir(settings, "workdir");
    return new CommandProbe(context, command, env, workdir.orElse(null));
  }

  @Override
  public boolean openMeasurements() {
    return true;
  }
}
