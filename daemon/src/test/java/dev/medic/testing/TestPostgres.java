package dev.medic.testing;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A real PostgreSQL server (zonky's binaries) on 127.0.0.1 for one test class, its data directory
 * and socket under {@code java.io.tmpdir} (target/tmp in the build). initdb runs once per JVM; each
 * server starts from a copy of that template, which takes a fraction of the time.
 *
 * <p>Role {@code postgres} is trusted from 127.0.0.1; every other role must give its password
 * (scram-sha-256), so tests can get authentication wrong. {@link #APP_ROLE} exists with
 * {@link #APP_PASSWORD} and no special rights. {@code max_connections} is small (40), so that
 * ratios are easy to reason about.
 */
public final class TestPostgres implements AutoCloseable {

  public static final String APP_ROLE = "app";
  public static final String APP_PASSWORD = "right-horse-battery";
  public static final int MAX_CONNECTIONS = 40;

  private final EmbeddedPostgres server;
  private final Path dir;
  private final Path dataDir;
  private final List<Connection> opened = new ArrayList<>();
  private boolean killed;
  private boolean stopped;

  private TestPostgres(EmbeddedPostgres server, Path dir, Path dataDir) {
    this.server = server;
    this.dir = dir;
    this.dataDir = dataDir;
  }

  /** A data directory made by initdb once per JVM (the slow part), copied for every server. */
  private static Path template;

  public static TestPostgres start() throws IOException {
    Path dir = Files.createTempDirectory(tmpDir(), "pg-");
    Path data = dir.resolve("data");
    copy(template(), data);
    EmbeddedPostgres server = builder(dir, data).start();
    return new TestPostgres(server, dir, data);
  }

  private static Path tmpDir() {
    return Path.of(System.getProperty("java.io.tmpdir")).toAbsolutePath();
  }

  /**
   * Settings for a server in {@code dir}: loopback only, socket in {@code dir}, nothing fsynced
   * (tests need no durability, and a shared build machine's disk is slow).
   */
  private static EmbeddedPostgres.Builder builder(Path dir, Path data) {
    return EmbeddedPostgres.builder()
        .setDataDirectory(data)
        .setCleanDataDirectory(false)
        .setServerConfig("listen_addresses", "127.0.0.1")
        .setServerConfig("unix_socket_directories", dir.toString())
        .setServerConfig("max_connections", String.valueOf(MAX_CONNECTIONS))
        .setServerConfig("fsync", "off")
        .setServerConfig("full_page_writes", "off");
  }

  private static synchronized Path template() throws IOException {
    if (template == null) {
      Path dir = Files.createTempDirectory(tmpDir(), "pg-template-");
      Path data = dir.resolve("data");
      // Small WAL segments: less for initdb to write and for every copy to copy.
      try (EmbeddedPostgres init = builder(dir, data)
          .setLocaleConfig("wal-segsize", "1")
          .setDataDirectoryCustomizer(d -> writeHba(d.toPath()))
          .start()) {
        try (Connection c = init.getPostgresDatabase().getConnection(); Statement s = c.createStatement()) {
          s.execute("SET password_encryption = 'scram-sha-256'");
          s.execute("CREATE ROLE " + APP_ROLE + " LOGIN PASSWORD '" + APP_PASSWORD + "'");
        }
      } catch (SQLException e) {
        throw new IOException("preparing the PostgreSQL template failed: " + e.getMessage(), e);
      }
      Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteQuietly(dir)));
      template = data;
    }
    return template;
  }

  private static void copy(Path from, Path to) throws IOException {
    try (Stream<Path> files = Files.walk(from)) {
      for (Path p : (Iterable<Path>) files::iterator) {
        if (p.getFileName().toString().equals("postmaster.pid")) {
          continue;
        }
        Path target = to.resolve(from.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(target);
          Files.setPosixFilePermissions(target, Files.getPosixFilePermissions(p));
        } else {
          Files.copy(p, target, StandardCopyOption.COPY_ATTRIBUTES);
        }
      }
    }
  }

  private static void deleteQuietly(Path dir) {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> files = Files.walk(dir)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException | UncheckedIOException e) {
      // best effort: target/ goes with mvn clean anyway
    }
  }

  private static void writeHba(Path data) {
    try {
      Files.writeString(data.resolve("pg_hba.conf"), """
          local all all                trust
          host  all postgres 127.0.0.1/32 trust
          host  all all      127.0.0.1/32 scram-sha-256
          """);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public int port() {
    return server.getPort();
  }

  /** A uri for the probe as superuser {@code postgres} (trusted, no password). */
  public String uri() {
    return "postgresql://postgres@127.0.0.1:" + port() + "/postgres";
  }

  /** A uri for {@link #APP_ROLE} with {@code password}. */
  public String appUri(String password, String database) {
    return "postgresql://" + APP_ROLE + ":" + password + "@127.0.0.1:" + port() + "/" + database;
  }

  /** A JDBC connection as {@code postgres}, closed with the server. */
  public Connection connect() throws SQLException {
    Connection c = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port() + "/postgres", "postgres", "");
    opened.add(c);
    return c;
  }

  /** Runs a statement as {@code postgres}. */
  public void sql(String statement) throws SQLException {
    try (Connection c = DriverManager.getConnection(
        "jdbc:postgresql://127.0.0.1:" + port() + "/postgres", "postgres", "");
        Statement s = c.createStatement()) {
      s.execute(statement);
    }
  }

  /** The first column of the first row of a query run as {@code postgres}. */
  public long queryLong(String query) throws SQLException {
    try (Connection c = DriverManager.getConnection(
        "jdbc:postgresql://127.0.0.1:" + port() + "/postgres", "postgres", "");
        Statement s = c.createStatement();
        ResultSet r = s.executeQuery(query)) {
      r.next();
      return r.getLong(1);
    }
  }

  /** Sessions whose application_name is {@code name}, other than the asking one. */
  public long sessionsNamed(String name) throws SQLException {
    return queryLong("SELECT count(*) FROM pg_stat_activity WHERE application_name = '" + name
        + "' AND pid <> pg_backend_pid()");
  }

  /** Polls (on the test thread) until {@code sessionsNamed(name)} is {@code expected}, or the limit. */
  public long awaitSessionsNamed(String name, long expected, Duration limit) throws SQLException, InterruptedException {
    long until = System.nanoTime() + limit.toNanos();
    long n = sessionsNamed(name);
    while (n != expected && System.nanoTime() < until) {
      TimeUnit.MILLISECONDS.sleep(20);
      n = sessionsNamed(name);
    }
    return n;
  }

  /** The postmaster's pid: the first line of postmaster.pid in the data directory. */
  public long postmasterPid() throws IOException {
    return Long.parseLong(Files.readAllLines(dataDir.resolve("postmaster.pid")).get(0).trim());
  }

  /**
   * Kills the postmaster with SIGKILL, as a crash or the OOM killer would: no shutdown message to
   * clients. Its backends notice and exit on their own.
   */
  public void kill() throws IOException, InterruptedException {
    Kill.nine(postmasterPid());
    killed = true;
  }

  /** Stops the server the polite way (pg_ctl stop -m fast): sessions are told and closed. */
  public void stop() throws IOException {
    closeJdbc();
    server.close();
    stopped = true;
  }

  private void closeJdbc() {
    for (Connection c : opened) {
      try {
        c.close();
      } catch (SQLException e) {
        // the server may be gone already
      }
    }
    opened.clear();
  }

  @Override
  public void close() throws IOException {
    closeJdbc();
    try {
      if (!stopped) {
        server.close();
      }
    } catch (IOException | RuntimeException e) {
      if (!killed) {
        throw e;
      }
      // after a kill, pg_ctl stop has nothing to stop
    } finally {
      deleteQuietly(dir);
    }
  }
}
