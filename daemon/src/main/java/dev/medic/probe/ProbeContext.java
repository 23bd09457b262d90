package dev.medic.probe;

import dev.medic.Bus;
import io.vertx.core.Vertx;
import java.time.Duration;

/**
 * What a probe may use from its surroundings. Given at creation; the probe keeps what it needs.
 *
 * @param checkName the check this probe serves, for messages and logs
 * @param timeout the check's probe timeout; the probe should give up by then on its own
 * @param reprobe asks the scheduler to probe this check now (a dropped connection, an exited
 *     process): reactive detection instead of waiting for the next cycle
 */
public record ProbeContext(Vertx vertx, String checkName, Duration timeout, Runnable reprobe) {

  /** A context whose {@code reprobe} asks the running scheduler over the event bus. */
  public static ProbeContext live(Vertx vertx, String checkName, Duration timeout) {
    return new ProbeContext(vertx, checkName, timeout, () -> vertx.eventBus().send(Bus.REPROBE, checkName));
  }
}
