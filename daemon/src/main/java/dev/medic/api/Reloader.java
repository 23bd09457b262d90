package dev.medic.api;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;

/** What the API needs of configuration reloads: run one, and say how the latest went. */
public interface Reloader {

  /**
   * Re-reads and applies the configuration. Succeeds with {@code status = reloaded} and what
   * changed, or with {@code status = failed} and every problem when the old config stays.
   */
  Future<JsonObject> reload(String trigger);

  /** The configuration in use and the latest reload, for {@code /status}. */
  JsonObject status();
}
