package dev.medic.notify;

import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Posts a batch as one documented JSON document (docs/notifications-channels.md):
 * {@code {"version": 1, "instance": ..., "events": [...]}} with the events' ids in
 * {@value #EVENT_IDS} and, when a secret is configured, an HMAC-SHA256 of the exact body bytes in
 * {@value #SIGNATURE}. A 2xx answer is delivered; anything else is retried by the outbox, so a
 * receiver must de-duplicate by event id.
 */
public final class WebhookChannel implements Channel {

  /** The version of the body's schema; a change that breaks receivers raises it. */
  static final int VERSION = 1;
  static final String SIGNATURE = "X-Medic-Signature";
  static final String EVENT_IDS = "X-Medic-Event-Ids";

  private final Config config;
  private final HttpDelivery delivery;

  WebhookChannel(Config config, ChannelContext context) {
    this.config = config;
    this.delivery = new HttpDelivery(context.vertx(), context.timeout(), config.trustAny());
  }

  /**
   * One webhook channel, validated.
   *
   * @param url empty when the configured url was invalid
   * @param secret the HMAC key; never shown
   * @param headers sent as given; values may be secrets and are never shown
   */
  record Config(Optional<Endpoint> url, Optional<String> secret, Map<String, String> headers, boolean trustAny) {

    @Override
    public String toString() {
      return "webhook " + url.map(Endpoint::shown).orElse("(invalid url)");
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
    Buffer body = body(batch);
    Map<String, String> headers = new LinkedHashMap<>(config.headers());
    headers.put(EVENT_IDS, eventIds(batch));
    config.secret().ifPresent(secret -> headers.put(SIGNATURE, signature(secret, body.getBytes())));
    return delivery.post(config.url().get(), headers, body);
  }

  @Override
  public Future<Void> close() {
    return delivery.close();
  }

  /** The document posted for {@code batch}: every event in its {@link Event#toJson()} form. */
  static JsonObject payload(List<Event> batch) {
    JsonArray events = new JsonArray();
    batch.forEach(e -> events.add(e.toJson()));
    return new JsonObject()
        .put("version", VERSION)
        .put("instance", batch.isEmpty() ? null : batch.get(0).instance())
        .put("events", events);
  }

  /** The exact bytes posted, and signed. */
  static Buffer body(List<Event> batch) {
    return payload(batch).toBuffer();
  }

  /** {@code id1,id2}: the value of {@value #EVENT_IDS}. */
  static String eventIds(List<Event> batch) {
    return batch.stream().map(Event::id).collect(Collectors.joining(","));
  }

  /** {@code sha256=<hex>}: HMAC-SHA256 of {@code body} keyed with the UTF-8 bytes of {@code secret}. */
  static String signature(String secret, byte[] body) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
      return "sha256=" + HexFormat.of().formatHex(mac.doFinal(body));
    } catch (GeneralSecurityException e) {
      // Every Java platform must provide HmacSHA256.
      throw new IllegalStateException("HmacSHA256 is not available", e);
    }
  }
}
