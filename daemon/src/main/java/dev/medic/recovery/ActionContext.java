package dev.medic.recovery;

import io.vertx.core.Vertx;
import java.time.Duration;

/**
 * What an action may use: the Vert.x instance, its own name (for messages), and its timeout.
 */
public record ActionContext(Vertx vertx, String actionName, Duration timeout) {}
