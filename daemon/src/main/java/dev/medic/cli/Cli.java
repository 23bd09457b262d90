package dev.medic.cli;

import dev.medic.ExitCodes;
import dev.medic.Plugins;
import dev.medic.recovery.ActionTypes;
import dev.medic.probe.ProbeTypes;
import java.io.PrintWriter;
import java.util.function.Supplier;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code medic} command and its subcommands (DESIGN §9). */
@Command(name = "medic", mixinStandardHelpOptions = true,
    versionProvider = VersionCommand.Provider.class,
    description = "Reactive health-probe and auto-recovery daemon.",
    subcommands = {RunCommand.class, CheckCommand.class, ProbeCommand.class, StatusCommand.class, HealthCommand.class,
        VersionCommand.class, TrainCommand.class})
public final class Cli implements Runnable {

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  /** Looked up only by the subcommands that read a configuration. */
  private final Supplier<Plugins> plugins;

  private Cli(Supplier<Plugins> plugins) {
    this.plugins = plugins;
  }

  /** The plug-in types a configuration may use. */
  Plugins plugins() {
    return plugins.get();
  }

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "a subcommand is required");
  }

  /** Runs the command line and returns the exit code; {@code run} returns only when medic stops. */
  public static int execute(String[] args, PrintWriter out, PrintWriter err) {
    return execute(args, out, err, Plugins::discover);
  }

  /**
   * Runs the command line with exactly {@code probeTypes} instead of those registered on the class
   * path, for an application that embeds medic (or a test) and brings its own.
   */
  public static int execute(String[] args, PrintWriter out, PrintWriter err, ProbeTypes probeTypes) {
    return execute(args, out, err, () -> new Plugins(probeTypes, ActionTypes.discover()));
  }

  /** Runs the command line with exactly these plug-in types. */
  public static int execute(String[] args, PrintWriter out, PrintWriter err, Plugins plugins) {
    return execute(args, out, err, () -> plugins);
  }

  private static int execute(String[] args, PrintWriter out, PrintWriter err, Supplier<Plugins> plugins) {
    CommandLine cl = new CommandLine(new Cli(plugins));
    cl.setOut(out);
    cl.setErr(err);
    cl.setExitCodeExceptionMapper(e -> ExitCodes.USAGE);
    cl.getCommandSpec().exitCodeOnInvalidInput(ExitCodes.USAGE);
    for (CommandLine sub : cl.getSubcommands().values()) {
      sub.getCommandSpec().exitCodeOnInvalidInput(ExitCodes.USAGE);
    }
    return cl.execute(args);
  }
}
