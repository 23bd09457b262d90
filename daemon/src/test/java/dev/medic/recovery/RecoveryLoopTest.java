package dev.medic.recovery;

import static org.assertj.core.api.Assertions.assertThat;

import dev.medic.Daemon;
import dev.medic.Plugins;
import dev.medic.config.ConfigLoader;
import dev.medic.config.MedicConfig;
import dev.medic.config.Settings;
import dev.medic.metrics.MedicMetrics;
import dev.medic.notify.ChannelTypes;
import dev.medic.probe.ProbeResult;
import dev.medic.probe.ProbeTypes;
import dev.medic.probe.Status;
import dev.medic.testing.Await;
import dev.medic.testing.RecordedLog;
import dev.medic.testing.ScriptedProbeType;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A check's recovery loop goes on whatever breaks inside it (issue 12: no exception may end it). */
class RecoveryLoopTest {

  @TempDir
  Path journalDir;

  private final ScriptedProbeType scripted = new ScriptedProbeType();
  private Vertx vertx;
  private Daemon daemon;

  @AfterEach
  void stop() {
    if (daemon != null) {
      Await.join(daemon.stop());
    }
    if (vertx != null) {
      Await.join(vertx.close());
    }
  }

  /** {@code type = brittle}: its first description throws (a bug in a plug-in), then it fixes the check. */
  private static final class BrittleActionType implements ActionType {
    final AtomicInteger describes = new AtomicInteger();
    final AtomicBoolean fixed = new AtomicBoolean();

    @Override
    public String type() {
      return "brittle";
    }

    @Override
    public Action create(Settings settings, ActionContext context) {
      return new Action() {
        @Override
        public Future<ActionOutcome> run(String check) {
          fixed.set(true);
          return Future.succeededFuture(ActionOutcome.succeeded("fixed it"));
        }

        @Override
        public String describe() {
          if (describes.incrementAndGet() == 1) {
            throw new IllegalStateException("a bug in the plug-in");
          }
          return "brittle fix";
        }
      };
    }
  }

  @Test
  void aStepThatThrowsIsLoggedAndTriedAgainInsteadOfLeavingTheCheckStuck() throws Exception {
    BrittleActionType brittle = new BrittleActionType();
    scripted.script("app", i -> Future.succeededFuture(brittle.fixed.get() ? ProbeResult.ok("fine")
        : ProbeResult.critical("app is down")));
    vertx = Vertx.vertx();
    MedicConfig cfg = new ConfigLoader(new Plugins(ProbeTypes.of(scripted), ActionTypes.of(brittle), ChannelTypes.of()),
        vertx).loadString("""
        medic {
          http.port = 0
          journal.dir = "%s"
          startup-spread = 0s
          fall = 1
          rise = 1
          checks { app { type = scripted, interval = 30s, on-critical = [fix] } }
          actions { fix { type = brittle, grace = 50ms } }
        }
        """.formatted(journalDir), "loop-test.conf");
    try (RecordedLog logged = RecordedLog.of(RecoveryVerticle.class)) {
      daemon = Await.join(Daemon.start(vertx, cfg, new MedicMetrics(MedicMetrics.newRegistry())));
      // The probe runs every 30 s: only the engine's own retry can bring the fix within the wait.
      Await.until("fixed on the retry after the step that threw", 10_000, () -> brittle.fixed.get()
          && daemon.live().find("app").orElseThrow().state().status() == Status.OK);
      assertThat(logged.lines()).anySatisfy(l -> assertThat(l).startsWith("ERROR")
          .contains("recovery step failed", "check=app", "a bug in the plug-in", "retryIn=1s"));
    }
  }

  /** {@code type = held-fix}: fixes the check at once, but its attempt ends only when the test says. */
  private static final class HeldFixActionType implements ActionType {
    final AtomicInteger runs = new AtomicInteger();
    final AtomicBoolean fixed = new AtomicBoolean();
    volatile Promise<ActionOutcome> ending;

    @Override
    public String type() {
      return "held-fix";
    }

    @Override
    public Action create(Settings settings, ActionContext context) {
      return new Action() {
        @Override
        public Future<ActionOutcome> run(String check) {
          runs.incrementAndGet();
          fixed.set(true);
          Promise<ActionOutcome> p = Promise.promise();
          ending = p;
          return p.future();
        }

        @Override
        public String describe() {
          return "held fix";
        }
      };
    }
  }

  @Test
  void anOutageThatBeginsWhileTheLastAttemptIsStillEndingIsRepairedWhenItEnds() throws Exception {
    HeldFixActionType held = new HeldFixActionType();
    scripted.script("app", i -> Future.succeededFuture(held.fixed.get() ? ProbeResult.ok("fine")
        : ProbeResult.critical("app is down")));
    vertx = Vertx.vertx();
    MedicConfig cfg = new ConfigLoader(new Plugins(ProbeTypes.of(scripted), ActionTypes.of(held), ChannelTypes.of()),
        vertx).loadString("""
        medic {
          http.port = 0
          journal.dir = "%s"
          startup-spread = 0s
          fall = 1
          rise = 1
          checks { app { type = scripted, interval = 200ms, timeout = 100ms, on-critical = [fix] } }
          actions { fix { type = held-fix, verify = false, cooldown = 0s } }
        }
        """.formatted(journalDir), "loop-test.conf");
    daemon = Await.join(Daemon.start(vertx, cfg, new MedicMetrics(MedicMetrics.newRegistry())));
    Await.until("the first attempt fixed the check (and is still running)", 10_000,
        () -> held.runs.get() == 1 && status() == Status.OK);
    // The app dies again while the first attempt has not ended (its outcome may be waiting for a
    // full journal, or the action is still finishing its work).
    held.fixed.set(false);
    Await.until("the new outage is confirmed", 10_000, () -> status() == Status.CRITICAL);
    held.ending.complete(ActionOutcome.succeeded("done"));
    Await.until("the new outage repaired by a second attempt", 10_000,
        () -> held.runs.get() == 2 && status() == Status.OK);
    held.ending.complete(ActionOutcome.succeeded("done"));
  }

  private Status status() {
    return daemon.live().find("app").orElseThrow().state().status();
  }
}
