package dev.medic.recovery;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JournalTest {

  @TempDir
  Path dir;

  private final Vertx vertx = Vertx.vertx();

  @AfterEach
  void close() {
    join(vertx.close());
  }

  private static <T> T join(Future<T> f) {
    return f.toCompletionStage().toCompletableFuture().join();
  }

  @Test
  void recordsAreAppendedInOrderAndReadBack() {
    Journal j = join(Journal.open(vertx, dir.resolve("nested/journal")));
    List<Future<Void>> writes = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      writes.add(j.append(new JsonObject().put("kind", "attempt").put("n", i), i % 2 == 0));
    }
    join(Future.all(writes));
    List<JsonObject> back = join(j.readAll());
    assertThat(back).hasSize(200);
    for (int i = 0; i < 200; i++) {
      assertThat(back.get(i).getInteger("n")).isEqualTo(i);
    }
    join(j.close());
  }

  @Test
  void rotatesBySizeAndReadsRotatedFilesOldestFirst() throws Exception {
    Journal j = join(Journal.open(vertx, dir, 2_000));
    for (int i = 0; i < 100; i++) {
      join(j.append(new JsonObject().put("n", i).put("pad", "x".repeat(50)), true));
    }
    join(j.close());
    assertThat(Files.exists(dir.resolve(Journal.FILE + ".1"))).isTrue();
    assertThat(Files.size(dir.resolve(Journal.FILE))).isLessThanOrEqualTo(2_000);
    List<JsonObject> back = Journal.read(dir);
    // At most 5 rotated files plus the current one are kept: the newest records, in order.
    assertThat(back).isNotEmpty();
    assertThat(back.get(back.size() - 1).getInteger("n")).isEqualTo(99);
    for (int i = 1; i < back.size(); i++) {
      assertThat(back.get(i).getInteger("n")).isEqualTo(back.get(i - 1).getInteger("n") + 1);
    }
  }

  @Test
  void aLineTornByACrashIsSkippedAndTheRestKept() throws Exception {
    Journal j = join(Journal.open(vertx, dir));
    join(j.append(new JsonObject().put("n", 1), true));
    join(j.close());
    Files.writeString(dir.resolve(Journal.FILE), "{\"n\":2,\"kind\":\"att", StandardCharsets.UTF_8,
        StandardOpenOption.APPEND);
    Journal again = join(Journal.open(vertx, dir));
    join(again.append(new JsonObject().put("n", 3), true));
    // The torn fragment and the next record share a line; what is whole is read back.
    assertThat(join(again.readAll())).extracting(r -> r.getInteger("n")).contains(1);
    join(again.close());
  }

  @Test
  void appendsAfterCloseFailInsteadOfVanishing() {
    Journal j = join(Journal.open(vertx, dir));
    join(j.close());
    assertThat(j.append(new JsonObject(), true).toCompletionStage().toCompletableFuture())
        .failsWithin(java.time.Duration.ofSeconds(5));
  }
}
