package dev.medic.probe;

import dev.medic.config.Settings;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The {@code tls} probe type: when a certificate chain expires, whether it is trusted and for the
 * right name — read from a live server or from a PEM file.
 *
 * <pre>
 * host         a live server (either host or file is required)
 * port         443; 25 with starttls = smtp
 * server-name  SNI and the name the certificate must be for; default: host
 * starttls     smtp: connect in plain text and ask for TLS with STARTTLS (port 25 or 587)
 * file         a PEM file of one or more certificates, e.g. nginx's fullchain.pem
 *              (server-name is then optional: without it no name is checked)
 * trust        system (expiry, chain and name problems are critical) | any (only mentioned)
 * ca           PEM file of CAs trusted instead of the system trust store
 * </pre>
 *
 * <p>Files ({@code file}, {@code ca}) are read when the probe runs, off the event loop, never
 * here: a missing one shows in the check's result.
 */
public final class TlsProbeType implements ProbeType {

  /** Letters, digits, dots, dashes, underscores, or an IP address (v6 with colons, optionally bracketed). */
  private static final Pattern SERVER_NAME = Pattern.compile("[A-Za-z0-9._-]+|\\[?[0-9A-Fa-f:.]+]?");

  public TlsProbeType() {}

  @Override
  public String type() {
    return "tls";
  }

  @Override
  public Map<String, MeasurementSpec> measurements() {
    return Map.of(
        "days-left", MeasurementSpec.lowerIsWorse(Unit.DAYS),
        "expires-at", MeasurementSpec.lowerIsWorse(Unit.NUMBER));
  }

  @Override
  public Probe create(Settings settings, ProbeContext context) {
    Optional<String> host = nonEmpty(settings, "host", "a host name or IP address");
    Optional<Path> file = nonEmpty(settings, "file", "the path of a PEM file").flatMap(f -> path(settings, "file", f));
    boolean hostWritten = settings.has("host");
    boolean fileWritten = settings.has("file");
    if (!hostWritten && !fileWritten) {
      settings.problem("host", "missing (a value is required: host for a live server, or file for a PEM file)");
    } else if (hostWritten && fileWritten) {
      settings.problem("file", "cannot be used together with host (expected host for a live server, or file for a PEM file)");
    }

    Optional<String> serverName = nonEmpty(settings, "server-name", "a host name");
    if (serverName.isPresent() && !SERVER_NAME.matcher(serverName.get()).matches()) {
      settings.problem("server-name", NetText.quote(serverName.get())
          + " is not a host name (expected letters, digits, dots and dashes, e.g. www.example.org)");
      serverName = Optional.empty();
    }
    // One protocol so far; the key takes a name so that others (imap, postgres) can follow.
    boolean starttls = settings.has("starttls") && settings.choice("starttls", "smtp", "smtp").equals("smtp");
    // Mail servers speak STARTTLS on 25 (and 587); 443 would never answer SMTP.
    int port = settings.integer("port", starttls ? 25 : 443, 1, 65535);
    if (fileWritten && !hostWritten) {
      for (String key : new String[] {"port", "starttls"}) {
        if (settings.has(key)) {
          settings.problem(key, "has no effect with file (it is for a live server: host)");
        }
      }
    }

    boolean trustAny = settings.choice("trust", "system", "system", "any").equals("any");
    Optional<Path> ca = nonEmpty(settings, "ca", "the path of a PEM file of CA certificates")
        .flatMap(c -> path(settings, "ca", c));
    if (ca.isPresent() && trustAny) {
      settings.problem("ca", "has no effect with trust = any (remove one of the two)");
      ca = Optional.empty();
    }

    Optional<TlsProbe.Target> target = Optional.empty();
    Optional<String> name = serverName;
    if (hostWritten && !fileWritten) {
      target = host.map(h -> new TlsProbe.Target(unbracketed(h), port, starttls));
      if (name.isEmpty()) {
        name = host.map(TlsProbeType::unbracketed);
      }
    } else if (hostWritten) {
      file = Optional.empty();
    }
    name = name.map(TlsProbeType::unbracketed);
    return new TlsProbe(new TlsProbe.Config(target, file, name, trustAny, ca), context);
  }

  private static Optional<String> nonEmpty(Settings s, String key, String expected) {
    Optional<String> v = s.optString(key).map(String::trim);
    if (v.isPresent() && v.get().isEmpty()) {
      s.problem(key, "is empty (expected " + expected + ")");
      return Optional.empty();
    }
    return v;
  }

  private static Optional<Path> path(Settings s, String key, String value) {
    try {
      return Optional.of(Path.of(value));
    } catch (InvalidPathException e) {
      s.problem(key, NetText.quote(value) + " is not a valid path: " + e.getReason());
      return Optional.empty();
    }
  }

  private static String unbracketed(String host) {
    return host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
  }
}
