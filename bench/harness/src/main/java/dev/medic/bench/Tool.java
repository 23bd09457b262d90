package dev.medic.bench;

import java.nio.file.Path;

/**
 * One tool under measurement, set up against the stub targets. The harness times rounds at the
 * targets and reads CPU and memory from /proc, so a tool only has to start, and, if nothing in it
 * schedules probes by itself, drive its rounds.
 */
public interface Tool {

  /** Name in the table, e.g. {@code medic keep-alive}. */
  String name();

  /** Anything set differently from the tool's defaults for this run, or "". */
  default String note() {
    return "";
  }

  /** How it connects to a target, for the table. */
  String connects();

  /** Writes its configuration into {@code dir}, starts it and returns once it can probe. */
  Process start(Targets targets, Path dir, int rounds) throws Exception;

  /** Called once the process is up: tools driven from outside start issuing rounds here. */
  default void drive(Targets targets, int rounds) throws Exception {}

  /** A line on anything the tool got wrong (a healthy target judged down, …), or "" when none. */
  default String verdictProblems() {
    return "";
  }

  /** Stops whatever {@link #drive} started. */
  default void stopDriving() {}
}
