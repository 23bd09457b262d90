package dev.medic.cli;

import java.nio.file.Path;
import java.util.Optional;
import picocli.CommandLine.Option;

/** {@code --config FILE}, falling back to {@code MEDIC_CONFIG}, then to the embedded default. */
public final class ConfigOption {

  @Option(names = {"-c", "--config"}, paramLabel = "FILE",
      description = "HOCON configuration file (default: $MEDIC_CONFIG, else the embedded default)")
  Path file;

  public Optional<Path> resolve() {
    if (file != null) {
      return Optional.of(file);
    }
    String env = System.getenv("MEDIC_CONFIG");
    return env == null || env.isBlank() ? Optional.empty() : Optional.of(Path.of(env));
  }
}
