package dev.medic.testing;

import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import dev.medic.config.ConfigException;
import dev.medic.config.Problems;
import dev.medic.config.Settings;

/** Builds {@link Settings} from a HOCON snippet, as the loader would for one check. */
public final class TestSettings {

  private TestSettings() {}

  public static Settings of(String hocon) {
    Problems problems = new Problems("test.conf");
    return new Settings(
        ConfigFactory.parseString(hocon, ConfigParseOptions.defaults().setOriginDescription("test.conf"))
            .resolve()
            .root(),
        "medic.checks.test",
        null,
        problems);
  }

  /** Throws with every problem reported so far (unknown keys included), for tests of valid input. */
  public static void assertValid(Settings settings) throws ConfigException {
    settings.reportUnknownKeys();
    settings.problems().throwIfAny();
  }
}
