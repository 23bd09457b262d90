package dev.medic.notify;

import dev.medic.config.Settings;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * {@code type = alertmanager}: {@code url} (Alertmanager's base URL, required), {@code labels},
 * {@code generator-url}, {@code tls.trust} ({@code system} or {@code any}).
 */
public final class AlertmanagerChannelType implements ChannelType {

  /** Prometheus label names; {@code __}-prefixed ones are reserved for internal use. */
  private static final Pattern LABEL = Pattern.compile("[a-zA-Z_][a-zA-Z0-9_]*");
  private static final Set<String> SET_BY_MEDIC = Set.of("alertname", "check", "severity", "instance");

  public AlertmanagerChannelType() {}

  @Override
  public String type() {
    return "alertmanager";
  }

  @Override
  public Channel create(Settings settings, ChannelContext context) {
    Optional<Endpoint> base = Endpoint.read(settings, "url", false);
    if (base.isPresent() && base.get().path().replaceAll("/+$", "").endsWith(AlertmanagerChannel.PATH)) {
      settings.problem("url", "ends with " + AlertmanagerChannel.PATH
          + " (expected Alertmanager's base URL, e.g. http://127.0.0.1:9093; medic appends the API path)");
      base = Optional.empty();
    }
    Map<String, String> labels = labels(settings.child("labels"));
    Optional<String> generatorUrl = generatorUrl(settings);
    boolean trustAny = WebhookChannelType.trustAny(settings.child("tls"));
    return new AlertmanagerChannel(new AlertmanagerChannel.Config(
        base.map(b -> b.resolve(AlertmanagerChannel.PATH)), Map.copyOf(labels), generatorUrl, trustAny), context);
  }

  private static Map<String, String> labels(Settings l) {
    Map<String, String> out = new LinkedHashMap<>();
    for (String name : l.keys()) {
      Optional<String> value = l.optString(name);
      if (value.isEmpty()) {
        continue;
      }
      if (!LABEL.matcher(name).matches() || name.startsWith("__")) {
        l.problem(name, "is not a valid label name (expected letters, digits and _, not starting with a digit or __)");
      } else if (SET_BY_MEDIC.contains(name.toLowerCase(Locale.ROOT))) {
        l.problem(name, "is set by medic on every alert (expected another label name, e.g. team or env)");
      } else if (value.get().isEmpty()) {
        l.problem(name, "is empty (Alertmanager drops a label with an empty value; remove it)");
      } else {
        out.put(name, value.get());
      }
    }
    return out;
  }

  private static Optional<String> generatorUrl(Settings s) {
    Optional<String> v = s.optString("generator-url").map(String::strip);
    if (v.isEmpty()) {
      return v;
    }
    try {
      URI uri = new URI(v.get());
      String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
      if ((scheme.equals("http") || scheme.equals("https")) && uri.getHost() != null) {
        return v;
      }
    } catch (URISyntaxException e) {
      // reported below
    }
    s.problem("generator-url", DeliveryFailure.quote(v.get())
        + " is not an http or https URL (expected e.g. http://127.0.0.1:9779/status)");
    return Optional.empty();
  }
}
