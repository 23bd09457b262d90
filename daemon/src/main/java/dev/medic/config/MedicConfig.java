package dev.medic.config;

import com.typesafe.config.ConfigObject;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/**
 * A whole validated configuration. Immutable: a reload builds a new one and swaps it, or keeps the
 * old one when the new one is invalid.
 *
 * @param source where it was read from (a file path, or "embedded default")
 * @param actions and {@code channels} (medic.notify): the raw action and channel definitions, checked for a type and
 *     resolvable names here; their own keys are validated by the recovery and notification modules
 */
public record MedicConfig(
    String source,
    String instance,
    Duration startupSpread,
    ApiConfig http,
    Path journalDir,
    boolean dryRun,
    String logFormat,
    String logLevel,
    Map<String, CheckConfig> checks,
    Map<String, ConfigObject> actions,
    Map<String, ConfigObject> channels) {}
