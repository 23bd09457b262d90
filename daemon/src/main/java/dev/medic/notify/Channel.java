package dev.medic.notify;

import io.vertx.core.Future;
import java.util.List;

/**
 * One configured notification channel.
 *
 * <p>Contract: {@link #send(List)} returns at once on the event loop and delivers the batch as one
 * message (or, for Alertmanager, one request). A failed future means "not delivered, try again
 * later": the outbox keeps the events and retries with back-off. The future must complete within
 * the channel's timeout; a send that hangs is treated as failed.
 */
public interface Channel {

  Future<Void> send(List<Event> batch);

  default Future<Void> close() {
    return Future.succeededFuture();
  }
}
