package dev.medic.notify;

import dev.medic.config.Settings;

/**
 * A kind of notification channel, found by its configuration {@code type} through
 * {@link java.util.ServiceLoader} ({@code META-INF/services/dev.medic.notify.ChannelType}).
 */
public interface ChannelType {

  /** The configuration {@code type} value, e.g. {@code webhook}. */
  String type();

  /**
   * Reads and validates this type's own keys (routing keys — type, severities, checks, group-wait,
   * repeat-interval, retry-for, timeout — are read by the notifier) and builds the channel. Every
   * key must be read through {@code settings}; problems are reported there. Nothing may connect
   * here: {@code medic check} only validates.
   */
  Channel create(Settings settings, ChannelContext context);
}
