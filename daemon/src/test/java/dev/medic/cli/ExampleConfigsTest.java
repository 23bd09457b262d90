package dev.medic.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Every configuration shipped under config/ passes `medic check` with the real plug-in types. */
class ExampleConfigsTest {

  static Stream<Path> examples() throws IOException {
    // Surefire runs in daemon/; the examples live beside it at the project root.
    Path root = Path.of("..", "config").toAbsolutePath().normalize();
    try (Stream<Path> files = Files.walk(root)) {
      return files.filter(p -> p.toString().endsWith(".conf")).sorted().toList().stream();
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("examples")
  void passesMedicCheck(Path file) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = Cli.execute(new String[] {"check", "--config", file.toString()}, new PrintWriter(out),
        new PrintWriter(err));
    assertThat(code).as("medic check %s:%n%s", file, err).isZero();
    assertThat(out.toString()).contains("is valid");
  }
}
