package dev.medic.notify;

import static org.assertj.core.api.Assertions.assertThat;

import dev.medic.Daemon;
import dev.medic.Plugins;
import dev.medic.config.ConfigLoader;
import dev.medic.config.MedicConfig;
import dev.medic.config.Settings;
import dev.medic.metrics.MedicMetrics;
import dev.medic.probe.ProbeResult;
import dev.medic.probe.ProbeTypes;
import dev.medic.recovery.ActionTypes;
import dev.medic.testing.Await;
import dev.medic.testing.RecordingChannelType;
import dev.medic.testing.ScriptedProbeType;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The notifier when its own resources run out (issue 12): an outbox on a full disk, a receiver
 * down while checks flap, a channel that throws. Whole daemons, real files; the outbox's disk is a
 * real tmpfs of 256 KiB mounted by the test (root only).
 */
class NotifierOutboxTest {

  @TempDir
  Path journalDir;

  private final ScriptedProbeType scripted = new ScriptedProbeType();
  private final RecordingChannelType recording = new RecordingChannelType();
  private Vertx vertx;
  private Daemon daemon;
  private MedicMetrics metrics;
  private Path mounted;

  @AfterEach
  void stop() throws Exception {
    if (daemon != null) {
      Await.join(daemon.stop());
      Await.join(vertx.close());
      daemon = null;
    }
    if (mounted != null) {
      run("umount", "-l", mounted.toString());
    }
  }

  private void start(String checks, String channels, ChannelType... more) throws Exception {
    vertx = Vertx.vertx();
    metrics = new MedicMetrics(MedicMetrics.newRegistry());
    List<ChannelType> types = new java.util.ArrayList<>(List.of(more));
    types.add(recording);
    MedicConfig cfg = new ConfigLoader(new Plugins(ProbeTypes.of(scripted), ActionTypes.of(),
        ChannelTypes.of(types.toArray(ChannelType[]::new))), vertx).loadString("""
        medic {
          http.port = 0
          journal.dir = "%s"
          startup-spread = 0s
          fall = 1
          rise = 1
          flap.changes = 1000
          checks { %s }
          notify { %s }
        }
        """.formatted(journalDir, checks, channels), "outbox-test.conf");
    daemon = Await.join(Daemon.start(vertx, cfg, metrics));
  }

  private List<Event> stateEvents() {
    return recording.events().stream().filter(e -> "state".equals(e.kind())).toList();
  }

  private long filesIn(Path dir) {
    try (Stream<Path> files = Files.list(dir)) {
      return files.filter(f -> f.toString().endsWith(".json")).count();
    } catch (IOException e) {
      return 0;
    }
  }

  private static int run(String... cmd) throws Exception {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    p.getInputStream().readAllBytes();
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    return p.exitValue();
  }

  /** Fills the file system under {@code dir} to the last byte. */
  private static void fill(Path file) throws IOException {
    byte[] block = new byte[4096];
    try (OutputStream out = Files.newOutputStream(file)) {
      while (true) {
        out.write(block);
      }
    } catch (IOException full) {
      // No space left on device: what the test wanted.
    }
    // Also the few bytes left in the last block, and any inode slack: small files until nothing fits.
    for (int i = 0; ; i++) {
      try {
        Files.write(file.resolveSibling("filler-" + i), new byte[64]);
      } catch (IOException full) {
        return;
      }
    }
  }

  @Test
  void anOutboxOnAFullDiskKeepsTheNotificationInMemoryAndWritesItOnceThereIsRoom() throws Exception {
    Path outbox = journalDir.resolve("outbox");
    Files.createDirectories(outbox);
    // The suite runs as root (CI does): a refused mount is a broken machine, not a reason to skip.
    assertThat(run("mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", outbox.toString()))
        .as("mount -t tmpfs at %s", outbox).isZero();
    mounted = outbox;
    Path filler = outbox.resolve("filler");
    fill(filler);

    recording.down(true);
    scripted.script("app", i -> Future.succeededFuture(ProbeResult.critical("connect refused")));
    start("app { type = scripted, interval = 30s }", "ops { type = recording, group-wait = 50ms }");
    Await.until("a delivery attempt with the disk full", 10_000, () -> !recording.attempts().isEmpty());
    assertThat(metrics.scrape()).contains("medic_outbox_write_errors_total{channel=\"ops\"}");
    assertThat(filesIn(outbox.resolve("ops"))).isZero();
    try (Stream<Path> files = Files.list(outbox)) {
      assertThat(files.map(f -> f.getFileName().toString())).noneMatch(n -> n.endsWith(".tmp"));
    }

    // Room again: at its next attempt the notifier writes what it kept in memory to disk.
    try (Stream<Path> files = Files.list(outbox)) {
      for (Path f : files.filter(f -> f.getFileName().toString().startsWith("filler")).toList()) {
        Files.delete(f);
      }
    }
    Await.until("the notification on disk", 15_000, () -> filesIn(outbox.resolve("ops")) >= 1);

    recording.down(false);
    Await.until("delivered", 20_000, () -> !stateEvents().isEmpty());
    assertThat(stateEvents().get(0).title()).isEqualTo("CRITICAL app: connect refused");
    Await.until("outbox emptied", 5_000, () -> filesIn(outbox.resolve("ops")) == 0);
    assertThat(stateEvents()).hasSize(1);
  }

  @Test
  void aReceiverDownWhileChecksFlapKeepsTheOutboxWithinItsCapAndEachChecksLatestState() throws Exception {
    recording.down(true);
    // steady goes critical once; flappy changes on every run.
    scripted.script("steady", i -> Future.succeededFuture(ProbeResult.critical("disk full")));
    scripted.script("flappy", i -> Future.succeededFuture(i % 2 == 1 ? ProbeResult.critical("refused")
        : ProbeResult.ok("fine")));
    start("steady { type = scripted, interval = 30s }\n flappy { type = scripted, interval = 50ms, timeout = 40ms }",
        "ops { type = recording, group-wait = 10ms, outbox { max-events = 4 } }");
    Path dir = journalDir.resolve("outbox").resolve("ops");
    Await.until("flappy has changed 30 times", 15_000, () -> scripted.starts("flappy").size() >= 30);
    assertThat(metrics.scrape()).contains("medic_notifications_total{channel=\"ops\",outcome=\"dropped\"}");
    Await.until("at most 4 files", 5_000, () -> filesIn(dir) <= 4);

    recording.down(false);
    Await.until("steady's critical delivered", 20_000,
        () -> stateEvents().stream().anyMatch(e -> "steady".equals(e.check())));
    List<Event> got = stateEvents();
    assertThat(got).filteredOn(e -> "steady".equals(e.check())).extracting(Event::severity)
        .containsExactly("critical");
    assertThat(got).filteredOn(e -> "flappy".equals(e.check())).isNotEmpty();
    // Far fewer than the 30 changes: the older states of flappy were shed, not steady's only one.
    assertThat(got.size()).isLessThanOrEqualTo(10);
  }

  @Test
  void whileTheReceiverIsDownRepeatsDoNotPileUp() throws Exception {
    recording.down(true);
    scripted.script("app", i -> Future.succeededFuture(ProbeResult.critical("refused")));
    start("app { type = scripted, interval = 30s }", "ops { type = recording, group-wait = 10ms, "
        + "repeat-interval = 200ms }");
    Path dir = journalDir.resolve("outbox").resolve("ops");
    // Ten repeat intervals of a receiver that refuses everything.
    Await.until("several attempts", 15_000, () -> recording.attempts().size() >= 3);
    assertThat(filesIn(dir)).as("only the check's one undelivered state, no reminders on top").isEqualTo(1);
    recording.down(false);
    Await.until("delivered", 20_000, () -> !stateEvents().isEmpty());
    assertThat(stateEvents().get(0).title()).startsWith("CRITICAL app");
  }

  @Test
  void aChannelThatThrowsOrReturnsNothingIsRetriedAndDeliversOnceItWorks() throws Exception {
    AtomicInteger calls = new AtomicInteger();
    AtomicReference<List<Event>> got = new AtomicReference<>();
    ChannelType broken = new ChannelType() {
      @Override
      public String type() {
        return "broken";
      }

      @Override
      public Channel create(Settings settings, ChannelContext context) {
        return batch -> {
          int n = calls.incrementAndGet();
          if (n == 1) {
            return null; // a plug-in bug
          }
          if (n == 2) {
            throw new NoClassDefFoundError("org/example/HttpClient"); // built against other classes
          }
          got.set(List.copyOf(batch));
          return Future.succeededFuture();
        };
      }
    };
    scripted.script("app", i -> Future.succeededFuture(ProbeResult.critical("refused")));
    start("app { type = scripted, interval = 30s }", "ops { type = broken, group-wait = 10ms }", broken);
    Await.until("delivered on the third attempt", 15_000, () -> got.get() != null);
    assertThat(got.get()).extracting(Event::check).contains("app");
    assertThat(calls.get()).isEqualTo(3);
    assertThat(filesIn(journalDir.resolve("outbox").resolve("ops"))).isZero();
  }

  @Test
  void aChannelThatCannotBeBuiltAtReloadKeepsItsOldSelfAndTheReloadFinishes() throws Exception {
    // The 4th create is the notifier's at the reload (1: first load, 2: start, 3: the reload's
    // validation): a plug-in that passed validation and fails at run time.
    AtomicInteger creates = new AtomicInteger();
    ChannelType fragile = new ChannelType() {
      @Override
      public String type() {
        return "fragile";
      }

      @Override
      public Channel create(Settings settings, ChannelContext context) {
        settings.string("note", "");
        if (creates.incrementAndGet() == 4) {
          throw new IllegalStateException("native library not loaded");
        }
        return batch -> Future.succeededFuture();
      }
    };
    vertx = Vertx.vertx();
    metrics = new MedicMetrics(MedicMetrics.newRegistry());
    ConfigLoader loader = new ConfigLoader(new Plugins(ProbeTypes.of(scripted), ActionTypes.of(),
        ChannelTypes.of(fragile, recording)), vertx);
    String conf = """
        medic {
          http.port = 0
          journal.dir = "%s"
          checks { app { type = scripted, interval = 30s } }
          notify { f { type = fragile, note = "%s" }, ops { type = recording, group-wait = 10ms } }
        }
        """;
    MedicConfig first = loader.loadString(conf.formatted(journalDir, "one"), "reload-test.conf");
    daemon = Await.join(Daemon.start(vertx, first, metrics,
        () -> loader.loadString(conf.formatted(journalDir, "two"), "reload-test.conf")));
    io.vertx.core.json.JsonObject result = daemon.reload("test").toCompletionStage().toCompletableFuture()
        .get(10, TimeUnit.SECONDS);
    assertThat(result.getString("status")).isEqualTo("reloaded");
    assertThat(creates.get()).isEqualTo(4);
  }

  @Test
  void aBadCheckRemovedByAReloadIsResolvedWhereItWasAnnounced() throws Exception {
    scripted.script("app", i -> Future.succeededFuture(ProbeResult.critical("refused")));
    scripted.script("db", i -> Future.succeededFuture(ProbeResult.ok("fine")));
    vertx = Vertx.vertx();
    metrics = new MedicMetrics(MedicMetrics.newRegistry());
    ConfigLoader loader = new ConfigLoader(new Plugins(ProbeTypes.of(scripted), ActionTypes.of(),
        ChannelTypes.of(recording)), vertx);
    String conf = """
        medic {
          http.port = 0
          journal.dir = "%s"
          fall = 1
          checks { %s }
          notify { ops { type = recording, group-wait = 10ms, repeat-interval = 0s } }
        }
        """;
    MedicConfig first = loader.loadString(conf.formatted(journalDir,
        "app { type = scripted, interval = 30s }\n db { type = scripted, interval = 30s }"), "reload-test.conf");
    daemon = Await.join(Daemon.start(vertx, first, metrics,
        () -> loader.loadString(conf.formatted(journalDir, "db { type = scripted, interval = 30s }"), "reload-test.conf")));
    Await.until("app's critical delivered", 10_000, () -> !stateEvents().isEmpty());
    Await.join(daemon.reload("test"));
    Await.until("app resolved", 10_000, () -> stateEvents().stream().anyMatch(Event::resolved));
    Event resolved = stateEvents().stream().filter(Event::resolved).findFirst().orElseThrow();
    assertThat(resolved.check()).isEqualTo("app");
    assertThat(resolved.previous()).isEqualTo("critical");
    assertThat(resolved.title()).isEqualTo("RESOLVED app: removed from the configuration");
  }
}
