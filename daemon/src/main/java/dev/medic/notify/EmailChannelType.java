package dev.medic.notify;

import dev.medic.config.Settings;
import io.vertx.ext.mail.StartTLSOptions;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * {@code type = email}: {@code smtp { host (required), port = 25, starttls = optional, ssl = false,
 * username, password, trust = system }}, {@code from} (required), {@code to} (required list),
 * {@code subject-prefix = "[medic]"}.
 */
public final class EmailChannelType implements ChannelType {

  /** {@code ops@example.org} or {@code Ops Team <ops@example.org>}: enough to catch a typo, not RFC 5322. */
  private static final Pattern ADDRESS = Pattern.compile("(?:[^<>\\r\\n]*<)?[^\\s@<>,;]+@[^\\s@<>,;]+(?:>)?");

  public EmailChannelType() {}

  @Override
  public String type() {
    return "email";
  }

  @Override
  public Channel create(Settings settings, ChannelContext context) {
    EmailChannel.Smtp smtp = smtp(settings.child("smtp"));
    String from = address(settings, "from");
    List<String> to = recipients(settings);
    String prefix = settings.string("subject-prefix", "[medic]");
    if (prefix.chars().anyMatch(c -> c == '\r' || c == '\n')) {
      settings.problem("subject-prefix", "contains a line break (expected one line, e.g. \"[medic]\")");
      prefix = "[medic]";
    }
    return new EmailChannel(new EmailChannel.Config(smtp, from, List.copyOf(to), prefix.strip()), context);
  }

  private static EmailChannel.Smtp smtp(Settings s) {
    String host = s.string("host").strip();
    int port = s.integer("port", 25, 1, 65535);
    String starttls = s.choice("starttls", "optional", "disabled", "optional", "required");
    boolean ssl = s.bool("ssl", false);
    if (ssl && s.has("starttls") && !starttls.equals("disabled")) {
      s.problem("starttls", "has no effect with ssl = true (the connection is TLS from the start; remove one)");
    }
    Optional<String> username = s.optString("username").filter(u -> !u.isEmpty());
    Optional<String> password = s.optString("password");
    if (password.isPresent() && username.isEmpty()) {
      s.problem("password", "is set without smtp.username (expected both, or neither for no AUTH)");
    }
    if (username.isPresent() && password.isEmpty()) {
      s.problem("username", "is set without smtp.password (expected both, or neither for no AUTH)");
    }
    boolean trustAny = s.choice("trust", "system", "system", "any").equals("any");
    return new EmailChannel.Smtp(host, port, StartTLSOptions.valueOf(starttls.toUpperCase(Locale.ROOT)), ssl,
        username, password, trustAny);
  }

  private static String address(Settings s, String key) {
    String v = s.string(key).strip();
    if (!v.isEmpty() && !ADDRESS.matcher(v).matches()) {
      s.problem(key, DeliveryFailure.quote(v) + " is not an email address (expected e.g. medic@example.org)");
      return "";
    }
    if (v.isEmpty() && s.value(key) != null) {
      s.problem(key, "is empty (expected an address, e.g. medic@example.org)");
    }
    return v;
  }

  private static List<String> recipients(Settings s) {
    if (s.value("to") == null) {
      s.problem("to", "missing (a value is required: a list of addresses, e.g. [\"ops@example.org\"])");
      return List.of();
    }
    List<String> given = s.strings("to", List.of());
    if (given.isEmpty()) {
      s.problem("to", "is empty (expected at least one address)");
    }
    List<String> out = new ArrayList<>();
    for (String raw : given) {
      String v = raw.strip();
      if (ADDRESS.matcher(v).matches()) {
        out.add(v);
      } else {
        s.problem("to", DeliveryFailure.quote(v) + " is not an email address (expected e.g. ops@example.org)");
      }
    }
    return out;
  }
}
