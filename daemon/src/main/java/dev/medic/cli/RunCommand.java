package dev.medic.cli;

import dev.medic.Daemon;
import dev.medic.ExitCodes;
import dev.medic.SystemdNotifier;
import dev.medic.config.MedicConfig;
import dev.medic.log.Logging;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import sun.misc.Signal;

/** {@code medic run}: validate, start, and run until SIGTERM or SIGINT. */
@Command(name = "run", mixinStandardHelpOptions = true, description = "Run the daemon (embedded default configuration without --config).")
public final class RunCommand implements Callable<Integer> {

  private static final Logger log = LoggerFactory.getLogger(RunCommand.class);

  @Mixin
  ConfigOption config;

  @CommandLine.ParentCommand
  Cli cli;

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() {
    Session rt = new Session(true, cli.plugins());
    Optional<MedicConfig> cfg = rt.load(config.resolve(), spec.commandLine().getErr());
    if (cfg.isEmpty()) {
      rt.close();
      return ExitCodes.CONFIG;
    }
    Logging.configure(cfg.get().logFormat(), cfg.get().logLevel(), cfg.get().instance());
    Daemon daemon;
    try {
      Optional<java.nio.file.Path> file = config.resolve();
      daemon = Session.join(Daemon.start(rt.vertx, cfg.get(), rt.metrics, () -> rt.loader.load(file)));
    } catch (RuntimeException e) {
      Throwable cause = e.getCause() != null ? e.getCause() : e;
      log.atError().addKeyValue("error", String.valueOf(cause.getMessage())).log("medic could not start");
      rt.close();
      return ExitCodes.UNAVAILABLE;
    }
    // READY=1 and watchdog pings when systemd started medic as a Type=notify service.
    SystemdNotifier systemd = SystemdNotifier.start(rt.vertx, System.getenv(), daemon::ready,
        daemon::schedulerTicking);
    CompletableFuture<Integer> exit = new CompletableFuture<>();
    java.util.concurrent.atomic.AtomicBoolean stopping = new java.util.concurrent.atomic.AtomicBoolean();
    sun.misc.SignalHandler stop = sig -> {
      if (!stopping.compareAndSet(false, true)) {
        log.atInfo().addKeyValue("signal", sig.getName()).log("already stopping");
        return;
      }
      log.atInfo().addKeyValue("signal", sig.getName()).log("stopping");
      systemd.stop().transform(ar -> daemon.stop()).onComplete(ar -> exit.complete(ExitCodes.OK));
    };
    // Handled ourselves so that SIGTERM ends with status 0 after a clean stop, as DESIGN §9 says.
    Signal.handle(new Signal("TERM"), stop);
    Signal.handle(new Signal("INT"), stop);
    // `systemctl reload medic`: re-read the file; an invalid one keeps the running config.
    Daemon running = daemon;
    Signal.handle(new Signal("HUP"), sig -> {
      if (!stopping.get()) {
        running.reload("SIGHUP");
      }
    });
    int code = exit.join();
    rt.close();
    return code;
  }
}
