package dev.medic.bench;

import java.io.BufferedWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * medic from its jar, one {@code http} check per target, every check due at the same moment
 * ({@code startup-spread = 0s}, so a round is one burst and its wall time means the same as for
 * the others), {@code fall = rise = 1} so that a hung target is probed once a round (the default
 * fall = 2 re-probes an unconfirmed failure every retry-interval, which would add probes to the
 * round).
 */
final class MedicTool implements Tool {

  private final Path jar;
  private final List<String> javaOptions;
  private final boolean keepAlive;
  private final Duration interval;

  MedicTool(Path jar, List<String> javaOptions, boolean keepAlive, Duration interval) {
    this.jar = jar;
    this.javaOptions = javaOptions;
    this.keepAlive = keepAlive;
    this.interval = interval;
  }

  @Override
  public String name() {
    return keepAlive ? "medic keep-alive" : "medic new-conn";
  }

  @Override
  public String connects() {
    return keepAlive ? "kept alive (keep-alive = true, the default)" : "new connection per probe (keep-alive = false)";
  }

  @Override
  public Process start(Targets targets, Path dir, int rounds) throws Exception {
    int api = Processes.freePort();
    Path conf = dir.resolve("medic.conf");
    try (BufferedWriter w = Files.newBufferedWriter(conf)) {
      w.write("medic {\n");
      w.write("  http.port = " + api + "\n");
      w.write("  journal.dir = \"" + dir.resolve("journal") + "\"\n");
      w.write("  interval = " + interval.toSeconds() + "s, timeout = 5s, startup-spread = 0s, fall = 1, rise = 1\n");
      w.write("  checks {\n");
      for (int i = 0; i < targets.size(); i++) {
        w.write("    t" + i + " { type = http, url = \"" + targets.url(i) + "\", keep-alive = " + keepAlive + " }\n");
      }
      w.write("  }\n}\n");
    }
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(javaOptions);
    cmd.addAll(List.of("-jar", jar.toString(), "run", "--config", conf.toString()));
    Process p = Processes.start(cmd, dir.resolve("medic.log"));
    Processes.await("medic /ready", Duration.ofSeconds(120), p,
        () -> Processes.status("http://127.0.0.1:" + api + "/ready") == 200);
    return p;
  }
}
