package dev.medic.testing;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetSocket;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.ServerSSLOptions;
import io.vertx.core.parsetools.RecordParser;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A tiny SMTP server on 127.0.0.1 that speaks just enough for the probes: a banner, EHLO (listing
 * STARTTLS when it has a certificate), STARTTLS (then TLS on the same socket), QUIT. What it is
 * told to say wrong (the banner, the EHLO reply, the STARTTLS reply) is set before {@link #start}.
 * It records every command it receives, with {@code [tls]} after those that came over TLS.
 */
public final class SmtpTestServer {

  private String banner = "220 medic.test ESMTP ready";
  private String ehloReply;
  private String startTlsReply = "220 2.0.0 ready to start TLS";
  private TestCertificate certificate;
  private final List<String> received = new CopyOnWriteArrayList<>();
  private NetServer server;

  public static SmtpTestServer with() {
    return new SmtpTestServer();
  }

  /** The whole banner line, e.g. {@code 554 no service}. */
  public SmtpTestServer banner(String line) {
    this.banner = line;
    return this;
  }

  /** Answers every EHLO with this line instead of 250. */
  public SmtpTestServer ehloReply(String line) {
    this.ehloReply = line;
    return this;
  }

  /** Offers STARTTLS, with this certificate for the TLS that follows. */
  public SmtpTestServer startTls(TestCertificate cert) {
    this.certificate = cert;
    return this;
  }

  /** Answers STARTTLS with this line (and stays in plain text) instead of 220. */
  public SmtpTestServer startTlsReply(String line) {
    this.startTlsReply = line;
    return this;
  }

  public Future<SmtpTestServer> start(Vertx vertx) {
    server = vertx.createNetServer().connectHandler(this::serve);
    return server.listen(0, "127.0.0.1").map(s -> this);
  }

  public int port() {
    return server.actualPort();
  }

  /** Commands received so far, in order: {@code EHLO medic}, {@code STARTTLS}, {@code EHLO medic [tls]}. */
  public List<String> received() {
    return List.copyOf(received);
  }

  public Future<Void> close() {
    return server.close();
  }

  private void serve(NetSocket socket) {
    socket.write(banner + "\r\n");
    socket.handler(RecordParser.newDelimited("\r\n", line -> {
      String command = line.toString();
      received.add(command + (socket.isSsl() ? " [tls]" : ""));
      String verb = command.split(" ", 2)[0].toUpperCase(Locale.ROOT);
      switch (verb) {
        case "EHLO" -> socket.write(ehloReply != null ? ehloReply + "\r\n"
            : "250-medic.test greets " + command.substring(Math.min(command.length(), 5)) + "\r\n"
                + "250-PIPELINING\r\n"
                + (certificate != null && !socket.isSsl() ? "250-STARTTLS\r\n" : "")
                + "250 8BITMIME\r\n");
        case "STARTTLS" -> {
          if (certificate == null || socket.isSsl()) {
            socket.write("454 4.7.0 TLS not available\r\n");
          } else if (!startTlsReply.startsWith("220")) {
            socket.write(startTlsReply + "\r\n");
          } else {
            // The 220 goes as the upgrade message: Vert.x stops reading, prepares TLS (which takes a
            // moment), writes it, and only then reads the client's hello — through TLS.
            socket.upgradeToSsl(new ServerSSLOptions().setKeyCertOptions(new PemKeyCertOptions()
                    .setCertPath(certificate.certPem().toString())
                    .setKeyPath(certificate.keyPem().toString())),
                Buffer.buffer(startTlsReply + "\r\n"));
          }
        }
        case "QUIT" -> socket.write("221 2.0.0 bye\r\n").onComplete(v -> socket.close());
        default -> socket.write("502 5.5.2 command not recognized\r\n");
      }
    }));
  }
}
