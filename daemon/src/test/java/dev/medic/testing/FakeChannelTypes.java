package dev.medic.testing;

import dev.medic.config.Settings;
import dev.medic.notify.Channel;
import dev.medic.notify.ChannelContext;
import dev.medic.notify.ChannelType;
import dev.medic.notify.ChannelTypes;
import io.vertx.core.Future;

/** Stand-ins for channel types in configuration tests: they accept any keys and deliver nothing. */
public final class FakeChannelTypes {

  private FakeChannelTypes() {}

  public static ChannelTypes all() {
    return ChannelTypes.of(named("webhook"), named("slack"), named("email"), named("alertmanager"));
  }

  public static ChannelType named(String type) {
    return new ChannelType() {
      @Override
      public String type() {
        return type;
      }

      @Override
      public Channel create(Settings settings, ChannelContext context) {
        settings.accept(settings.keys().toArray(String[]::new));
        return batch -> Future.succeededFuture();
      }
    };
  }
}
