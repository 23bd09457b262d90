package dev.medic.testing;

import dev.medic.config.Settings;
import dev.medic.recovery.Action;
import dev.medic.recovery.ActionContext;
import dev.medic.recovery.ActionOutcome;
import dev.medic.recovery.ActionType;
import io.vertx.core.Future;
import io.vertx.core.http.HttpServer;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A test action type ({@code type = start-server}) that really repairs something: it starts an
 * HTTP server on {@code port} of 127.0.0.1, so a check of that port turns ok — or, with
 * {@code fixes = false}, only records that it ran, like a restart that does not help. Each run is
 * recorded with its check.
 */
public final class ServerActionType implements ActionType {

  private final List<String> runs = new CopyOnWriteArrayList<>();
  private final List<HttpServer> servers = new CopyOnWriteArrayList<>();

  /** The checks the action ran for, in order. */
  public List<String> runs() {
    return runs;
  }

  public Future<Void> stopServers() {
    return Future.join(servers.stream().map(HttpServer::close).toList()).mapEmpty();
  }

  @Override
  public String type() {
    return "start-server";
  }

  @Override
  public Action create(Settings settings, ActionContext context) {
    int port = settings.integer("port", 0, 1, 65535);
    boolean fixes = settings.bool("fixes", true);
    return new Action() {
      @Override
      public Future<ActionOutcome> run(String check) {
        runs.add(String.valueOf(check));
        if (!fixes) {
          return Future.succeededFuture(ActionOutcome.succeeded("restarted (to no effect)"));
        }
        return context.vertx().createHttpServer().requestHandler(r -> r.response().end("ok"))
            .listen(port, "127.0.0.1")
            .map(s -> {
              servers.add(s);
              return ActionOutcome.succeeded("started a server on 127.0.0.1:" + port);
            })
            .otherwise(e -> ActionOutcome.failed("could not start: " + e.getMessage()));
      }

      @Override
      public String describe() {
        return "start a server on 127.0.0.1:" + port;
      }
    };
  }
}
