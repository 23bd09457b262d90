package dev.medic.notify;

import dev.medic.config.Settings;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * {@code type = webhook}: {@code url} (required), {@code secret}, {@code headers}, {@code
 * tls.trust} ({@code system} or {@code any}).
 */
public final class WebhookChannelType implements ChannelType {

  /** The characters an HTTP header name may be made of. */
  private static final Pattern TOKEN = Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]+");

  /** Headers medic sets itself: a configured one would break the body's framing or its signature. */
  private static final Set<String> RESERVED = Set.of("content-type", "content-length", "host", "transfer-encoding",
      WebhookChannel.SIGNATURE.toLowerCase(Locale.ROOT), WebhookChannel.EVENT_IDS.toLowerCase(Locale.ROOT));

  public WebhookChannelType() {}

  @Override
  public String type() {
    return "webhook";
  }

  @Override
  public Channel create(Settings settings, ChannelContext context) {
    Optional<Endpoint> url = Endpoint.read(settings, "url", false);
    Optional<String> secret = settings.optString("secret");
    if (secret.isPresent() && secret.get().isEmpty()) {
      settings.problem("secret", "is empty (expected a shared secret, or no key for unsigned requests)");
      secret = Optional.empty();
    }
    Map<String, String> headers = headers(settings.child("headers"));
    boolean trustAny = trustAny(settings.child("tls"));
    return new WebhookChannel(new WebhookChannel.Config(url, secret, Map.copyOf(headers), trustAny), context);
  }

  /** {@code tls.trust}: {@code system} checks the receiver's certificate, {@code any} does not. */
  static boolean trustAny(Settings tls) {
    return tls.choice("trust", "system", "system", "any").equals("any");
  }

  private static Map<String, String> headers(Settings h) {
    Map<String, String> out = new LinkedHashMap<>();
    for (String name : h.keys()) {
      Optional<String> value = h.optString(name);
      if (value.isEmpty()) {
        continue;
      }
      if (!TOKEN.matcher(name).matches()) {
        h.problem(name, "is not a valid header name (expected letters, digits and !#$%&'*+.^_`|~-)");
      } else if (RESERVED.contains(name.toLowerCase(Locale.ROOT))) {
        h.problem(name, "is set by medic (remove it; the body is JSON and signed as sent)");
      } else if (value.get().chars().anyMatch(c -> c == '\r' || c == '\n' || c == 0)) {
        // The value may be a secret: say what is wrong with it, never what it is.
        h.problem(name, "value contains a line break or NUL (not allowed in a header; value not shown)");
      } else {
        out.put(name, value.get());
      }
    }
    return out;
  }
}
