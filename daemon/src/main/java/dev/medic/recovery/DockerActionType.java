package dev.medic.recovery;

import dev.medic.config.Settings;
import dev.medic.recovery.DockerAction.Config;
import dev.medic.recovery.DockerAction.Operation;
import java.time.Duration;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * {@code type = docker}: restarts (or starts, or kills) a container through the Docker Engine API
 * on its Unix socket.
 *
 * <pre>
 * socket        /var/run/docker.sock
 * container     required: a container name or id
 * operation     restart | start | kill (default restart)
 * stop-timeout  10s: how long the engine waits for the container to stop before killing it
 *               (restart only; the API takes whole seconds, rounded up)
 * api-version   e.g. v1.43 to pin the API version; default the engine's own
 * </pre>
 *
 * Nothing is checked on the socket here: the configuration may be validated on another host.
 */
public final class DockerActionType implements ActionType {

  static final String DEFAULT_SOCKET = "/var/run/docker.sock";
  static final Duration DEFAULT_STOP_TIMEOUT = Duration.ofSeconds(10);

  /**
   * Docker's own rule for names ({@code [a-zA-Z0-9][a-zA-Z0-9_.-]+}, ids being hex); anything else
   * could never name a container, and would have to be escaped in the request path.
   */
  private static final Pattern CONTAINER = Pattern.compile("[a-zA-Z0-9][a-zA-Z0-9_.-]*");
  private static final Pattern API_VERSION = Pattern.compile("v?([0-9]+\\.[0-9]+)");

  @Override
  public String type() {
    return "docker";
  }

  @Override
  public Action create(Settings settings, ActionContext context) {
    String socket = settings.string("socket", DEFAULT_SOCKET);
    if (socket.isBlank()) {
      settings.problem("socket", "is empty (expected the path of the Docker socket, e.g. " + DEFAULT_SOCKET + ")");
      socket = DEFAULT_SOCKET;
    }
    String container = container(settings);
    Operation operation = Operation.valueOf(
        settings.choice("operation", "restart", "restart", "start", "kill").toUpperCase(Locale.ROOT));
    Duration stopTimeout = stopTimeout(settings, operation, context.timeout());
    Optional<String> apiVersion = settings.optString("api-version").flatMap(v -> apiVersion(settings, v));
    return new DockerAction(new Config(socket, container, operation, stopTimeout, apiVersion), context);
  }

  private static String container(Settings settings) {
    if (!settings.has("container")) {
      settings.problem("container", "missing (a value is required: the container's name or id, e.g. \"web\")");
      return "";
    }
    String container = settings.string("container");
    // "docker ps" shows names without it, the API lists them with a leading slash: take both.
    String name = container.startsWith("/") ? container.substring(1) : container;
    if (!CONTAINER.matcher(name).matches()) {
      settings.problem("container", RemoteText.quote(container)
          + " is not a container name or id (expected letters, digits, _ . and -, e.g. \"web\")");
    }
    return name;
  }

  private static Duration stopTimeout(Settings settings, Operation operation, Duration timeout) {
    boolean written = settings.has("stop-timeout");
    Duration d = settings.duration("stop-timeout", DEFAULT_STOP_TIMEOUT);
    if (operation != Operation.RESTART) {
      if (written) {
        settings.problem("stop-timeout", "has no effect with operation = " + operation.verb()
            + " (only a restart stops the container first)");
      }
    } else if (written && timeout != null && d.compareTo(timeout) >= 0) {
      // The engine answers only once the container is back: a container that ignores SIGTERM
      // would time the attempt out. (Not said of the default: most containers stop at once.)
      settings.problem("stop-timeout", "stop-timeout " + RemoteText.duration(d)
          + " is not below the action's timeout " + RemoteText.duration(timeout)
          + " (expected stop-timeout < timeout: a restart can take that long before the engine answers)");
    }
    return d;
  }

  private static Optional<String> apiVersion(Settings settings, String raw) {
    var m = API_VERSION.matcher(raw.trim());
    if (!m.matches()) {
      settings.problem("api-version", RemoteText.quote(raw) + " is not an API version (expected e.g. v1.43)");
      return Optional.empty();
    }
    return Optional.of("v" + m.group(1));
  }
}
