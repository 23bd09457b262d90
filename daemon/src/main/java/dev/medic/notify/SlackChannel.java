package dev.medic.notify;

import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Posts a batch to a Slack incoming webhook as one message: a one-line summary and one coloured
 * attachment per event. The webhook URL is the credential: messages show only its origin
 * ({@code https://hooks.slack.com/****}).
 */
public final class SlackChannel implements Channel {

  private final Config config;
  private final HttpDelivery delivery;

  SlackChannel(Config config, ChannelContext context) {
    this.config = config;
    this.delivery = new HttpDelivery(context.vertx(), context.timeout(), false);
  }

  /**
   * One Slack channel, validated.
   *
   * @param url the incoming webhook; empty when the configured one was invalid
   * @param channel overrides the hook's default channel, e.g. {@code #ops}
   * @param username overrides the hook's default user name
   */
  record Config(Optional<Endpoint> url, Optional<String> channel, Optional<String> username) {

    @Override
    public String toString() {
      return "slack " + url.map(Endpoint::shown).orElse("(invalid url)");
    }
  }

  @Override
  public Future<Void> send(List<Event> batch) {
    if (batch.isEmpty()) {
      return Future.succeededFuture();
    }
    if (config.url().isEmpty()) {
      return Future.failedFuture(new DeliveryFailure("url is not valid (run medic check for the cause)"));
    }
    return delivery.post(config.url().get(), Map.of(),
        payload(batch, config.channel(), config.username()).toBuffer());
  }

  @Override
  public Future<Void> close() {
    return delivery.close();
  }

  /** The message posted for {@code batch}. */
  static JsonObject payload(List<Event> batch, Optional<String> channel, Optional<String> username) {
    JsonArray attachments = new JsonArray();
    for (Event e : batch) {
      JsonArray fields = new JsonArray();
      field(fields, "Check", e.check());
      field(fields, "Status", e.previous() == null ? e.status() : e.status() + " (was " + e.previous() + ")");
      field(fields, "Instance", e.instance());
      field(fields, "Time", e.at().toString());
      attachments.add(new JsonObject()
          .put("fallback", escape(Summary.oneLine(e.title())))
          .put("color", color(e.severity()))
          .put("title", escape(Summary.oneLine(e.title())))
          .put("text", escape(e.message()))
          .put("fields", fields)
          .put("ts", e.at().getEpochSecond()));
    }
    JsonObject message = new JsonObject().put("text", escape(Summary.of(batch))).put("attachments", attachments);
    channel.ifPresent(c -> message.put("channel", c));
    username.ifPresent(u -> message.put("username", u));
    return message;
  }

  /** The attachment's bar: red, amber, green, grey. */
  static String color(String severity) {
    return switch (severity == null ? "" : severity) {
      case "critical" -> "#d00000";
      case "warning" -> "#e8a000";
      case "ok" -> "#2eb886";
      default -> "#888888";
    };
  }

  /**
   * Slack reads {@code <...>} as a link or mention and {@code &} as the start of an entity; a
   * message quoting {@code <html>} or {@code a && b} must show as written.
   */
  static String escape(String text) {
    return text == null ? "" : text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
  }

  private static void field(JsonArray fields, String title, String value) {
    if (value != null && !value.isEmpty()) {
      fields.add(new JsonObject().put("title", title).put("value", escape(value)).put("short", true));
    }
  }
}
