package dev.medic.notify;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.mail.LoginOption;
import io.vertx.ext.mail.MailClient;
import io.vertx.ext.mail.MailConfig;
import io.vertx.ext.mail.MailMessage;
import io.vertx.ext.mail.SMTPException;
import io.vertx.ext.mail.StartTLSOptions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Sends a batch as one email with a plain-text and an HTML part, through SMTP with STARTTLS and
 * AUTH (vertx-mail-client).
 *
 * <p>The mail client is made on the first send, not at creation: {@code medic check} must not
 * connect. When the deadline passes first the send is failed and retried by the outbox, though the
 * server may still accept the late message; the events' ids are in the {@value #EVENT_IDS} header
 * so a reader (or a filter) can tell a redelivery.
 */
public final class EmailChannel implements Channel {

  static final String EVENT_IDS = "X-Medic-Event-Ids";

  private final Config config;
  private final Vertx vertx;
  private final Duration timeout;
  private MailClient client;

  EmailChannel(Config config, ChannelContext context) {
    this.config = config;
    this.vertx = context.vertx();
    this.timeout = context.timeout();
  }

  /**
   * How to reach the SMTP server.
   *
   * @param host empty when missing from the configuration
   * @param ssl TLS from the first byte (SMTPS, usually port 465); STARTTLS is then not used
   * @param password never shown
   * @param trustAny accept any server certificate and host name
   */
  record Smtp(String host, int port, StartTLSOptions starttls, boolean ssl, Optional<String> username,
      Optional<String> password, boolean trustAny) {

    String hostPort() {
      return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
    }

    @Override
    public String toString() {
      return "smtp " + hostPort() + " starttls=" + starttls + " ssl=" + ssl + " auth=" + username.isPresent();
    }
  }

  /**
   * One email channel, validated.
   *
   * @param from the sender, {@code medic@host} or {@code Medic <medic@host>}
   * @param to at least one recipient (empty only when the configuration was invalid)
   * @param subjectPrefix put before every subject, e.g. {@code [medic]}; may be empty
   */
  record Config(Smtp smtp, String from, List<String> to, String subjectPrefix) {

    boolean complete() {
      return !smtp.host().isEmpty() && !from.isEmpty() && !to.isEmpty();
    }
  }

  @Override
  public Future<Void> send(List<Event> batch) {
    if (batch.isEmpty()) {
      return Future.succeededFuture();
    }
    if (!config.complete()) {
      return Future.failedFuture(new DeliveryFailure("smtp.host, from or to is not valid (run medic check for the cause)"));
    }
    String prefix = "SMTP " + config.smtp().hostPort() + " → ";
    long timeoutMs = Math.max(1, timeout.toMillis());
    Promise<Void> result = Promise.promise();
    long timer = vertx.setTimer(timeoutMs, id -> result.tryFail(new DeliveryFailure(
        prefix + "not sent within " + DeliveryFailure.human(timeout))));
    Future<Void> sent;
    try {
      sent = client().sendMail(message(config, batch)).mapEmpty();
    } catch (RuntimeException e) {
      sent = Future.failedFuture(e);
    }
    sent.onComplete(ar -> {
      vertx.cancelTimer(timer);
      if (ar.succeeded()) {
        result.tryComplete();
      } else {
        result.tryFail(new DeliveryFailure(prefix + failure(ar.cause())));
      }
    });
    return result.future();
  }

  @Override
  public synchronized Future<Void> close() {
    MailClient c = client;
    client = null;
    return c == null ? Future.succeededFuture() : c.close();
  }

  private String failure(Throwable cause) {
    if (cause instanceof SMTPException smtp) {
      // The server's reply, e.g. "535 5.7.8 Authentication credentials invalid": no secret in it.
      return "server answered " + String.join(" ", smtp.getReplyMessages()).strip();
    }
    String described = DeliveryFailure.describe(cause, config.smtp().hostPort(), timeout);
    // vertx-mail reports its own refusals ("STARTTLS required but not supported by server") as
    // plain throwables: their text alone says it, without the host twice or an internal type name.
    boolean unrecognised = described.startsWith(config.smtp().hostPort() + ": ");
    return unrecognised && cause.getMessage() != null && !cause.getMessage().isBlank() ? cause.getMessage() : described;
  }

  private synchronized MailClient client() {
    if (client == null) {
      client = MailClient.create(vertx, mailConfig(config.smtp(), timeout));
    }
    return client;
  }

  /** The vertx-mail settings for {@code smtp}: no pooled connections kept, the deadline as a backstop. */
  static MailConfig mailConfig(Smtp smtp, Duration timeout) {
    int ms = (int) Math.min(Integer.MAX_VALUE, Math.max(1, timeout.toMillis()));
    MailConfig c = new MailConfig()
        .setHostname(smtp.host())
        .setPort(smtp.port())
        .setSsl(smtp.ssl())
        .setStarttls(smtp.ssl() ? StartTLSOptions.DISABLED : smtp.starttls())
        .setTrustAll(smtp.trustAny())
        .setHostnameVerificationAlgorithm(smtp.trustAny() ? "" : "HTTPS")
        .setLogin(smtp.username().isPresent() ? LoginOption.REQUIRED : LoginOption.DISABLED)
        // Notifications are rare: a kept connection would mostly be one the server closed.
        .setKeepAlive(false)
        .setUserAgent("medic");
    c.setConnectTimeout(ms);
    c.setIdleTimeout(ms);
    c.setIdleTimeoutUnit(TimeUnit.MILLISECONDS);
    smtp.username().ifPresent(c::setUsername);
    smtp.password().ifPresent(c::setPassword);
    return c;
  }

  // ---- the message: pure functions of the configuration and the batch ----------------------------

  /** The email sent for {@code batch}. */
  static MailMessage message(Config config, List<Event> batch) {
    MailMessage m = new MailMessage()
        .setFrom(config.from())
        .setTo(new ArrayList<>(config.to()))
        .setSubject(subject(config.subjectPrefix(), batch))
        .setText(text(batch))
        .setHtml(html(batch));
    m.addHeader(EVENT_IDS, WebhookChannel.eventIds(batch));
    return m;
  }

  /** {@code [medic] CRITICAL app: refused} for one event, {@code [medic] 3 events: 2 critical, 1 resolved} for several. */
  static String subject(String prefix, List<Event> batch) {
    String summary = Summary.of(batch);
    String p = Summary.oneLine(prefix);
    return p.isEmpty() ? summary : p + " " + summary;
  }

  /** The plain-text part: a block of labelled lines per event. */
  static String text(List<Event> batch) {
    StringBuilder b = new StringBuilder();
    if (batch.size() > 1) {
      b.append(Summary.of(batch)).append("\n\n");
    }
    for (Event e : batch) {
      b.append(Summary.oneLine(e.title())).append('\n');
      textRows(b, facts(e));
      List<Map.Entry<String, String>> measurements = measurements(e);
      if (!measurements.isEmpty()) {
        b.append("  measurements:\n");
        for (Map.Entry<String, String> m : measurements) {
          b.append("    ").append(pad(m.getKey(), 12)).append(m.getValue()).append('\n');
        }
      }
      textRows(b, extras(e));
      b.append('\n');
    }
    return b.append("-- \nmedic").append(instanceOf(batch).map(i -> " on " + i).orElse("")).append('\n').toString();
  }

  /** The HTML part: the same content, a table per event with a bar in the severity's colour. */
  static String html(List<Event> batch) {
    StringBuilder b = new StringBuilder("<!DOCTYPE html>\n<html><body style=\"font-family:sans-serif\">\n");
    if (batch.size() > 1) {
      b.append("<h2>").append(escape(Summary.of(batch))).append("</h2>\n");
    }
    for (Event e : batch) {
      b.append("<div style=\"border-left:6px solid ").append(SlackChannel.color(e.severity()))
          .append(";padding:4px 12px;margin:12px 0\">\n<h3 style=\"margin:4px 0\">").append(escape(e.title()))
          .append("</h3>\n<table style=\"border-collapse:collapse\">\n");
      htmlRows(b, facts(e));
      List<Map.Entry<String, String>> measurements = measurements(e);
      if (!measurements.isEmpty()) {
        b.append("<tr>").append(TH).append("measurements</th><td>");
        for (Map.Entry<String, String> m : measurements) {
          b.append(escape(m.getKey())).append(": ").append(escape(m.getValue())).append("<br>");
        }
        b.append("</td></tr>\n");
      }
      htmlRows(b, extras(e));
      b.append("</table>\n</div>\n");
    }
    b.append("<p style=\"color:#888888\">medic").append(escape(instanceOf(batch).map(i -> " on " + i).orElse("")))
        .append("</p>\n</body></html>\n");
    return b.toString();
  }

  private static final String TH = "<th style=\"text-align:left;padding-right:12px;vertical-align:top\">";

  private static void textRows(StringBuilder b, List<Map.Entry<String, String>> rows) {
    for (Map.Entry<String, String> row : rows) {
      // A multi-line value (command output) stays under its label.
      b.append("  ").append(pad(row.getKey() + ":", 14)).append(row.getValue().replace("\n", "\n" + " ".repeat(16)))
          .append('\n');
    }
  }

  private static void htmlRows(StringBuilder b, List<Map.Entry<String, String>> rows) {
    for (Map.Entry<String, String> row : rows) {
      b.append("<tr>").append(TH).append(escape(row.getKey())).append("</th><td>")
          .append(escape(row.getValue()).replace("\n", "<br>")).append("</td></tr>\n");
    }
  }

  /** What happened, where and when, in reading order; absent ones left out. */
  private static List<Map.Entry<String, String>> facts(Event e) {
    List<Map.Entry<String, String>> rows = new ArrayList<>();
    add(rows, "severity", e.severity());
    add(rows, "check", e.check());
    add(rows, "status", e.previous() == null ? e.status() : e.status() + " (was " + e.previous() + ")");
    add(rows, "message", e.message());
    add(rows, "instance", e.instance());
    add(rows, "time", e.at().toString());
    return rows;
  }

  /** The other scalar details (action, attempt, repeat …) and the event's id. */
  private static List<Map.Entry<String, String>> extras(Event e) {
    List<Map.Entry<String, String>> rows = new ArrayList<>();
    if (e.details() != null) {
      for (String key : e.details().fieldNames()) {
        Object v = e.details().getValue(key);
        if (!key.equals("measurements") && v != null && !(v instanceof JsonObject)
            && !(v instanceof io.vertx.core.json.JsonArray)) {
          add(rows, key, String.valueOf(v));
        }
      }
    }
    add(rows, "event id", e.id());
    return rows;
  }

  /**
   * {@code details.measurements} as name and text: an entry's {@code text} when it has one (as in
   * /status), else its {@code value} and {@code unit}, else the value as given.
   */
  private static List<Map.Entry<String, String>> measurements(Event e) {
    List<Map.Entry<String, String>> out = new ArrayList<>();
    JsonObject m = e.details() == null ? null
        : e.details().getValue("measurements") instanceof JsonObject j ? j : null;
    if (m == null) {
      return out;
    }
    for (String name : new java.util.TreeSet<>(m.fieldNames())) {
      Object v = m.getValue(name);
      String shown;
      if (v instanceof JsonObject j && j.getValue("text") != null) {
        shown = String.valueOf(j.getValue("text"));
      } else if (v instanceof JsonObject j && j.getValue("value") != null) {
        shown = j.getValue("value") + (j.getString("unit") == null ? "" : " " + j.getString("unit"));
      } else {
        shown = String.valueOf(v);
      }
      out.add(Map.entry(name, shown));
    }
    return out;
  }

  private static void add(List<Map.Entry<String, String>> rows, String label, String value) {
    if (value != null && !value.isEmpty()) {
      rows.add(Map.entry(label, value));
    }
  }

  private static Optional<String> instanceOf(List<Event> batch) {
    return batch.stream().map(Event::instance).filter(i -> i != null && !i.isEmpty()).findFirst();
  }

  private static String pad(String s, int width) {
    return s.length() >= width ? s + " " : s + " ".repeat(width - s.length());
  }

  static String escape(String s) {
    if (s == null) {
      return "";
    }
    StringBuilder b = new StringBuilder(s.length());
    for (char c : s.toCharArray()) {
      switch (c) {
        case '<' -> b.append("&lt;");
        case '>' -> b.append("&gt;");
        case '&' -> b.append("&amp;");
        case '"' -> b.append("&quot;");
        case '\'' -> b.append("&#39;");
        default -> b.append(c);
      }
    }
    return b.toString();
  }
}
