package dev.medic.cli;

import dev.medic.ExitCodes;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code medic} command and its subcommands (DESIGN §9). */
@Command(name = "medic", mixinStandardHelpOptions = true,
    versionProvider = VersionCommand.Provider.class,
    description = "Reactive health-probe and auto-recovery daemon.",
    subcommands = {RunCommand.class, CheckCommand.class, ProbeCommand.class, StatusCommand.class,
        VersionCommand.class})
public final class Cli implements Runnable {

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "a subcommand is required");
  }

  /** Runs the command line and returns the exit code; {@code run} returns only when medic stops. */
  public static int execute(String[] args, PrintWriter out, PrintWriter err) {
    CommandLine cl = new CommandLine(new Cli());
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
