package dev.medic.notify;

import static org.assertj.core.api.Assertions.assertThat;

import dev.medic.testing.Await;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The outbox's own files: what it keeps aside is capped, per channel. */
class OutboxTest {

  @TempDir
  Path journalDir;

  private final Vertx vertx = Vertx.vertx();

  @AfterEach
  void close() {
    Await.join(vertx.close());
  }

  private static Event event(int n) {
    return new Event("id-" + n, "state", "app", "critical", "critical", "ok", "refused", "CRITICAL app: refused",
        "m", Instant.EPOCH.plusSeconds(n), new JsonObject());
  }

  @Test
  void givenUpNotificationsAreKeptAsideOnlyUpToTheNewestThousandPerChannel() throws Exception {
    Outbox outbox = Outbox.open(vertx, journalDir);
    int n = Outbox.KEEP_ASIDE + 30;
    List<Future<Outbox.Entry>> puts = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      puts.add(outbox.put("ops", event(i)));
      puts.add(outbox.put("ops-eu", event(i)));
    }
    List<Outbox.Entry> ops = new ArrayList<>();
    List<Outbox.Entry> eu = new ArrayList<>();
    for (int i = 0; i < puts.size(); i++) {
      (i % 2 == 0 ? ops : eu).add(Await.join(puts.get(i)));
    }
    Await.join(outbox.givenUp(eu.subList(0, 10)));
    Await.join(outbox.givenUp(ops));
    Path aside = journalDir.resolve("outbox").resolve("given-up");
    try (Stream<Path> files = Files.list(aside)) {
      List<String> names = files.map(f -> f.getFileName().toString()).sorted().toList();
      // ops keeps its newest 1000; ops-eu (whose name starts like it) keeps all of its 10
      assertThat(names.stream().filter(f -> f.startsWith("ops-0"))).hasSize(Outbox.KEEP_ASIDE);
      assertThat(names.stream().filter(f -> f.startsWith("ops-eu-"))).hasSize(10);
      assertThat(names).doesNotContain("ops-" + String.format("%013d", 29_000L) + "-id-29.json")
          .contains("ops-" + String.format("%013d", 30_000L) + "-id-30.json");
    }
    Await.join(outbox.close());
  }
}
