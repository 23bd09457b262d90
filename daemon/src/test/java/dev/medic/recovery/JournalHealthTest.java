package dev.medic.recovery;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import org.junit.jupiter.api.Test;

/** The outage arithmetic of the journal, on instants the test picks (no clock, no disk). */
class JournalHealthTest {

  private static final Instant T0 = Instant.parse("2026-12-01T10:00:00Z");

  @Test
  void anOutageStartsAtItsFirstFailureAndEndsAtTheNextWriteThatWorks() {
    JournalHealth h = JournalHealth.WRITABLE;
    assertThat(h.succeeded()).isSameAs(h);

    JournalHealth first = h.failed(T0, "No space left on device");
    assertThat(first.writable()).isFalse();
    assertThat(first.failingSince()).isEqualTo(T0);
    assertThat(first.outageErrors()).isEqualTo(1);

    JournalHealth second = first.failed(T0.plusSeconds(5), "Input/output error");
    assertThat(second.failingSince()).as("the outage started with the first failure").isEqualTo(T0);
    assertThat(second.lastError()).isEqualTo("Input/output error");
    assertThat(second.lastErrorAt()).isEqualTo(T0.plusSeconds(5));
    assertThat(second.writeErrors()).isEqualTo(2);
    assertThat(second.outageErrors()).isEqualTo(2);

    JournalHealth back = second.succeeded();
    assertThat(back.writable()).isTrue();
    assertThat(back.failingSince()).isNull();
    assertThat(back.lastError()).as("kept, for whoever looks later").isEqualTo("Input/output error");
    assertThat(back.writeErrors()).isEqualTo(2);

    JournalHealth again = back.failed(T0.plusSeconds(60), "No space left on device");
    assertThat(again.failingSince()).as("a new outage").isEqualTo(T0.plusSeconds(60));
    assertThat(again.outageErrors()).isEqualTo(1);
    assertThat(again.writeErrors()).isEqualTo(3);
  }

  @Test
  void statusShowsWhereTheJournalStands() {
    JournalHealth failing = JournalHealth.WRITABLE.failed(T0, "No space left on device");
    assertThat(failing.toJson("/var/lib/medic").encode()).isEqualTo("{\"dir\":\"/var/lib/medic\",\"writable\":false,"
        + "\"failingSince\":\"2026-12-01T10:00:00Z\",\"lastError\":\"No space left on device\","
        + "\"lastErrorAt\":\"2026-12-01T10:00:00Z\",\"writeErrors\":1}");
    assertThat(JournalHealth.WRITABLE.toJson("/j").encode()).isEqualTo("{\"dir\":\"/j\",\"writable\":true,"
        + "\"failingSince\":null,\"lastError\":null,\"lastErrorAt\":null,\"writeErrors\":0}");
  }
}
