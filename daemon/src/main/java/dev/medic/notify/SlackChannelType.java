package dev.medic.notify;

import dev.medic.config.Settings;
import java.util.Optional;

/** {@code type = slack}: {@code url} (the incoming webhook, required), {@code channel}, {@code username}. */
public final class SlackChannelType implements ChannelType {

  public SlackChannelType() {}

  @Override
  public String type() {
    return "slack";
  }

  @Override
  public Channel create(Settings settings, ChannelContext context) {
    Optional<Endpoint> url = Endpoint.read(settings, "url", true);
    Optional<String> channel = nonEmpty(settings, "channel", "a channel such as #ops");
    Optional<String> username = nonEmpty(settings, "username", "a name such as medic");
    return new SlackChannel(new SlackChannel.Config(url, channel, username), context);
  }

  private static Optional<String> nonEmpty(Settings s, String key, String example) {
    Optional<String> v = s.optString(key).map(String::strip);
    if (v.isPresent() && v.get().isEmpty()) {
      s.problem(key, "is empty (expected " + example + ", or no key for the webhook's default)");
      return Optional.empty();
    }
    return v;
  }
}
