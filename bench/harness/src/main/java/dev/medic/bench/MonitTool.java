package dev.medic.bench;

import java.io.BufferedWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;

/**
 * Monit in the foreground ({@code -I}) with its own control, state, id and pid files: one
 * {@code check host} per target with {@code if failed port … protocol http request …}. Monit
 * tests its services one after the other, so a round lasts at least hung × timeout; the cycle
 * ({@code set daemon}) is only the pause between two rounds (a round longer than the cycle is
 * followed at once by the next, never overlapped), and idle Monit costs next to no CPU.
 */
final class MonitTool implements Tool {

  private final int cycleSeconds;

  MonitTool(int cycleSeconds) {
    this.cycleSeconds = cycleSeconds;
  }

  @Override
  public String name() {
    return "monit";
  }

  @Override
  public String connects() {
    return "new connection per probe, one target at a time";
  }

  @Override
  public Process start(Targets targets, Path dir, int rounds) throws Exception {
    Path rc = dir.resolve("monitrc");
    try (BufferedWriter w = Files.newBufferedWriter(rc)) {
      w.write("set daemon " + cycleSeconds + "\n");
      w.write("set logfile " + dir.resolve("monit.log") + "\n");
      w.write("set pidfile " + dir.resolve("monit.pid") + "\n");
      w.write("set idfile " + dir.resolve("monit.id") + "\n");
      w.write("set statefile " + dir.resolve("monit.state") + "\n");
      for (int i = 0; i < targets.size(); i++) {
        w.write("check host t" + i + " with address 127.0.0.1\n");
        w.write("  if failed port " + targets.port(i) + " protocol http request \"" + targets.path(i)
            + "\" with timeout 5 seconds then alert\n");
      }
    }
    // Monit refuses a control file others can read.
    Files.setPosixFilePermissions(rc, PosixFilePermissions.fromString("rw-------"));
    return Processes.start(List.of("monit", "-I", "-c", rc.toString()), dir.resolve("monit.out"));
  }
}
