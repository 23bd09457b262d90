package dev.medic.testing;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real redis-server binary (the one embedded-redis ships for linux-amd64), copied out so that a
 * test can start it — and medic's command action can start it again — as a plain process.
 */
public final class RedisBinary {

  private static final String RESOURCE = "/redis-server-6.2.6-v5-linux-amd64";

  private final Path binary;
  private final Path dir;

  private RedisBinary(Path binary, Path dir) {
    this.binary = binary;
    this.dir = dir;
  }

  public static RedisBinary extract(Path dir) throws IOException {
    Path bin = dir.resolve("redis-server");
    try (InputStream in = RedisBinary.class.getResourceAsStream(RESOURCE)) {
      if (in == null) {
        throw new IOException(RESOURCE + " is not on the test class path (embedded-redis)");
      }
      Files.copy(in, bin, StandardCopyOption.REPLACE_EXISTING);
    }
    Files.setPosixFilePermissions(bin, PosixFilePermissions.fromString("rwxr-xr-x"));
    return new RedisBinary(bin, dir);
  }

  /** The argument vector that starts a daemonized, non-persisting server on 127.0.0.1:port. */
  public List<String> command(int port) {
    return List.of(binary.toString(), "--port", String.valueOf(port), "--bind", "127.0.0.1", "--save", "",
        "--appendonly", "no", "--daemonize", "yes", "--dir", dir.toString(), "--pidfile", pidFile(port).toString());
  }

  public Path pidFile(int port) {
    return dir.resolve("redis-" + port + ".pid");
  }

  /** Starts the server and waits until its pid file names a live process. */
  public long start(int port) throws IOException, InterruptedException {
    Files.deleteIfExists(pidFile(port));
    Process p = new ProcessBuilder(command(port)).redirectErrorStream(true)
        .redirectOutput(dir.resolve("start-" + port + ".log").toFile()).start();
    if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IOException("redis-server did not start: " + Files.readString(dir.resolve("start-" + port + ".log")));
    }
    return pid(port);
  }

  /** The running server's pid, waiting briefly for its pid file. */
  public long pid(int port) throws IOException, InterruptedException {
    for (int i = 0; i < 200; i++) {
      if (Files.exists(pidFile(port))) {
        String text = Files.readString(pidFile(port)).trim();
        if (!text.isEmpty()) {
          return Long.parseLong(text);
        }
      }
      Thread.sleep(25);
    }
    throw new IOException("no pid file " + pidFile(port));
  }

  /** kill -9, as a crash would. */
  public static void kill9(long pid) {
    ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
  }
}
