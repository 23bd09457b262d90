package dev.medic.testing;

import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import dev.medic.config.ConfigException;
import dev.medic.config.Problems;
import dev.medic.config.Settings;

/** Builds {@link Settings} from a HOCON snippet, as the loader would for one check or action. */
public final class TestSettings {

  private TestSettings() {}

  public static Settings of(String hocon) {
    return of(hocon, "medic.checks.test");
  }

  /** As the loader would build them for the action {@code test}: paths read medic.actions.test. */
  public static Settings action(String hocon) {
    return of(hocon, "medic.actions.test");
  }

  private static Settings of(String hocon, String path) {
    Problems problems = new Problems("test.conf");
    return new Settings(
        ConfigFactory.parseString(hocon, ConfigParseOptions.defaults().setOriginDescription("test.conf"))
            .resolve()
            .root(),
        path,
        null,
        problems);
  }

  /** Throws with every problem reported so far (unknown keys included), for tests of valid input. */
  public static void assertValid(Settings settings) throws ConfigException {
    settings.reportUnknownKeys();
    settings.problems().throwIfAny();
  }
}
