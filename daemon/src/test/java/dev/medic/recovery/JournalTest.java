package dev.medic.recovery;

import static org.assertj.core.api.Assertions.assertThat;

import dev.medic.testing.RecordedLog;
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
  void aTornLastLineIsNamedInAWarningAndTheNextRecordStartsOnALineOfItsOwn() throws Exception {
    Journal j = join(Journal.open(vertx, dir));
    join(j.append(new JsonObject().put("n", 1), true));
    join(j.close());
    // A crash (or a full disk) cut the second record short: no newline at the end of the file.
    Files.writeString(dir.resolve(Journal.FILE), "{\"n\":2,\"kind\":\"att", StandardCharsets.UTF_8,
        StandardOpenOption.APPEND);
    Journal again = join(Journal.open(vertx, dir));
    join(again.append(new JsonObject().put("n", 3), true));
    try (RecordedLog logged = RecordedLog.of(Journal.class)) {
      assertThat(join(again.readAll())).extracting(r -> r.getInteger("n")).containsExactly(1, 3);
      assertThat(logged.lines()).singleElement().satisfies(line -> assertThat(line).startsWith("WARN")
          .contains("not whole records", "file=" + dir.resolve(Journal.FILE), "lines=2", "count=1"));
    }
    join(again.close());
  }

  @Test
  void tornLinesInTheMiddleAreSkippedWithTheirLineNumbersAndCount() throws Exception {
    Files.writeString(dir.resolve(Journal.FILE + ".1"), "{\"n\":1}\n{\"n\":2,\"kin\n{\"n\":3}\n");
    Files.writeString(dir.resolve(Journal.FILE), "{\"n\":4}\n{\"n\"\n\n{\"n\":5}\n{\"n\n{\"n\":6}\n");
    try (RecordedLog logged = RecordedLog.of(Journal.class)) {
      assertThat(Journal.read(dir)).extracting(r -> r.getInteger("n")).containsExactly(1, 2 + 1, 4, 5, 6);
      assertThat(logged.lines()).hasSize(2);
      assertThat(logged.lines().get(0)).contains("file=" + dir.resolve(Journal.FILE + ".1"), "lines=2", "count=1");
      assertThat(logged.lines().get(1)).contains("file=" + dir.resolve(Journal.FILE), "lines=2,5", "count=2");
    }
  }

  @Test
  void aMultiByteCharacterCutByACrashDoesNotKeepTheJournalFromBeingRead() throws Exception {
    byte[] whole = "{\"n\":1,\"message\":\"used 91% \u2265 critical 90%\"}\n".getBytes(StandardCharsets.UTF_8);
    byte[] torn = "{\"n\":2,\"message\":\"used 91% \u2265".getBytes(StandardCharsets.UTF_8);
    Files.write(dir.resolve(Journal.FILE), whole);
    // Cut in the middle of the three bytes of the character.
    Files.write(dir.resolve(Journal.FILE), java.util.Arrays.copyOf(torn, torn.length - 1), StandardOpenOption.APPEND);
    assertThat(Journal.read(dir)).extracting(r -> r.getInteger("n")).containsExactly(1);
  }

  @Test
  void aRotationThatFailsHalfWayDoesNotCloseTheJournalForGood() throws Exception {
    Journal j = join(Journal.open(vertx, dir, 200));
    join(j.append(new JsonObject().put("n", 1).put("pad", "x".repeat(150)), true));
    // The rotation closes the current file, then fails: .4 cannot replace .5, a directory that is not empty.
    Files.writeString(dir.resolve(Journal.FILE + ".4"), "{\"n\":0}\n");
    Files.createDirectories(dir.resolve(Journal.FILE + ".5").resolve("in-the-way"));
    assertThat(j.append(new JsonObject().put("n", 2).put("pad", "x".repeat(150)), true)
        .toCompletionStage().toCompletableFuture()).failsWithin(java.time.Duration.ofSeconds(5));
    assertThat(j.health().writable()).isFalse();
    Files.delete(dir.resolve(Journal.FILE + ".5").resolve("in-the-way"));
    Files.delete(dir.resolve(Journal.FILE + ".5"));
    join(j.append(new JsonObject().put("n", 3).put("pad", "x".repeat(150)), true));
    assertThat(j.health().writable()).isTrue();
    assertThat(Journal.read(dir)).extracting(r -> r.getInteger("n")).containsExactly(0, 1, 3);
    join(j.close());
  }

  @Test
  void appendsAfterCloseFailInsteadOfVanishing() {
    Journal j = join(Journal.open(vertx, dir));
    join(j.close());
    assertThat(j.append(new JsonObject(), true).toCompletionStage().toCompletableFuture())
        .failsWithin(java.time.Duration.ofSeconds(5));
  }
}
