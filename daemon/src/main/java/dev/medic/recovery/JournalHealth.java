package dev.medic.recovery;

import io.vertx.core.json.JsonObject;
import java.time.Instant;

/**
 * Whether the journal takes writes, as its latest write said: an immutable value that the journal
 * moves on with each write ({@link #failed}, {@link #succeeded}), so that an outage — the writes
 * that failed from the first to the next one that worked — is told once when it starts and once
 * when it ends, not once per record.
 *
 * @param failingSince when the first write of the current outage failed; null while writable
 * @param lastError the cause of the latest failed write (kept after the outage ends); null if none
 * @param lastErrorAt when that was
 * @param writeErrors failed writes since medic started
 * @param outageErrors failed writes in the current (or, once writable again, the latest) outage
 */
public record JournalHealth(boolean writable, Instant failingSince, String lastError, Instant lastErrorAt,
    long writeErrors, long outageErrors) {

  /** A journal no write has failed on. */
  public static final JournalHealth WRITABLE = new JournalHealth(true, null, null, null, 0, 0);

  /** After a failed write at {@code at}: an outage starts, or goes on. */
  public JournalHealth failed(Instant at, String error) {
    return new JournalHealth(false, writable ? at : failingSince, error, at, writeErrors + 1,
        writable ? 1 : outageErrors + 1);
  }

  /** After a write that worked: writable (the outage, if any, is over; its last error is kept). */
  public JournalHealth succeeded() {
    return writable ? this : new JournalHealth(true, null, lastError, lastErrorAt, writeErrors, outageErrors);
  }

  /** The {@code journal} object of {@code /status}. */
  public JsonObject toJson(String dir) {
    return new JsonObject().put("dir", dir).put("writable", writable)
        .put("failingSince", failingSince == null ? null : failingSince.toString())
        .put("lastError", lastError)
        .put("lastErrorAt", lastErrorAt == null ? null : lastErrorAt.toString())
        .put("writeErrors", writeErrors);
  }
}
