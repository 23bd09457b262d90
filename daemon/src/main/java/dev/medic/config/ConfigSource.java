package dev.medic.config;

/**
 * Where a running medic reads its configuration again on reload (SIGHUP, {@code POST /reload}):
 * the same file and loader it started from. Called off the event loop, since it reads files.
 */
@FunctionalInterface
public interface ConfigSource {

  /** The validated configuration, or every problem found in it. */
  MedicConfig load() throws ConfigException;
}
