package dev.medic.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code medic version}. */
@Command(name = "version", mixinStandardHelpOptions = true, description = "Print medic's version.")
public final class VersionCommand implements Callable<Integer> {

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  public static String version() {
    String v = VersionCommand.class.getPackage().getImplementationVersion();
    return v == null ? "dev" : v;
  }

  @Override
  public Integer call() {
    spec.commandLine().getOut().println("medic " + version() + " (Java " + Runtime.version() + ")");
    return 0;
  }

  /** Feeds {@code medic --version}. */
  public static final class Provider implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      return new String[] {"medic " + version()};
    }
  }
}
