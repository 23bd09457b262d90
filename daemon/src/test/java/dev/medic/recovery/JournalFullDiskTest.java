package dev.medic.recovery;

import static org.assertj.core.api.Assertions.assertThat;

import dev.medic.Daemon;
import dev.medic.Plugins;
import dev.medic.config.ConfigLoader;
import dev.medic.config.MedicConfig;
import dev.medic.metrics.MedicMetrics;
import dev.medic.notify.ChannelTypes;
import dev.medic.notify.Event;
import dev.medic.probe.ProbeResult;
import dev.medic.probe.ProbeTypes;
import dev.medic.testing.Await;
import dev.medic.testing.RecordedLog;
import dev.medic.testing.RecordingChannelType;
import dev.medic.testing.ScriptedProbeType;
import dev.medic.testing.Scripts;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A whole daemon whose journal lives on a tmpfs of 256 KiB that the test fills up (issue 12, item
 * 2): the failure is said (metric, /status, log), nothing runs unjournaled, and once there is room
 * again recovery resumes by itself and runs a real command action.
 */
class JournalFullDiskTest {

  private static final String TOKEN = "full-disk-token";
  private static Path mount;
  private static boolean mounted;

  @TempDir
  Path work;

  private final ScriptedProbeType scripted = new ScriptedProbeType();
  private final RecordingChannelType recording = new RecordingChannelType();
  private Vertx vertx;
  private Daemon daemon;

  @BeforeAll
  static void mountSmallFileSystem() throws Exception {
    mount = Files.createTempDirectory("medic-full-disk");
    Process p = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", mount.toString())
        .redirectErrorStream(true).start();
    String said = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    mounted = p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0;
    // The suite runs as root (CI does): a refused mount is a broken machine, not a reason to skip.
    assertThat(mounted).as("mount -t tmpfs %s: %s", mount, said).isTrue();
  }

  @AfterAll
  static void unmount() throws Exception {
    if (mounted) {
      new ProcessBuilder("umount", mount.toString()).inheritIO().start().waitFor(10, TimeUnit.SECONDS);
    }
    Files.deleteIfExists(mount);
  }

  @AfterEach
  void stop() {
    if (daemon != null) {
      Await.join(daemon.stop());
    }
    if (vertx != null) {
      Await.join(vertx.close());
    }
  }

  /** Writes a file until the file system has no room left; returns it (delete it to make room). */
  private static Path fill(Path dir) throws IOException {
    Path filler = dir.resolve("filler");
    byte[] block = new byte[4096];
    try (OutputStream out = Files.newOutputStream(filler)) {
      while (true) {
        out.write(block);
        out.flush();
      }
    } catch (IOException full) {
      assertThat(full.getMessage()).contains("No space left on device");
    }
    return filler;
  }

  /**
   * A tmpfs hands out whole pages: the journal's last page would take a few more records after the
   * file system is full. A record of padding (a kind nothing reads) makes the file end on a page
   * boundary, so that the very next record needs space the full disk does not have.
   */
  private static void endOnAPageBoundary(Path journalFile) throws IOException {
    long size = Files.size(journalFile);
    int pad = (int) (4096 - size % 4096);
    String skeleton = "{\"kind\":\"padding\",\"pad\":\"\"}\n";
    if (pad < skeleton.length()) {
      pad += 4096;
    }
    Files.writeString(journalFile, skeleton.replace("\"\"}", "\"" + "x".repeat(pad - skeleton.length()) + "\"}"),
        java.nio.file.StandardOpenOption.APPEND);
    assertThat(Files.size(journalFile) % 4096).isZero();
  }

  private static boolean outboxEmpty(Path journalDir) {
    try (var files = Files.walk(journalDir.resolve("outbox"))) {
      return files.noneMatch(f -> f.toString().endsWith(".json"));
    } catch (IOException e) {
      return false;
    }
  }

  private HttpResponse<Buffer> call(HttpMethod method, String path, JsonObject body) {
    WebClient client = WebClient.create(vertx);
    try {
      var req = client.request(method, daemon.apiPort(), "127.0.0.1", path).bearerTokenAuthentication(TOKEN);
      return Await.join(body == null ? req.send() : req.sendJsonObject(body));
    } finally {
      client.close();
    }
  }

  private JsonObject status() {
    WebClient client = WebClient.create(vertx);
    try {
      return Await.join(client.get(daemon.apiPort(), "127.0.0.1", "/status").putHeader("accept", "application/json")
          .send()).bodyAsJsonObject();
    } finally {
      client.close();
    }
  }

  private static JsonObject recoveryOf(JsonObject status, String check) {
    return status.getJsonArray("checks").stream().map(JsonObject.class::cast)
        .filter(c -> check.equals(c.getString("name"))).findFirst().orElseThrow().getJsonObject("recovery");
  }

  private double writeErrors(MedicMetrics metrics) {
    Matcher m = Pattern.compile("(?m)^medic_journal_write_errors_total (\\S+)$").matcher(metrics.scrape());
    return m.find() ? Double.parseDouble(m.group(1)) : -1;
  }

  @Test
  void aRecordCutShortByTheFullDiskIsTakenBackAndTheNextOneIsWhole() throws Exception {
    vertx = Vertx.vertx();
    Path dir = mount.resolve("journal-only");
    Journal j = Await.join(Journal.open(vertx, dir));
    Await.join(j.append(new JsonObject().put("n", 1), true));
    Path filler = fill(mount);
    // Fits in part into the file's last page (about 4 KiB are free there), then finds no room.
    var failed = j.append(new JsonObject().put("n", 2).put("pad", "x".repeat(6000)), true)
        .toCompletionStage().toCompletableFuture();
    assertThat(failed).failsWithin(java.time.Duration.ofSeconds(5)).withThrowableThat()
        .withMessageContaining("No space left on device");
    assertThat(Files.readString(dir.resolve(Journal.FILE))).as("nothing of the record that failed is left")
        .isEqualTo("{\"n\":1}\n");
    assertThat(j.health().writable()).isFalse();
    assertThat(j.health().lastError()).isEqualTo("No space left on device");
    Files.delete(filler);
    Await.join(j.append(new JsonObject().put("n", 3), true));
    assertThat(j.health().writable()).isTrue();
    assertThat(Journal.read(dir)).extracting(r -> r.getInteger("n")).containsExactly(1, 3);
    Await.join(j.close());
  }

  @Test
  void aFullJournalDiskIsSaidEverywhereAndRecoveryResumesByItselfOnceThereIsRoom() throws Exception {
    Path journalDir = mount.resolve("journal");
    Path journalFile = journalDir.resolve(Journal.FILE);
    Path fixed = work.resolve("fixed");
    Path runs = work.resolve("runs.log");
    // The action proves that it never runs unjournaled: it finds its own start record on disk first.
    Path fix = Scripts.write(work.resolve("fix.sh"), "echo run >> " + runs + "\n"
        + "grep -q '\"kind\":\"attempt-started\"' " + journalFile + " || { echo 'not journaled'; exit 3; }\n"
        + "touch " + fixed + "\n");
    AtomicBoolean broken = new AtomicBoolean();
    scripted.script("app", i -> Future.succeededFuture(Files.exists(fixed) ? ProbeResult.ok("fixed")
        : broken.get() ? ProbeResult.critical("app is down") : ProbeResult.ok("fine")));
    vertx = Vertx.vertx();
    MedicMetrics metrics = new MedicMetrics(MedicMetrics.newRegistry());
    MedicConfig cfg = new ConfigLoader(new Plugins(ProbeTypes.of(scripted), ActionTypes.discover(),
        ChannelTypes.of(recording)), vertx).loadString("""
        medic {
          http { port = 0, token = "%s" }
          journal.dir = "%s"
          startup-spread = 0s
          fall = 1
          rise = 1
          checks {
            app { type = scripted, interval = 300ms, on-critical = [fix] }
            other { type = scripted, interval = 300ms }
          }
          actions { fix { type = command, command = %s, grace = 50ms, max-attempts = 3 } }
          notify { ops { type = recording, group-wait = 50ms, severities = [info, warning, critical] } }
        }
        """.formatted(TOKEN, journalDir, Scripts.list(fix.toString())), "full-disk-test.conf");
    try (RecordedLog logged = RecordedLog.of(RecoveryVerticle.class)) {
      daemon = Await.join(Daemon.start(vertx, cfg, metrics));
      Await.until("the start told", 10_000, () -> recording.events().stream()
          .anyMatch(e -> "started".equals(e.details().getString("step"))));
      assertThat(writeErrors(metrics)).isZero();
      String window = call(HttpMethod.POST, "/maintenance", new JsonObject().put("checks", new JsonArray().add("other"))
          .put("duration", "1h")).bodyAsJsonObject().getString("id");
      // Delivered notifications leave the outbox: a file deleted after the disk is full would make room.
      Await.until("the outbox empty", 10_000, () -> outboxEmpty(journalDir));
      endOnAPageBoundary(journalFile);
      Path filler = fill(mount);

      broken.set(true);
      Await.until("the failed writes counted, and retried", 15_000, () -> writeErrors(metrics) >= 3);
      JsonObject during = status();
      JsonObject journal = during.getJsonObject("journal");
      assertThat(journal.getBoolean("writable")).isFalse();
      assertThat(journal.getString("lastError")).contains("No space left on device");
      assertThat(journal.getString("failingSince")).isNotNull();
      assertThat(journal.getString("dir")).isEqualTo(journalDir.toString());
      JsonObject recovery = recoveryOf(during, "app");
      assertThat(recovery.getString("state")).isEqualTo("held");
      assertThat(recovery.getString("heldBecause")).contains("waiting for the journal", "No space left on device");
      assertThat(logged.lines()).anySatisfy(l -> assertThat(l).startsWith("ERROR")
          .contains("could not write to the journal", "check=app", "error=", "No space left on device"));
      assertThat(runs).as("no attempt runs while its start cannot be journaled").doesNotExist();
      // An operator's calls: refused with the cause, and nothing changes that is not on disk.
      JsonObject manual = call(HttpMethod.POST, "/actions/fix/run", new JsonObject().put("check", "app"))
          .bodyAsJsonObject();
      assertThat(manual.getString("outcome")).isEqualTo("failure");
      assertThat(manual.getString("message")).contains("could not be written", "No space left on device");
      HttpResponse<Buffer> ending = call(HttpMethod.DELETE, "/maintenance/" + window, null);
      assertThat(ending.statusCode()).isEqualTo(500);
      assertThat(ending.bodyAsJsonObject().getString("error")).contains("No space left on device");
      assertThat(status().getJsonArray("maintenance")).as("not ended on disk, so not ended")
          .anySatisfy(w -> assertThat(((JsonObject) w).getString("id")).isEqualTo(window));
      assertThat(runs).as("a manual run is not run unjournaled either").doesNotExist();

      Files.delete(filler);
      Await.until("fixed by the action, once the journal took its start", 40_000, () -> Files.exists(fixed)
          && daemon.live().find("app").orElseThrow().state().status() == dev.medic.probe.Status.OK);
      assertThat(Files.readAllLines(runs)).containsExactly("run");
      Await.until("the journal said to be writable again", 10_000, () -> recording.events().stream()
          .anyMatch(e -> "journal-writable".equals(e.details().getString("step"))));
      Event back = recording.events().stream().filter(e -> "journal-writable".equals(e.details().getString("step")))
          .findFirst().orElseThrow();
      assertThat(back.severity()).isEqualTo("info");
      assertThat(back.message()).contains("again", "write(s) failed", "No space left on device");
      JsonObject after = status();
      assertThat(after.getJsonObject("journal").getBoolean("writable")).isTrue();
      assertThat(recoveryOf(after, "app").getString("heldBecause")).isNull();
    }
    List<JsonObject> records = Journal.read(journalDir);
    List<JsonObject> attempts = records.stream().filter(r -> r.getString("kind").startsWith("attempt")).toList();
    assertThat(attempts).extracting(r -> r.getString("kind")).containsExactly("attempt-started", "attempt");
    assertThat(attempts.get(1).getString("outcome")).isEqualTo("success");
    // Nothing half-written is left behind by the failed writes: every line is a whole record.
    for (String line : Files.readAllLines(journalFile, StandardCharsets.UTF_8)) {
      assertThat(new JsonObject(line).getString("kind")).isNotNull();
    }
  }
}
