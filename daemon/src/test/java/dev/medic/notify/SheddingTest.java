package dev.medic.notify;

import static org.assertj.core.api.Assertions.assertThat;

import dev.medic.config.ChannelConfig;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Which notifications a full channel queue gives up first: a table over the queue's contents. */
class SheddingTest {

  /**
   * An event by a short code: {@code app:critical} a state event of check app, {@code i:started}
   * an info event (recovery started), {@code w:failed} a warning recovery event.
   */
  private static Outbox.Entry entry(String code, int n) {
    String[] p = code.split(":");
    Event e = switch (p[0]) {
      case "i" -> new Event("id" + n, "recovery", "app", "info", "critical", null, p[1], code, "m",
          Instant.EPOCH.plusSeconds(n), new JsonObject());
      case "w" -> new Event("id" + n, "recovery", "app", "warning", "critical", null, p[1], code, "m",
          Instant.EPOCH.plusSeconds(n), new JsonObject());
      default -> new Event("id" + n, "state", p[0], "ok".equals(p[1]) ? "ok" : p[1], p[1], null, "m", code, "m",
          Instant.EPOCH.plusSeconds(n), new JsonObject());
    };
    return new Outbox.Entry(Path.of("/outbox/ops/" + n + ".json"), e, 100);
  }

  static Stream<Arguments> queues() {
    return Stream.of(
        // queue (oldest first), max-events, what is dropped
        Arguments.of("app:critical db:critical", 2, ""),
        // an older state of a check that has a newer one goes first — the resolution is kept
        Arguments.of("app:critical db:critical app:ok", 2, "app:critical"),
        // the oldest of those first, then info events
        Arguments.of("i:started app:critical app:ok app:critical", 2, "app:critical app:ok"),
        Arguments.of("i:started app:critical app:ok app:critical", 1, "app:critical app:ok i:started"),
        // info events before warnings of recovery, and those before any check's latest state
        Arguments.of("w:failed i:started db:critical app:critical", 2, "i:started w:failed"),
        // only with more checks than room does a check's latest state go, the oldest first
        Arguments.of("a:critical b:critical c:ok", 2, "a:critical"));
  }

  @ParameterizedTest(name = "{0} within {1} drops [{2}]")
  @MethodSource("queues")
  void dropsTheLeastUsefulFirst(String queue, int maxEvents, String dropped) {
    List<Outbox.Entry> q = new ArrayList<>();
    String[] codes = queue.split(" ");
    for (int i = 0; i < codes.length; i++) {
      q.add(entry(codes[i], i));
    }
    List<Outbox.Entry> victims = Shedding.victims(q, Set.of(), new ChannelConfig.OutboxLimits(maxEvents, 1L << 30));
    assertThat(victims.stream().map(v -> v.event().title()).toList())
        .isEqualTo(dropped.isEmpty() ? List.of() : List.of(dropped.split(" ")));
  }

  @ParameterizedTest(name = "max-size {0} bytes drops {1}")
  @MethodSource("sizes")
  void theSizeCapCountsBytes(long maxBytes, int dropped) {
    List<Outbox.Entry> q = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      q.add(entry("app:critical", i)); // 100 bytes each
    }
    assertThat(Shedding.victims(q, Set.of(), new ChannelConfig.OutboxLimits(1000, maxBytes))).hasSize(dropped);
  }

  static Stream<Arguments> sizes() {
    return Stream.of(Arguments.of(1000L, 0), Arguments.of(999L, 1), Arguments.of(550L, 5), Arguments.of(100L, 9));
  }

  @org.junit.jupiter.api.Test
  void whatIsBeingSentIsNeverDropped() {
    List<Outbox.Entry> q = new ArrayList<>(List.of(entry("app:critical", 0), entry("app:ok", 1),
        entry("app:critical", 2)));
    Set<Outbox.Entry> sending = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
    sending.add(q.get(0));
    List<Outbox.Entry> victims = Shedding.victims(q, sending, new ChannelConfig.OutboxLimits(2, 1L << 30));
    assertThat(victims).extracting(v -> v.event().title()).containsExactly("app:ok");
  }
}
