package dev.medic.cli;

import dev.medic.ExitCodes;
import dev.medic.probe.Status;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.PrintWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code medic status}: a running daemon's {@code /status} as a table; exit 0..3 for its overall status. */
@Command(name = "status", mixinStandardHelpOptions = true, description = "Show a running medic's status; exit 0/1/2/3 for its overall status.")
public final class StatusCommand implements Callable<Integer> {

  @Option(names = "--url", paramLabel = "URL", defaultValue = "http://127.0.0.1:9779",
      description = "Base URL of the running medic (default: ${DEFAULT-VALUE}).")
  String url;

  @Option(names = "--json", description = "Print the /status document as JSON.")
  boolean json;

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
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
      out.println(status.encodePrettily());
    } else {
      List<String[]> rows = new ArrayList<>();
      rows.add(new String[] {"CHECK", "TYPE", "STATUS", "SINCE", "LATENCY", "MESSAGE"});
      JsonArray checks = status.getJsonArray("checks", new JsonArray());
      for (int i = 0; i < checks.size(); i++) {
        JsonObject c = checks.getJsonObject(i);
        Object latency = c.getValue("latencyMs");
        rows.add(new String[] {c.getString("name"), c.getString("type"), c.getString("status"),
            String.valueOf(c.getString("since")), latency == null ? "" : latency + " ms",
            String.valueOf(c.getString("message"))});
      }
      out.printf("medic %s: %s%n", status.getString("instance"), status.getString("status"));
      Table.print(out, rows);
    }
    out.flush();
    return Status.valueOf(status.getString("status", "unknown").toUpperCase(Locale.ROOT)).code;
  }
}
