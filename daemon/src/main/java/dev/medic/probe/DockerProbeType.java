package dev.medic.probe;

import dev.medic.config.Settings;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * {@code type = docker}: a container's state and health from the Docker Engine API on its Unix
 * socket ({@code GET /containers/{container}/json}, as {@code docker inspect}).
 *
 * <p>Keys: {@code container} (required: name or id), {@code socket} (default {@code
 * "/var/run/docker.sock"}), {@code api-version} (e.g. {@code "1.43"}; default none, so the path
 * is unversioned and the engine answers in its own version). Measurements: {@code restarts}
 * (RestartCount), {@code uptime} (since State.StartedAt, while running; lower is worse).
 */
public final class DockerProbeType implements ProbeType {

  static final String DEFAULT_SOCKET = "/var/run/docker.sock";
  /** Docker's own rule for names, plus the leading "/" inspect shows; ids are hex, a subset. */
  private static final Pattern CONTAINER = Pattern.compile("/?[A-Za-z0-9][A-Za-z0-9_.-]*");
  private static final Pattern API_VERSION = Pattern.compile("v?([0-9]+\\.[0-9]+)");

  @Override
  public String type() {
    return "docker";
  }

  @Override
  public Probe create(Settings settings, ProbeContext context) {
    String container = settings.string("container");
    String socket = settings.string("socket", DEFAULT_SOCKET);
    Optional<String> apiVersion = settings.optString("api-version");

    boolean valid = true;
    if (settings.value("container") != null && !CONTAINER.matcher(container).matches()) {
      settings.problem("container", "\"" + container + "\" is not a container name or id "
          + "(expected letters, digits, _ . and -, e.g. \"web\" or \"3f4e8a1c\")");
      valid = false;
    }
    valid &= !container.isEmpty();
    if (!socket.startsWith("/")) {
      settings.problem("socket", "\"" + socket + "\" is not an absolute path (expected e.g. \"" + DEFAULT_SOCKET + "\")");
      valid = false;
    }
    Optional<String> version = Optional.empty();
    if (apiVersion.isPresent()) {
      var m = API_VERSION.matcher(apiVersion.get().strip());
      if (m.matches()) {
        version = Optional.of(m.group(1));
      } else {
        settings.problem("api-version", "\"" + apiVersion.get() + "\" is not an API version (expected e.g. \"1.43\")");
        valid = false;
      }
    }
    String name = container.startsWith("/") ? container.substring(1) : container;
    return new DockerProbe(context, new DockerProbe.Config(valid, socket, name, version));
  }

  @Override
  public Map<String, MeasurementSpec> measurements() {
    Map<String, MeasurementSpec> m = new LinkedHashMap<>();
    m.put("restarts", MeasurementSpec.higherIsWorse(Unit.COUNT));
    m.put("uptime", MeasurementSpec.lowerIsWorse(Unit.SECONDS));
    return Collections.unmodifiableMap(m);
  }
}
