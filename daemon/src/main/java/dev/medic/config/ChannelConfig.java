package dev.medic.config;

import com.typesafe.config.ConfigObject;
import dev.medic.notify.ChannelType;
import java.time.Duration;
import java.util.Set;

/**
 * One validated notification channel: its type and own keys, and how events are routed to it.
 *
 * @param severities which events it takes: {@code critical}, {@code warning}, {@code info};
 *     resolutions go to the channels that were told about the problem
 * @param checks only events of these checks; empty for all
 * @param groupWait events arriving within this long are sent together as one message
 * @param repeatInterval re-notify a check that is still bad this often; zero for never
 * @param retryFor keep retrying an undelivered message this long, then give it up (logged)
 * @param timeout one delivery attempt's limit
 * @param outbox what the channel's queue (in memory and in its outbox directory) may hold while
 *     its receiver is down
 */
public record ChannelConfig(
    String name,
    ChannelType channelType,
    ConfigObject raw,
    Set<String> severities,
    Set<String> checks,
    Duration groupWait,
    Duration repeatInterval,
    Duration retryFor,
    Duration timeout,
    OutboxLimits outbox) {

  /**
   * The cap on a channel's undelivered notifications: past either number the notifier sheds the
   * least useful first (an older state of a check that has a newer one queued, then info events),
   * counted as {@code medic_notifications_total{outcome="dropped"}}.
   */
  public record OutboxLimits(int maxEvents, long maxBytes) {
    public static final OutboxLimits DEFAULT = new OutboxLimits(10_000, 32L * 1024 * 1024);
  }

  public String type() {
    return channelType.type();
  }

  public String path() {
    return "medic.notify." + name;
  }
}
