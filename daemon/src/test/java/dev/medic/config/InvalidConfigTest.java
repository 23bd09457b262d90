package dev.medic.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.medic.probe.ProbeTypes;
import dev.medic.testing.FakeProbeTypes;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every file under {@code config/invalid/} is a broken configuration; its sibling {@code .expected}
 * lists, one line per problem and in report order (by line), text that the problem's report line
 * must contain — file, line, key path and message. The file must produce exactly that many
 * problems: all of them at once, none twice.
 */
class InvalidConfigTest {

  private static Vertx vertx;
  private static ConfigLoader loader;

  @BeforeAll
  static void setUp() {
    vertx = Vertx.vertx();
    loader = new ConfigLoader(plugins(), vertx);
  }

  /**
   * Stand-in probe types (plus the real command probe) and channel types; the real action types,
   * as the corpus holds what they refuse (a log-cleanup of /etc, a redis-clear of every key).
   */
  static dev.medic.Plugins plugins() {
    List<dev.medic.probe.ProbeType> probes = new java.util.ArrayList<>();
    for (String name : FakeProbeTypes.all().names()) {
      probes.add(FakeProbeTypes.all().find(name).orElseThrow());
    }
    probes.add(new dev.medic.probe.CommandProbeType());
    return new dev.medic.Plugins(ProbeTypes.of(probes.toArray(dev.medic.probe.ProbeType[]::new)),
        dev.medic.recovery.ActionTypes.discover(), dev.medic.testing.FakeChannelTypes.all());
  }

  @AfterAll
  static void tearDown() {
    vertx.close().await();
  }

  static Path corpus() throws URISyntaxException {
    return Path.of(Objects.requireNonNull(InvalidConfigTest.class.getResource("/config/invalid")).toURI());
  }

  static Stream<String> cases() throws IOException, URISyntaxException {
    try (Stream<Path> files = Files.list(corpus())) {
      return files.map(p -> p.getFileName().toString())
          .filter(n -> n.endsWith(".conf"))
          .map(n -> n.substring(0, n.length() - ".conf".length()))
          .sorted()
          .toList()
          .stream();
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void reportsEveryProblemWithFileLineAndPath(String name) throws Exception {
    Path conf = corpus().resolve(name + ".conf");
    List<String> expected = Files.readAllLines(corpus().resolve(name + ".expected"), StandardCharsets.UTF_8)
        .stream().filter(l -> !l.isBlank()).toList();

    ConfigException e = assertThrows(ConfigException.class, () -> loader.load(Optional.of(conf)));

    String report = e.report();
    assertThat(report).as("report of %s", name).contains(expected);
    List<String> reported = e.problems().stream().map(ConfigProblem::toString).toList();
    assertThat(reported).as("problems of %s:%n%s", name, report).hasSameSizeAs(expected);
    for (int i = 0; i < expected.size(); i++) {
      assertThat(reported.get(i)).as("problem %d of %s:%n%s", i + 1, name, report).contains(expected.get(i));
    }

    // The same file through the command line: exit 78 (EX_CONFIG), the same lines on stderr.
    java.io.StringWriter err = new java.io.StringWriter();
    int code = dev.medic.cli.Cli.execute(new String[] {"check", "--config", conf.toString()},
        new java.io.PrintWriter(new java.io.StringWriter()), new java.io.PrintWriter(err),
        plugins());
    assertThat(code).as("exit code of medic check on %s", name).isEqualTo(78);
    assertThat(err.toString()).contains(expected);
  }

  @Test
  void corpusIsPairedAndLargeEnough() throws Exception {
    List<String> confs = cases().toList();
    assertThat(confs).hasSizeGreaterThanOrEqualTo(18);
    try (Stream<Path> files = Files.list(corpus())) {
      // Subdirectories hold files that the cases include.
      List<String> names = files.filter(Files::isRegularFile).map(p -> p.getFileName().toString()).toList();
      for (String n : names) {
        String base = n.replaceFirst("\\.(conf|expected)$", "");
        assertThat(names).as("%s needs both %s.conf and %s.expected", n, base, base)
            .contains(base + ".conf", base + ".expected");
      }
    }
  }

  @Test
  void severalProblemsAreAllReportedAtOnce() throws Exception {
    ConfigException e = assertThrows(ConfigException.class,
        () -> loader.load(Optional.of(corpus().resolve("several-problems.conf"))));

    assertThat(e.problems()).hasSize(7);
    assertThat(e.getMessage()).startsWith("7 configuration problem(s)");
  }

  @Test
  void aMissingFileIsOneProblemNamingIt() {
    Path missing = Path.of("target", "no-such-medic.conf");

    ConfigException e = assertThrows(ConfigException.class, () -> loader.load(Optional.of(missing)));

    assertThat(e.report()).isEqualTo(missing + ": cannot read the configuration file (expected a readable HOCON file)\n");
  }

  @Test
  void withNoProbeTypesInstalledEveryTypeIsUnknownAndSaysSo() throws Exception {
    ConfigLoader bare = new ConfigLoader(ProbeTypes.of(), vertx);

    ConfigException e = assertThrows(ConfigException.class,
        () -> bare.loadString("medic.checks.root { type = disk, path = \"/\" }", "bare.conf"));

    assertThat(e.report()).isEqualTo(
        "bare.conf:1: medic.checks.root.type: unknown probe type \"disk\" (no probe types are installed)\n");
  }

  @Test
  void anUnsetVariableIsReportedWithoutTheRestOfItsValue() throws Exception {
    ConfigException e = assertThrows(ConfigException.class,
        () -> loader.load(Optional.of(corpus().resolve("unresolved-variable.conf"))));

    assertThat(e.report()).contains("${NOPE_DB_HOST_NOT_SET}").doesNotContain("hunter2");
  }
}
