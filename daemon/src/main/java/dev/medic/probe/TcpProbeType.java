package dev.medic.probe;

import dev.medic.config.Settings;
import java.util.Optional;

/**
 * The {@code tcp} probe type: connect, optionally send, optionally wait for text in the reply.
 *
 * <pre>
 * host       required
 * port       required, 1 to 65535
 * send       text written once connected; HOCON escapes work: "EHLO medic\r\n"
 * expect     text the reply must contain within the timeout, e.g. "220"
 * tls        false
 * tls-trust  system (chain and host name verified) | any (neither); only with tls = true
 * </pre>
 */
public final class TcpProbeType implements ProbeType {

  public TcpProbeType() {}

  @Override
  public String type() {
    return "tcp";
  }

  @Override
  public Probe create(Settings settings, ProbeContext context) {
    String host = settings.string("host").trim();
    if (host.isEmpty() && settings.has("host")) {
      settings.problem("host", "is empty (expected a host name or IP address)");
    }
    int port = 0;
    if (settings.has("port")) {
      port = settings.integer("port", 0, 1, 65535);
    } else {
      settings.problem("port", "missing (a value is required, 1 to 65535)");
    }
    Optional<String> send = settings.optString("send");
    Optional<String> expect = settings.optString("expect");
    if (expect.isPresent() && expect.get().isEmpty()) {
      settings.problem("expect", "is empty (expected text the reply must contain, or no key)");
      expect = Optional.empty();
    }
    boolean tls = settings.bool("tls", false);
    boolean trustAny = false;
    if (settings.has("tls-trust")) {
      trustAny = settings.choice("tls-trust", "system", "system", "any").equals("any");
      if (!tls) {
        settings.problem("tls-trust", "has no effect without tls = true");
      }
    }
    boolean valid = !host.isEmpty() && port > 0;
    return new TcpProbe(new TcpProbe.Config(valid, host, port, send, expect, tls, trustAny), context);
  }
}
