package dev.medic.testing;

import java.io.IOException;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** Hard kills of server processes the tests started: what a crash or the OOM killer does. */
public final class Kill {

  private Kill() {}

  /** {@code kill -9 pid}, then waits (at most 5 s) until the process is gone. */
  public static void nine(long pid) throws IOException, InterruptedException {
    Optional<ProcessHandle> handle = ProcessHandle.of(pid);
    Process kill = new ProcessBuilder("kill", "-9", Long.toString(pid)).redirectErrorStream(true).start();
    if (!kill.waitFor(5, TimeUnit.SECONDS) || kill.exitValue() != 0) {
      throw new IOException("kill -9 " + pid + " failed: " + new String(kill.getInputStream().readAllBytes()));
    }
    if (handle.isPresent()) {
      try {
        handle.get().onExit().get(5, TimeUnit.SECONDS);
      } catch (ExecutionException | TimeoutException e) {
        throw new IOException("process " + pid + " still alive 5 s after kill -9", e);
      }
    }
  }
}
