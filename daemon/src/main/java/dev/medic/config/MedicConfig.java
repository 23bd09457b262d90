package dev.medic.config;

import com.typesafe.config.ConfigObject;
import java.nio.file.Path;
import java.time.Duration;
import dev.medic.recovery.Maintenance;
import java.util.List;
import java.util.Map;

/**
 * A whole validated configuration. Immutable: a reload builds a new one and swaps it, or keeps the
 * old one when the new one is invalid.
 *
 * @param source where it was read from (a file path, or "embedded default")
 * @param actions the recovery actions, validated with their policies
 * @param channels (medic.notify) the notification channels with their routing
 * @param maintenance windows from the configuration (more can be opened through the API)
 * @param cluster (medic.cluster) fleet mode: the lease backend shared actions and alerts go through
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
    Map<String, ActionConfig> actions,
    Map<String, ChannelConfig> channels,
    List<Maintenance.Window> maintenance,
    ClusterConfig cluster) {}
