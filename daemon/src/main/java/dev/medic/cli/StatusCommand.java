package dev.medic.cli;

import dev.medic.ExitCodes;
import dev.medic.probe.Status;
import io.vertx.core.json.JsonObject;
import java.io.PrintWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code medic status}: a running daemon's {@code /status} as tables — checks with their recovery
 * state, maintenance windows, recent attempts — as the operator page shows it; exit 0..3 for its
 * overall status.
 */
@Command(name = "status", mixinStandardHelpOptions = true, description = "Show a running medic's status; exit 0/1/2/3 for its overall status.")
public final class StatusCommand implements Callable<Integer> {

  @Option(names = "--url", paramLabel = "URL", defaultValue = "http://127.0.0.1:9779",
      description = "Base URL of the running medic (default: ${DEFAULT-VALUE}).")
  String url;

  @Option(names = "--json", description = "Print the /status document as JSON, as the daemon sent it.")
  boolean json;

  @Option(names = "--color", paramLabel = "WHEN", defaultValue = "auto",
      description = "Colour the tables: auto (a terminal with TERM set, not dumb, and no NO_COLOR), always or never.")
  String colour;

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    if (!colour.matches("(?i)auto|always|never")) {
      throw new CommandLine.ParameterException(spec.commandLine(),
          "--color must be auto, always or never (was \"" + colour + "\")");
    }
    String body;
    try {
      HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(3)).build();
      HttpResponse<String> resp = client.send(HttpRequest.newBuilder(URI.create(url.replaceAll("/+$", "") + "/status"))
          .header("accept", "application/json").timeout(Duration.ofSeconds(5)).build(),
          HttpResponse.BodyHandlers.ofString());
      if (resp.statusCode() != 200) {
        err.printf("medic: %s/status answered %d%n", url, resp.statusCode());
        return ExitCodes.UNKNOWN;
      }
      body = resp.body();
    } catch (java.io.IOException | IllegalArgumentException e) {
      err.printf("medic: cannot reach %s (%s)%n", url, e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage());
      return ExitCodes.UNKNOWN;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return ExitCodes.UNKNOWN;
    }
    JsonObject status;
    try {
      status = new JsonObject(body);
    } catch (io.vertx.core.json.DecodeException e) {
      err.printf("medic: %s/status did not answer JSON: is it a medic?%n", url);
      return ExitCodes.UNKNOWN;
    }
    if (json) {
      out.println(body.strip());
    } else {
      boolean tty = System.console() != null;
      StatusReport.print(out, status, Instant.now(), StatusReport.colour(colour, tty, System.getenv()));
    }
    out.flush();
    try {
      return Status.valueOf(status.getString("status", "unknown").toUpperCase(Locale.ROOT)).code;
    } catch (IllegalArgumentException e) {
      return ExitCodes.UNKNOWN;
    }
  }
}
