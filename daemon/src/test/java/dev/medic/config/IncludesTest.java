package dev.medic.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.vertx.core.Vertx;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code include}: relative to the including file, a missing one an error unless optional, no silent merges. */
class IncludesTest {

  private static Vertx vertx;
  private static ConfigLoader loader;

  @TempDir Path dir;

  @BeforeAll
  static void setUp() {
    vertx = Vertx.vertx();
    loader = new ConfigLoader(InvalidConfigTest.plugins(), vertx);
  }

  @AfterAll
  static void tearDown() {
    vertx.close().await();
  }

  private Path write(String name, String text) throws IOException {
    Path p = dir.resolve(name);
    Files.createDirectories(p.getParent());
    return Files.writeString(p, text, StandardCharsets.UTF_8);
  }

  @Test
  void anIncludeIsReadRelativeToTheIncludingFileAlsoFromASubdirectory() throws Exception {
    Path main = write("medic.conf", "include \"conf.d/checks.conf\"\nmedic.checks.root { type = disk, path = \"/\" }\n");
    write("conf.d/checks.conf", "include \"more/tmp.conf\"\nmedic.checks.api { type = http, url = \"http://127.0.0.1:1/\" }\n");
    write("conf.d/more/tmp.conf", "medic.checks.tmp { type = disk, path = \"/tmp\" }\n");

    MedicConfig c = loader.load(Optional.of(main));

    assertThat(c.checks()).containsOnlyKeys("root", "api", "tmp");
  }

  @Test
  void aMissingIncludeIsAnErrorWithItsFileAndLine() throws Exception {
    Path main = write("medic.conf", "medic.checks.root { type = disk, path = \"/\" }\n\ninclude \"conf.d/chekcs.conf\"\n");

    ConfigException e = assertThrows(ConfigException.class, () -> loader.load(Optional.of(main)));

    assertThat(e.report()).isEqualTo(main + ":3: include \"conf.d/chekcs.conf\": the file does not exist (expected a"
        + " readable file, a path relative to the directory of the file that includes it; or include"
        + " \"optional:conf.d/chekcs.conf\" for a file that may be absent)\n");
  }

  @Test
  void aMissingIncludeDoesNotHideTheOtherProblems() throws Exception {
    Path main = write("medic.conf", "medic.checks.root { type = disk, path = \"/\", intervall = 1m }\n"
        + "include \"conf.d/chekcs.conf\"\n");

    ConfigException e = assertThrows(ConfigException.class, () -> loader.load(Optional.of(main)));

    assertThat(e.report()).contains(main + ":2: include \"conf.d/chekcs.conf\": the file does not exist")
        .contains(main + ":1: medic.checks.root.intervall");
  }

  @Test
  void aFileOfOnlyAMissingIncludeIsReportedAsSuch() throws Exception {
    Path main = write("medic.conf", "include \"checks.conf\"\n");

    ConfigException e = assertThrows(ConfigException.class, () -> loader.load(Optional.of(main)));

    assertThat(e.report()).startsWith(main + ":1: include \"checks.conf\": the file does not exist");
  }

  @Test
  void anOptionalIncludeMayBeAbsentAndIsReadWhenPresent() throws Exception {
    Path main = write("medic.conf", "medic.checks.root { type = disk, path = \"/\" }\n"
        + "include \"optional:local.conf\"\n");

    assertThat(loader.load(Optional.of(main)).checks()).containsOnlyKeys("root");

    write("local.conf", "medic.checks.tmp { type = disk, path = \"/tmp\" }\n");
    assertThat(loader.load(Optional.of(main)).checks()).containsOnlyKeys("root", "tmp");
  }

  @Test
  void aCheckDefinedInTwoFilesNamesBothPlaces() throws Exception {
    Path main = write("medic.conf", "include \"a.conf\"\ninclude \"b.conf\"\n");
    write("a.conf", "medic.checks.db { type = disk, path = \"/\" }\n");
    write("b.conf", "medic {\n  checks {\n    db { type = disk, path = \"/\" }\n  }\n}\n");

    ConfigException e = assertThrows(ConfigException.class, () -> loader.load(Optional.of(main)));

    assertThat(e.report()).isEqualTo(dir.resolve("b.conf") + ":3: medic.checks.db: is also defined in a.conf:1"
        + " (HOCON would merge the two into one; expected each check defined in one file: rename one, or remove one)\n");
  }

  @Test
  void aChannelDefinedInAFileIncludedInsideNotifyAndInTheMainFileIsRefused() throws Exception {
    Path main = write("medic.conf", "medic.notify {\n  hook { type = webhook, url = \"http://127.0.0.1:1/\" }\n"
        + "  include \"channels.conf\"\n}\n");
    write("channels.conf", "hook { type = webhook, url = \"http://127.0.0.1:2/\" }\n");

    ConfigException e = assertThrows(ConfigException.class, () -> loader.load(Optional.of(main)));

    assertThat(e.report()).contains("channels.conf:1: medic.notify.hook: is also defined in medic.conf:2");
  }

  @Test
  void aSharedPartIncludedInsideOneCheckIsNotASecondDefinition() throws Exception {
    Path main = write("medic.conf", "medic.checks.db {\n  include \"db-common.conf\"\n  type = disk\n}\n");
    write("db-common.conf", "path = \"/\"\ninterval = 1m\n");

    assertThat(loader.load(Optional.of(main)).checks().get("db").interval()).hasMinutes(1);
  }

  @Test
  void anIncludeCycleIsAProblemNotACrash() throws Exception {
    Path main = write("medic.conf", "include \"a.conf\"\nmedic.checks.root { type = disk, path = \"/\" }\n");
    write("a.conf", "include \"medic.conf\"\n");

    ConfigException e = assertThrows(ConfigException.class, () -> loader.load(Optional.of(main)));

    assertThat(e.report()).isEqualTo(dir.resolve("a.conf") + ":1: include \"medic.conf\": an include cycle"
        + " medic.conf → a.conf → medic.conf (expected each file included once, by a file it does not include)\n");
  }

  @Test
  void aSyntaxErrorInAnIncludedFileNamesThatFileAndLine() throws Exception {
    Path main = write("medic.conf", "include \"a.conf\"\n");
    write("a.conf", "medic.checks.root {\n  type = disk\n  path = [\n");

    ConfigException e = assertThrows(ConfigException.class, () -> loader.load(Optional.of(main)));

    assertThat(e.report()).contains(dir.resolve("a.conf") + ":").contains("not valid HOCON");
  }
}
