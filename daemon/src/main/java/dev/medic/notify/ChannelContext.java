package dev.medic.notify;

import io.vertx.core.Vertx;
import java.time.Duration;

/** What a channel may use: Vert.x, its own name (for messages), the send timeout. */
public record ChannelContext(Vertx vertx, String channelName, Duration timeout) {}
