package dev.medic.probe;

import dev.medic.process.BoundedProcess;
import dev.medic.process.BoundedProcess.Capture;
import dev.medic.process.BoundedProcess.Result;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Runs a Nagios plugin without a shell and maps its exit status 0/1/2/3 to ok/warning/critical/
 * unknown.
 *
 * <p>The plugin runs as a {@link BoundedProcess}: no thread waits for it, and on the deadline its
 * whole process tree is killed; after a normal exit, what it left running in its group is ended.
 * It inherits medic's environment plus {@code env}, as Nagios plugins expect. At most
 * {@value #OUTPUT_LIMIT} bytes of stdout are kept (the rest is discarded as it comes, and the
 * message says so).
 */
final class CommandProbe implements Probe {

  /** Output read back from the plugin; Nagios itself keeps far less. */
  static final int OUTPUT_LIMIT = 64 * 1024;
  private static final int STDERR_LIMIT = 4 * 1024;
  /** The message goes into /status, logs and notifications: a long first line is cut here. */
  private static final int MESSAGE_LIMIT = 1024;

  private final Vertx vertx;
  private final String checkName;
  private final Duration timeout;
  private final List<String> command;
  private final BoundedProcess process;

  CommandProbe(ProbeContext context, List<String> command, Map<String, String> env, String workdir) {
    this.vertx = context.vertx();
    this.checkName = context.checkName();
    this.timeout = context.timeout();
    this.command = List.copyOf(command);
    Map<String, String> environment = new HashMap<>(System.getenv());
    environment.putAll(env);
    this.process = new BoundedProcess(command, environment, Optional.ofNullable(workdir).map(Path::of),
        Capture.separate(OUTPUT_LIMIT, STDERR_LIMIT));
  }

  @Override
  public Future<ProbeResult> run() {
    return process.run(vertx, timeout).map(this::judge);
  }

  /** A run still going when the check is removed or medic stops is ended with its group. */
  @Override
  public Future<Void> close() {
    return process.close(vertx);
  }

  private ProbeResult judge(Result result) {
    if (result.refusal().isPresent()) {
      // The plugin could not be run at all: medic cannot judge the target, so unknown.
      return ProbeResult.unknown(result.refusal().get());
    }
    if (result.timedOut()) {
      return ProbeResult.critical("timed out after " + Unit.SECONDS.format(timeout.toMillis() / 1000.0)
          + flood(result));
    }
    int exit = result.exitStatus();
    PluginOutput output = PluginOutput.parse(result.stdout().text());
    String text = shorten(output.message());
    String errLine = shorten(result.stderr().text().strip().lines().findFirst().orElse(""));
    if (exit >= 0 && exit <= 3) {
      String message = !text.isEmpty() ? text
          : errLine.isEmpty() ? "no output (exit status " + exit + ")"
          : "no output (exit status " + exit + "); stderr: " + errLine;
      return ProbeResult.of(Status.fromExitCode(exit), message + flood(result), output.measurements());
    }
    String why = result.signal().isPresent()
        ? "exit status " + exit + " (killed by signal " + result.signal().getAsInt() + "?)"
        : "exit status " + exit + " (a plugin exits 0 to 3)";
    String detail = !text.isEmpty() ? text : errLine;
    return ProbeResult.of(Status.UNKNOWN, (detail.isEmpty() ? why : why + ": " + detail) + flood(result),
        output.measurements());
  }

  /** Says that output was cut, with the limit: the rest never reached medic. */
  private static String flood(Result result) {
    return result.stdout().truncated()
        ? " (output exceeded " + OUTPUT_LIMIT / 1024 + " KiB, the rest was discarded)" : "";
  }

  /** Control characters would garble logs and terminals; a long line is cut. */
  private static String shorten(String s) {
    String printable = s.replaceAll("\\p{Cntrl}", " ").strip();
    return printable.length() <= MESSAGE_LIMIT ? printable : printable.substring(0, MESSAGE_LIMIT - 1) + "…";
  }

  @Override
  public String toString() {
    return "command probe of check " + checkName + ": " + command;
  }
}
