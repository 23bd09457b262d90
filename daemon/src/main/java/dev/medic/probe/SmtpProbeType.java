package dev.medic.probe;

import dev.medic.config.Settings;
import java.util.regex.Pattern;

/**
 * The {@code smtp} probe type: banner, EHLO, optionally STARTTLS, QUIT.
 *
 * <pre>
 * host       required
 * port       25
 * starttls   false; true: STARTTLS must be offered and succeed, then EHLO again over TLS
 * tls-trust  system (chain and host name verified) | any (neither); only with starttls = true
 * ehlo-name  medic: the name this client gives in EHLO
 * </pre>
 */
public final class SmtpProbeType implements ProbeType {

  /** A domain or an address literal ({@code [192.0.2.1]}, {@code [IPv6:::1]}), as EHLO takes (RFC 5321 4.1.1.1). */
  private static final Pattern EHLO_NAME = Pattern.compile("[A-Za-z0-9._-]+|\\[[^\\]\\s]+\\]");

  public SmtpProbeType() {}

  @Override
  public String type() {
    return "smtp";
  }

  @Override
  public Probe create(Settings settings, ProbeContext context) {
    String host = settings.string("host").trim();
    if (host.isEmpty() && settings.has("host")) {
      settings.problem("host", "is empty (expected a host name or IP address)");
    }
    int port = settings.integer("port", 25, 1, 65535);
    boolean starttls = settings.bool("starttls", false);
    boolean trustAny = false;
    if (settings.has("tls-trust")) {
      trustAny = settings.choice("tls-trust", "system", "system", "any").equals("any");
      if (!starttls) {
        settings.problem("tls-trust", "has no effect without starttls = true");
      }
    }
    String ehloName = settings.string("ehlo-name", "medic");
    if (!EHLO_NAME.matcher(ehloName).matches()) {
      settings.problem("ehlo-name", NetText.quote(ehloName)
          + " is not a host name (expected letters, digits, dots and dashes, or an address literal such as [192.0.2.1])");
      ehloName = "medic";
    }
    boolean valid = !host.isEmpty();
    return new SmtpProbe(new SmtpProbe.Config(valid, host, port, starttls, trustAny, ehloName), context);
  }
}
