package dev.medic.recovery;

import static dev.medic.testing.Scripts.list;
import static org.assertj.core.api.Assertions.assertThat;

import dev.medic.config.ConfigProblem;
import dev.medic.config.Settings;
import dev.medic.probe.Unit;
import dev.medic.testing.TestSettings;
import io.vertx.core.Vertx;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

@ExtendWith(VertxExtension.class)
@Timeout(value = 15, timeUnit = TimeUnit.SECONDS)
class LogCleanupActionTest {

  private static final Duration GENEROUS = Duration.ofSeconds(10);

  @TempDir Path tmp;

  /** The root under test. */
  private Path logs;
  /** Next to the root, never to be touched. */
  private Path outside;

  @BeforeEach
  void tree() throws IOException {
    logs = Files.createDirectory(tmp.resolve("logs"));
    outside = Files.createDirectory(tmp.resolve("outside"));
  }

  @Test
  void oldFilesAreDeletedAndNewOnesKept(Vertx vertx, VertxTestContext test) throws Exception {
    Path old = file(logs.resolve("app.log.3"), 1000, Duration.ofDays(10));
    Path recent = file(logs.resolve("app.log.1"), 1000, Duration.ofHours(1));
    Path active = file(logs.resolve("app.log"), 1000, Duration.ZERO);
    Path sub = Files.createDirectory(logs.resolve("worker"));
    Path oldBelow = file(sub.resolve("worker.log.9"), 3000, Duration.ofDays(30));
    action(vertx, "older-than = 7d").run("disk").onComplete(test.succeeding(o -> test.verify(() -> {
      assertThat(o.success()).isTrue();
      assertThat(o.message()).isEqualTo("deleted 2 files (3.91 KiB), compressed 0");
      assertThat(old).doesNotExist();
      assertThat(oldBelow).doesNotExist();
      assertThat(recent).exists();
      assertThat(active).exists();
      assertThat(o.output()).contains("deleted " + logs.toRealPath().resolve("app.log.3") + " (older than 7d, 1000 B)");
      test.completeNow();
    })));
  }

  @Test
  void notRecursiveLeavesSubdirectoriesAlone(Vertx vertx, VertxTestContext test) throws Exception {
    Path old = file(logs.resolve("a.log"), 10, Duration.ofDays(10));
    Path oldBelow = file(Files.createDirectory(logs.resolve("sub")).resolve("b.log"), 10, Duration.ofDays(10));
    action(vertx, "older-than = 7d\nrecursive = false").run("disk").onComplete(test.succeeding(o -> test.verify(() -> {
      assertThat(o.message()).isEqualTo("deleted 1 file (10 B), compressed 0");
      assertThat(old).doesNotExist();
      assertThat(oldBelow).exists();
      test.completeNow();
    })));
  }

  @Test
  void onlyFilesMatchingThePatternAreTouched(Vertx vertx, VertxTestContext test) throws Exception {
    Path log = file(logs.resolve("app.log.2"), 10, Duration.ofDays(10));
    Path other = file(logs.resolve("state.db"), 10, Duration.ofDays(10));
    action(vertx, "older-than = 1d\npattern = \"*.log*\"").run("disk").onComplete(test.succeeding(o -> test.verify(() -> {
      assertThat(log).doesNotExist();
      assertThat(other).exists();
      test.completeNow();
    })));
  }

  @Test
  void largeFilesAreGzippedWithTheirContentAndMtime(Vertx vertx, VertxTestContext test) throws Exception {
    Path big = file(logs.resolve("app.log.1"), 300_000, Duration.ofHours(2));
    byte[] content = Files.readAllBytes(big);
    FileTime mtime = Files.getLastModifiedTime(big);
    Files.setPosixFilePermissions(big, PosixFilePermissions.fromString("rw-r-----"));
    Path small = file(logs.resolve("small.log.1"), 1000, Duration.ofHours(2));
    Path activeBig = file(logs.resolve("app.log"), 300_000, Duration.ZERO);
    Path alreadyGz = file(logs.resolve("app.log.2.gz"), 300_000, Duration.ofHours(3));
    action(vertx, "gzip-larger-than = 100KB").run("disk").onComplete(test.succeeding(o -> test.verify(() -> {
      Path gz = logs.resolve("app.log.1.gz");
      assertThat(o.success()).isTrue();
      assertThat(o.message()).isEqualTo("deleted 0 files, compressed 1 (292.97 KiB → "
          + Unit.BYTES.format(Files.size(gz)) + ")");
      assertThat(big).doesNotExist();
      assertThat(gunzip(gz)).isEqualTo(content);
      assertThat(Files.getLastModifiedTime(gz)).isEqualTo(mtime);
      assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(gz))).isEqualTo("rw-r-----");
      assertThat(small).exists();
      assertThat(activeBig).as("modified within active-within").exists();
      assertThat(alreadyGz).exists();
      assertThat(logs.resolve("app.log.2.gz.gz")).doesNotExist();
      try (Stream<Path> files = Files.list(logs)) {
        assertThat(files.map(p -> p.getFileName().toString()))
            .containsExactlyInAnyOrder("app.log.1.gz", "small.log.1", "app.log", "app.log.2.gz");
      }
      test.completeNow();
    })));
  }

  @Test
  void anExistingGzIsNeverOverwritten(Vertx vertx, VertxTestContext test) throws Exception {
    Path big = file(logs.resolve("app.log.1"), 200_000, Duration.ofHours(2));
    Path gz = Files.writeString(logs.resolve("app.log.1.gz"), "not mine");
    action(vertx, "gzip-larger-than = 100KB").run("disk").onComplete(test.succeeding(o -> test.verify(() -> {
      assertThat(o.message()).isEqualTo("deleted 0 files, compressed 0");
      assertThat(big).exists();
      assertThat(gz).hasContent("not mine");
      test.completeNow();
    })));
  }

  @Test
  void keepLeavesTheNewestFilesOfEachDirectory(Vertx vertx, VertxTestContext test) throws Exception {
    for (int i = 1; i <= 5; i++) {
      file(logs.resolve("app.log." + i), 100, Duration.ofHours(i));
    }
    Path sub = Files.createDirectory(logs.resolve("sub"));
    for (int i = 1; i <= 3; i++) {
      file(sub.resolve("job." + i), 100, Duration.ofHours(i));
    }
    action(vertx, "keep = 2").run("disk").onComplete(test.succeeding(o -> test.verify(() -> {
      assertThat(o.message()).isEqualTo("deleted 4 files (400 B), compressed 0");
      assertThat(names(logs)).containsExactlyInAnyOrder("app.log.1", "app.log.2", "sub");
      assertThat(names(sub)).containsExactlyInAnyOrder("job.1", "job.2");
      test.completeNow();
    })));
  }

  @Test
  void aSymlinkToAFileOutsideIsNeitherFollowedNorDeleted(Vertx vertx, VertxTestContext test) throws Exception {
    Path secret = file(outside.resolve("important.db"), 500_000, Duration.ofDays(100));
    Path link = Files.createSymbolicLink(logs.resolve("app.log.7"), secret);
    Path old = file(logs.resolve("app.log.8"), 10, Duration.ofDays(100));
    action(vertx, "older-than = 7d\nkeep = 1\ngzip-larger-than = 1KB").run("disk")
        .onComplete(test.succeeding(o -> test.verify(() -> {
          assertThat(o.success()).isTrue();
          assertThat(secret).exists().hasSize(500_000);
          assertThat(outside.resolve("important.db.gz")).doesNotExist();
          assertThat(Files.isSymbolicLink(link)).as("links are skipped, not deleted").isTrue();
          assertThat(old).doesNotExist();
          assertThat(o.output()).contains("skipped symbolic link " + logs.toRealPath().resolve("app.log.7"));
          test.completeNow();
        })));
  }

  @Test
  void aSymlinkedDirectoryIsNotDescended(Vertx vertx, VertxTestContext test) throws Exception {
    Path elsewhere = Files.createDirectory(outside.resolve("data"));
    Path precious = file(elsewhere.resolve("table.dat"), 10, Duration.ofDays(100));
    Files.createSymbolicLink(logs.resolve("data"), elsewhere);
    Files.createSymbolicLink(logs.resolve("up"), tmp);
    action(vertx, "older-than = 1d").run("disk").onComplete(test.succeeding(o -> test.verify(() -> {
      assertThat(o.success()).isTrue();
      assertThat(precious).exists();
      assertThat(o.message()).isEqualTo("deleted 0 files, compressed 0");
      test.completeNow();
    })));
  }

  @Test
  void aRootThatIsASymlinkIsFollowedOnceAndConfinesToItsTarget(Vertx vertx, VertxTestContext test) throws Exception {
    Path real = Files.createDirectory(tmp.resolve("real-logs"));
    Path old = file(real.resolve("a.log"), 10, Duration.ofDays(10));
    Path linkedRoot = Files.createSymbolicLink(tmp.resolve("logs-link"), real);
    action(vertx, "paths = " + list(linkedRoot.toString()) + "\nolder-than = 1d").run("disk")
        .onComplete(test.succeeding(o -> test.verify(() -> {
          assertThat(o.message()).isEqualTo("deleted 1 file (10 B), compressed 0");
          assertThat(old).doesNotExist();
          assertThat(Files.isSymbolicLink(linkedRoot)).isTrue();
          test.completeNow();
        })));
  }

  @Test
  void aMissingRootIsAFailureAndTheOtherRootsAreStillCleaned(Vertx vertx, VertxTestContext test) throws Exception {
    Path missing = tmp.resolve("gone");
    Path old = file(logs.resolve("a.log"), 10, Duration.ofDays(10));
    Path plainFile = Files.writeString(tmp.resolve("file"), "x");
    action(vertx, "paths = " + list(missing.toString(), plainFile.toString(), logs.toString()) + "\nolder-than = 1d")
        .run("disk").onComplete(test.succeeding(o -> test.verify(() -> {
          assertThat(o.success()).isFalse();
          assertThat(o.message()).isEqualTo(
              "deleted 1 file (10 B), compressed 0; 2 errors, the first: root " + missing + " does not exist");
          assertThat(o.output()).contains("error: root " + plainFile + " is not a directory");
          assertThat(old).doesNotExist();
          test.completeNow();
        })));
  }

  @Test
  void describeSaysWhatWouldBeDone(Vertx vertx) throws Exception {
    Action action = action(vertx, "older-than = 7d\nkeep = 10\ngzip-larger-than = 100MB\npattern = \"*.log*\"");
    assertThat(action.describe()).isEqualTo("clean " + logs + " (delete files older than 7d, keep the newest 10 "
        + "per directory, gzip files larger than 95.37 MiB; files matching *.log*, recursively, "
        + "untouched if modified within 5m)");
  }

  // ---- configuration --------------------------------------------------------------------------

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', quoteCharacter = '\'', textBlock = """
      older-than = 7d                                  | medic.actions.test.paths: missing (a value is required: the directories to clean
      paths = [], older-than = 7d                      | medic.actions.test.paths: is empty
      paths = ["/"], older-than = 7d                   | medic.actions.test.paths: "/" is the root of the file system (refused
      paths = ["/var/log/../.."], older-than = 7d      | medic.actions.test.paths: "/var/log/../.." is the root of the file system (refused
      paths = ["//"], older-than = 7d                  | medic.actions.test.paths: "//" is the root of the file system (refused
      paths = ["/etc"], older-than = 7d                | medic.actions.test.paths: "/etc" is a system directory (refused: every file below a root
      paths = ["/var"], older-than = 7d                | medic.actions.test.paths: "/var" is a top-level directory (refused
      paths = ["/usr"], older-than = 7d                | medic.actions.test.paths: "/usr" is a top-level directory (refused
      paths = ["/home"], older-than = 7d               | medic.actions.test.paths: "/home" is a top-level directory (refused
      paths = ["/boot"], older-than = 7d               | medic.actions.test.paths: "/boot" is a system directory (refused
      paths = ["/root"], older-than = 7d               | medic.actions.test.paths: "/root" is a top-level directory (refused
      paths = ["/tmp"], older-than = 7d                | medic.actions.test.paths: "/tmp" is a top-level directory (refused
      paths = ["/var/"], older-than = 7d               | medic.actions.test.paths: "/var/" (that is "/var") is a top-level directory (refused
      paths = ["/var/../etc"], older-than = 7d         | medic.actions.test.paths: "/var/../etc" (that is "/etc") is a system directory (refused
      paths = ["/etc/app"], older-than = 7d            | medic.actions.test.paths: "/etc/app" is inside the system directory /etc (refused
      paths = ["/usr/lib"], older-than = 7d            | medic.actions.test.paths: "/usr/lib" is a system directory (refused
      paths = ["/var/lib"], older-than = 7d            | medic.actions.test.paths: "/var/lib" is a system directory (refused
      paths = ["/home/alice"], older-than = 7d         | medic.actions.test.paths: "/home/alice" is a home directory (refused
      paths = ["/lib64/x"], older-than = 7d            | medic.actions.test.paths: "/lib64/x" is inside the system directory /lib64 (refused
      paths = ["var/log/app"], older-than = 7d         | medic.actions.test.paths: "var/log/app" is not an absolute path
      paths = ["./logs"], older-than = 7d              | medic.actions.test.paths: "./logs" is not an absolute path
      paths = ["/var/log/app"]                         | medic.actions.test: has nothing to do (expected at least one of older-than, keep, gzip-larger-than)
      paths = ["/var/log/app"], older-than = 0s        | medic.actions.test.older-than: 0s is not above zero
      paths = ["/var/log/app"], older-than = 7         | medic.actions.test.older-than: 7 has no unit
      paths = ["/var/log/app"], keep = 0               | medic.actions.test.keep: 0 is out of range (expected 1 to 1000000)
      paths = ["/var/log/app"], gzip-larger-than = lots | medic.actions.test.gzip-larger-than: "lots" is not a size
      paths = ["/var/log/app"], keep = 3, pattern = "a/*.log" | medic.actions.test.pattern: "a/*.log" is not a file name pattern
      paths = ["/var/log/app"], keep = 3, pattern = "[a"  | medic.actions.test.pattern: "[a" is not a valid glob
      paths = ["/var/log/app"], keep = 3, active-within = -1m | medic.actions.test.active-within: -1m is negative (expected 0s or more)
      paths = ["/var/log/app"], keep = 3, older-then = 7d | medic.actions.test.older-then: unknown key (did you mean "older-than"?)
      """)
  void configurationIsValidated(String hocon, String problem, Vertx vertx) {
    Settings settings = TestSettings.action(hocon);
    new LogCleanupActionType().create(settings, new ActionContext(vertx, "test", GENEROUS));
    settings.reportUnknownKeys();

    assertThat(settings.problems().sorted()).singleElement().extracting(ConfigProblem::toString)
        .asString().startsWith("test.conf:1: " + problem);
  }

  @Test
  void aRootThatIsASymbolicLinkToASystemDirectoryIsRefused(Vertx vertx) throws IOException {
    Path link = Files.createSymbolicLink(tmp.resolve("etc-link"), Path.of("/etc"));
    Settings settings = TestSettings.action("paths = " + list(link.toString()) + ", older-than = 7d");
    new LogCleanupActionType().create(settings, new ActionContext(vertx, "test", GENEROUS));

    assertThat(settings.problems().sorted()).singleElement().extracting(ConfigProblem::toString).asString()
        .contains("medic.actions.test.paths: \"" + link + "\" resolves to \"/etc\", is a system directory (refused");
  }

  @ParameterizedTest
  @ValueSource(strings = {"/var/log/app", "/var/log", "/srv/app/logs", "/opt/app/log", "/home/app/logs",
      "/usr/local/nginx/logs", "/tmp/app", "/var/lib/docker/containers"})
  void applicationDirectoriesAreAccepted(String root) {
    assertThat(LogCleanupActionType.refusal(Path.of(root))).isEmpty();
  }

  @Test
  void isFoundByItsTypeName() {
    assertThat(ActionTypes.discover().find("log-cleanup")).get().isInstanceOf(LogCleanupActionType.class);
  }

  // ---- helpers --------------------------------------------------------------------------------

  /** A file of {@code size} bytes of log-like text, last modified {@code age} ago. */
  private static Path file(Path path, int size, Duration age) throws IOException {
    StringBuilder text = new StringBuilder(size);
    for (int i = 0; text.length() < size; i++) {
      text.append("2024-05-01T12:00:").append(i % 60).append(" INFO request ").append(i).append(" served\n");
    }
    Files.writeString(path, text.substring(0, size), StandardCharsets.US_ASCII);
    Files.setLastModifiedTime(path, FileTime.from(Instant.now().minus(age)));
    return path;
  }

  private static byte[] gunzip(Path gz) throws IOException {
    try (InputStream in = new GZIPInputStream(Files.newInputStream(gz, LinkOption.NOFOLLOW_LINKS))) {
      return in.readAllBytes();
    }
  }

  private static List<String> names(Path dir) throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      return files.map(p -> p.getFileName().toString()).toList();
    }
  }

  private Action action(Vertx vertx, String hocon) throws Exception {
    String withPaths = hocon.contains("paths") ? hocon : "paths = " + list(logs.toString()) + "\n" + hocon;
    Settings settings = TestSettings.action(withPaths);
    Action action = new LogCleanupActionType().create(settings, new ActionContext(vertx, "test", GENEROUS));
    TestSettings.assertValid(settings);
    return action;
  }
}
