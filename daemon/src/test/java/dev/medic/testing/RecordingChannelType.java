package dev.medic.testing;

import dev.medic.config.Settings;
import dev.medic.notify.Channel;
import dev.medic.notify.ChannelContext;
import dev.medic.notify.ChannelType;
import dev.medic.notify.Event;
import io.vertx.core.Future;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A channel type ({@code type = recording}) that keeps every batch it is given, and can be told
 * to refuse delivery, like a receiver that is down. Honest about what it is: the routing, outbox and
 * retry logic under test run for real; real receivers are tested with the real channel types.
 */
public final class RecordingChannelType implements ChannelType {

  private final List<List<Event>> batches = new CopyOnWriteArrayList<>();
  private final AtomicBoolean down = new AtomicBoolean();
  private final List<String> attempts = new CopyOnWriteArrayList<>();

  public List<List<Event>> batches() {
    return batches;
  }

  public List<Event> events() {
    return batches.stream().flatMap(List::stream).toList();
  }

  /** Every delivery attempt, by channel name, accepted or not. */
  public List<String> attempts() {
    return attempts;
  }

  public void down(boolean isDown) {
    down.set(isDown);
  }

  @Override
  public String type() {
    return "recording";
  }

  @Override
  public Channel create(Settings settings, ChannelContext context) {
    return batch -> {
      attempts.add(context.channelName());
      if (down.get()) {
        return Future.failedFuture("connection refused (the receiver is down)");
      }
      batches.add(List.copyOf(batch));
      return Future.succeededFuture();
    };
  }
}
