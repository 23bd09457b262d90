package dev.medic.probe;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.ClientSSLOptions;
import io.vertx.core.net.NetSocket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The client side of an SMTP conversation on one socket (RFC 5321): replies are read whole,
 * multi-line ones ({@code 250-...}, {@code 250 ...}) included, one command at a time. Used by the
 * {@code smtp} probe and by the {@code tls} probe for {@code starttls = smtp}.
 *
 * <p>It owns the socket's data, close and exception handlers. A reply with a code other than the
 * expected one fails the step with a {@link Refused} whose message states what came and what was
 * expected; a closed socket fails the step waiting at the time. Touched only on the socket's
 * context, so it needs no locking.
 */
final class SmtpConversation {

  /** The most of one reply line kept; a server streaming garbage must not grow memory. */
  static final int MAX_LINE = 4096;

  /** One reply: its code (-1 when the text does not start with one) and its lines without CRLF. */
  record Reply(int code, List<String> lines) {

    String firstLine() {
      return lines.get(0);
    }

    String text() {
      return String.join("\n", lines);
    }

    /** The EHLO keywords of a 250 reply to EHLO, upper case: {@code STARTTLS}, {@code PIPELINING}. */
    List<String> keywords() {
      List<String> out = new ArrayList<>();
      for (String line : lines.subList(1, lines.size())) {
        String rest = line.length() > 4 ? line.substring(4).trim() : "";
        if (!rest.isEmpty()) {
          out.add(rest.split("\\s+", 2)[0].toUpperCase(Locale.ROOT));
        }
      }
      return out;
    }
  }

  /** The server answered, but not as the step needs; the message says what came and what was expected. */
  static final class Refused extends RuntimeException {
    Refused(String message) {
      super(message, null, false, false);
    }
  }

  /** The server closed the connection while a reply was awaited. */
  static final class Closed extends RuntimeException {
    Closed(String message) {
      super(message, null, false, false);
    }
  }

  private final NetSocket socket;
  private final String hostPort;
  private Buffer partial = Buffer.buffer();
  private final List<String> lines = new ArrayList<>();
  private final Deque<Reply> ready = new ArrayDeque<>();
  private Promise<Reply> waiting;
  private Throwable ended;
  private String awaiting = "the banner";

  SmtpConversation(NetSocket socket, String hostPort) {
    this.socket = socket;
    this.hostPort = hostPort;
    socket.handler(this::receive);
    socket.closeHandler(v -> end(new Closed(hostPort + " closed the connection while waiting for " + awaiting)));
    socket.exceptionHandler(this::end);
  }

  /** What the conversation waits for now, for a timeout message: {@code the banner}, {@code a reply to EHLO}. */
  String awaiting() {
    return awaiting;
  }

  NetSocket socket() {
    return socket;
  }

  /** Reads the banner; anything but 220 is {@link Refused}. */
  Future<Reply> greeting() {
    awaiting = "the banner";
    return next().map(banner -> {
      if (banner.code() != 220) {
        throw new Refused(hostPort + " banner " + NetText.quote(banner.firstLine()) + " (expected 220)");
      }
      return banner;
    });
  }

  /** Sends EHLO; anything but 250 is {@link Refused}. */
  Future<Reply> ehlo(String name) {
    return command("EHLO " + name, 250);
  }

  /**
   * Sends STARTTLS after an EHLO that offered it, and on 220 starts TLS on the socket.
   *
   * @param ehlo the reply to the EHLO before, which must list STARTTLS
   * @param serverName for SNI; empty sends none (an IP address)
   */
  Future<Void> startTls(Reply ehlo, ClientSSLOptions ssl, Optional<String> serverName) {
    if (!ehlo.keywords().contains("STARTTLS")) {
      List<String> offered = ehlo.keywords();
      throw new Refused(hostPort + " does not offer STARTTLS (EHLO lists "
          + (offered.isEmpty() ? "no extensions" : String.join(", ", offered)) + ")");
    }
    return command("STARTTLS", 220).compose(r -> {
      awaiting = "the TLS handshake";
      return serverName.map(n -> socket.upgradeToSsl(ssl, n)).orElseGet(() -> socket.upgradeToSsl(ssl));
    });
  }

  /**
   * Sends QUIT and waits for its reply or the close, whichever comes first; never fails. The
   * caller closes the socket afterwards (or at its deadline).
   */
  Future<Void> quit() {
    if (ended != null) {
      return Future.succeededFuture();
    }
    return command("QUIT", 221).<Void>mapEmpty().recover(e -> Future.succeededFuture());
  }

  private Future<Reply> command(String line, int expected) {
    String verb = line.split(" ", 2)[0];
    awaiting = "a reply to " + verb;
    return socket.write(line + "\r\n").compose(v -> next()).map(reply -> {
      if (reply.code() != expected) {
        throw new Refused(hostPort + " answered " + line + " with " + NetText.quote(reply.text())
            + " (expected " + expected + ")");
      }
      return reply;
    });
  }

  /** The next whole reply, already received or still to come. */
  private Future<Reply> next() {
    if (!ready.isEmpty()) {
      return Future.succeededFuture(ready.poll());
    }
    if (ended != null) {
      return Future.failedFuture(ended);
    }
    waiting = Promise.promise();
    return waiting.future();
  }

  private void receive(Buffer chunk) {
    Buffer data = partial.length() == 0 ? chunk : partial.appendBuffer(chunk);
    int from = 0;
    for (int i = 0; i < data.length(); i++) {
      if (data.getByte(i) == '\n') {
        int end = i > from && data.getByte(i - 1) == '\r' ? i - 1 : i;
        line(data.getString(from, end, StandardCharsets.UTF_8.name()));
        from = i + 1;
      }
    }
    partial = data.getBuffer(from, data.length());
    if (partial.length() > MAX_LINE) {
      partial = Buffer.buffer();
      end(new Refused(hostPort + " sent a line longer than " + MAX_LINE + " bytes while waiting for " + awaiting));
    }
  }

  private void line(String text) {
    lines.add(text);
    boolean coded = text.length() >= 3 && Character.isDigit(text.charAt(0)) && Character.isDigit(text.charAt(1))
        && Character.isDigit(text.charAt(2));
    boolean continued = coded && text.length() > 3 && text.charAt(3) == '-';
    if (continued) {
      return;
    }
    Reply reply = new Reply(coded ? Integer.parseInt(text.substring(0, 3)) : -1, List.copyOf(lines));
    lines.clear();
    if (waiting != null) {
      Promise<Reply> w = waiting;
      waiting = null;
      w.tryComplete(reply);
    } else {
      ready.add(reply);
    }
  }

  private void end(Throwable cause) {
    if (ended == null) {
      ended = cause;
    }
    if (waiting != null) {
      Promise<Reply> w = waiting;
      waiting = null;
      w.tryFail(ended);
    }
  }
}
