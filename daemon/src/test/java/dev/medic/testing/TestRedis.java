package dev.medic.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;
import redis.clients.jedis.Jedis;
import redis.embedded.RedisServer;
import redis.embedded.core.RedisServerBuilder;

/**
 * A real redis-server (embedded-redis' binary, 6.2) on 127.0.0.1 and a free port, with
 * {@code save ""} so it writes nothing, its working directory under {@code java.io.tmpdir}.
 * Admin commands go through Jedis on the test thread.
 */
public final class TestRedis implements AutoCloseable {

  private final RedisServer server;
  private final int port;
  private final Path dir;
  private final String password;
  private boolean down;

  private TestRedis(RedisServer server, int port, Path dir, String password) {
    this.server = server;
    this.port = port;
    this.dir = dir;
    this.password = password;
  }

  /** A server with extra redis.conf lines, e.g. {@code "requirepass s3cret"}. */
  public static TestRedis start(String... settings) throws IOException {
    int port = HungServer.freePort();
    Path dir = Files.createTempDirectory(Path.of(System.getProperty("java.io.tmpdir")), "redis-");
    RedisServerBuilder b = RedisServer.newRedisServer()
        .port(port)
        .bind("127.0.0.1")
        .setting("save \"\"")
        .setting("appendonly no")
        .setting("dir " + dir);
    String password = null;
    for (String s : settings) {
      b.setting(s);
      if (s.startsWith("requirepass ")) {
        password = s.substring("requirepass ".length()).trim();
      }
    }
    RedisServer server = b.build();
    server.start();
    return new TestRedis(server, port, dir, password);
  }

  public int port() {
    return port;
  }

  /** Where the server's {@code dir} points. */
  public Path dir() {
    return dir;
  }

  /** {@code redis://127.0.0.1:PORT} */
  public String uri() {
    return "redis://127.0.0.1:" + port;
  }

  /** Runs {@code work} with an admin connection (authenticated when the server wants it). */
  public <T> T admin(Function<Jedis, T> work) {
    try (Jedis jedis = new Jedis("127.0.0.1", port)) {
      if (password != null) {
        jedis.auth(password);
      }
      return work.apply(jedis);
    }
  }

  /** One field of INFO, e.g. {@code used_memory}. */
  public String info(String field) {
    String info = admin(j -> j.info());
    for (String line : info.split("\r?\n")) {
      if (line.startsWith(field + ":")) {
        return line.substring(field.length() + 1).trim();
      }
    }
    throw new IllegalArgumentException("INFO has no field " + field);
  }

  /** Clients connected under {@code name} (CLIENT SETNAME / HELLO SETNAME). */
  public long clientsNamed(String name) {
    String list = admin(Jedis::clientList);
    return Arrays.stream(list.split("\r?\n")).filter(l -> Arrays.asList(l.split(" ")).contains("name=" + name)).count();
  }

  /** The ids (CLIENT LIST id=) of the connections named {@code name}. */
  public List<String> clientIdsNamed(String name) {
    String list = admin(Jedis::clientList);
    List<String> ids = new ArrayList<>();
    for (String line : list.split("\r?\n")) {
      List<String> fields = Arrays.asList(line.split(" "));
      if (fields.contains("name=" + name)) {
        fields.stream().filter(f -> f.startsWith("id=")).forEach(f -> ids.add(f.substring(3)));
      }
    }
    return ids;
  }

  /** CLIENT KILL for every connection named {@code name}, as an operator or a script might. */
  public void killClientsNamed(String name) {
    String list = admin(Jedis::clientList);
    for (String line : list.split("\r?\n")) {
      List<String> fields = Arrays.asList(line.split(" "));
      if (fields.contains("name=" + name)) {
        fields.stream().filter(f -> f.startsWith("addr=")).findFirst()
            .ifPresent(addr -> admin(j -> j.clientKill(addr.substring("addr=".length()))));
      }
    }
  }

  /** SIGKILL to the server process (its pid from INFO server): no chance to say goodbye. */
  public void kill() throws IOException, InterruptedException {
    long pid = Long.parseLong(info("process_id"));
    Kill.nine(pid);
    down = true;
  }

  /** Stops the server (SIGTERM); with {@code save ""} it exits at once. */
  public void stop() throws IOException {
    if (!down) {
      server.stop();
      down = true;
    }
  }

  @Override
  public void close() throws IOException {
    stop();
    List<Path> files = new ArrayList<>();
    if (Files.isDirectory(dir)) {
      try (var s = Files.walk(dir)) {
        s.sorted(java.util.Comparator.reverseOrder()).forEach(files::add);
      }
      for (Path p : files) {
        Files.deleteIfExists(p);
      }
    }
  }
}
