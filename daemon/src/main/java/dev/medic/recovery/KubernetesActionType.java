package dev.medic.recovery;

import dev.medic.config.Settings;
import dev.medic.kubernetes.KubernetesAccess;
import dev.medic.recovery.KubernetesAction.Config;
import dev.medic.recovery.KubernetesAction.Operation;
import java.time.Clock;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * {@code type = kubernetes}: rollout-restarts a deployment or deletes a pod through the API server,
 * with the service account of the pod medic runs in.
 *
 * <pre>
 * operation    rollout-restart (needs deployment) | delete-pod (needs pod); default rollout-restart
 * deployment   the deployment to restart
 * pod          the pod to delete
 * tls.trust    ca-file (chain and host name verified against ca-file) | any (neither)
 * </pre>
 *
 * plus api, namespace, token-file and ca-file, read as {@link KubernetesAccess} reads them.
 */
public final class KubernetesActionType implements ActionType {

  /** A DNS-1123 subdomain: what deployment and pod names are made of (lower case, digits, - and .). */
  private static final Pattern NAME = Pattern.compile("[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?");

  private final Map<String, String> env;
  private final Clock clock;

  public KubernetesActionType() {
    this(System.getenv(), Clock.systemUTC());
  }

  /** @param env where KUBERNETES_SERVICE_HOST and _PORT are looked up (the process environment) */
  KubernetesActionType(Map<String, String> env, Clock clock) {
    this.env = env;
    this.clock = clock;
  }

  @Override
  public String type() {
    return "kubernetes";
  }

  @Override
  public Action create(Settings settings, ActionContext context) {
    Operation operation = Operation.of(settings.choice("operation", "rollout-restart", "rollout-restart", "delete-pod"));
    String name = target(settings, operation);
    boolean caWritten = settings.has("ca-file");
    KubernetesAccess access = KubernetesAccess.read(settings, env);
    Settings tls = settings.child("tls");
    boolean trustAny = tls.choice("trust", "ca-file", "ca-file", "any").equals("any");
    if (trustAny && caWritten) {
      settings.problem("ca-file", "has no effect with tls.trust = any (remove one of the two)");
    }
    return new KubernetesAction(new Config(trustAny ? access.trustingAnyServer() : access, operation, name),
        context, clock);
  }

  /** The deployment or pod the operation needs; the other key would be ignored, so it is an error. */
  private static String target(Settings settings, Operation operation) {
    String key = operation.kind;
    String other = operation == Operation.ROLLOUT_RESTART ? "pod" : "deployment";
    if (settings.has(other)) {
      settings.problem(other, "has no effect with operation = " + operation.key
          + " (" + (operation == Operation.ROLLOUT_RESTART ? "delete-pod" : "rollout-restart") + " uses it)");
    }
    if (!settings.has(key)) {
      settings.problem(key, "missing (operation = " + operation.key + " needs the " + key + "'s name)");
      return "";
    }
    String name = settings.string(key);
    if (!NAME.matcher(name).matches()) {
      settings.problem(key, RemoteText.quote(name)
          + " is not a Kubernetes name (expected lower-case letters, digits, - and ., e.g. \"web\")");
    }
    return name;
  }

}
