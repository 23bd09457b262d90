package dev.medic.cli;

import java.io.PrintWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code medic health}: exit 0 when a running medic's {@code /health} answers 200, else 1 — what
 * a container {@code HEALTHCHECK} or a shell script needs, without curl in the image.
 */
@Command(name = "health", mixinStandardHelpOptions = true, description = "Exit 0 if a running medic's /health answers 200, else 1 (for HEALTHCHECK).")
public final class HealthCommand implements Callable<Integer> {

  static final int HEALTHY = 0;
  /** Docker and most supervisors read 1 as unhealthy; other codes are reserved there. */
  static final int UNHEALTHY = 1;

  @Option(names = "--url", paramLabel = "URL", defaultValue = "http://127.0.0.1:9779",
      description = "Base URL of the running medic (default: ${DEFAULT-VALUE}).")
  String url;

  @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "5",
      description = "Give up after this many seconds (default: ${DEFAULT-VALUE}).")
  int timeoutSeconds;

  @Option(names = {"-q", "--quiet"}, description = "Print nothing; the exit code says it all.")
  boolean quiet;

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    String target = url.replaceAll("/+$", "") + "/health";
    Duration timeout = Duration.ofSeconds(Math.max(1, timeoutSeconds));
    try {
      HttpClient client = HttpClient.newBuilder().connectTimeout(timeout).build();
      HttpResponse<String> resp = client.send(HttpRequest.newBuilder(URI.create(target))
          .header("accept", "application/json").timeout(timeout).build(), HttpResponse.BodyHandlers.ofString());
      boolean ok = resp.statusCode() == 200;
      if (!quiet) {
        (ok ? out : err).printf("%s answered %d %s%n", target, resp.statusCode(), resp.body().replaceAll("\\s+", " ").trim());
      }
      return ok ? HEALTHY : UNHEALTHY;
    } catch (java.io.IOException | IllegalArgumentException e) {
      if (!quiet) {
        err.printf("medic: cannot reach %s (%s)%n", target,
            e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage());
      }
      return UNHEALTHY;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return UNHEALTHY;
    } finally {
      out.flush();
      err.flush();
    }
  }
}
