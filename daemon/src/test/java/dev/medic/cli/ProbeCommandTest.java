package dev.medic.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.medic.testing.TestPostgres;
import dev.medic.testing.TestRedis;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code medic probe} against real PostgreSQL and Redis, with the probe types found on the class
 * path as the shipped jar finds them: a table of results and the Nagios exit code of the worst.
 */
class ProbeCommandTest {

  private static TestPostgres pg;
  private static TestRedis redis;

  @TempDir
  static Path dir;

  @BeforeAll
  static void startServers() throws Exception {
    pg = TestPostgres.start();
    redis = TestRedis.start();
  }

  @AfterAll
  static void stopServers() throws Exception {
    if (redis != null) {
      redis.close();
    }
    if (pg != null) {
      pg.close();
    }
  }

  private record Run(int code, String out, String err) {}

  private static Run medic(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = Cli.execute(args, new PrintWriter(out), new PrintWriter(err));
    return new Run(code, out.toString(), err.toString());
  }

  @Test
  void probesTheDatastoresAndExitsWithTheWorstResult() throws Exception {
    Path conf = Files.writeString(dir.resolve("medic.conf"), """
        medic {
          checks {
            db    { type = postgres, uri = "%s" }
            cache { type = redis, uri = "%s" }
          }
        }
        """.formatted(pg.uri(), redis.uri()), StandardCharsets.UTF_8);

    Run healthy = medic("probe", "--config", conf.toString());
    assertThat(healthy.code()).as(healthy.out() + healthy.err()).isZero();
    assertThat(healthy.out())
        .containsPattern("db +postgres +ok .*postgres 127\\.0\\.0\\.1:" + pg.port() + "/postgres primary, [0-9]+ connections? ")
        .containsPattern("connections=[0-9]+ +connections-used=[0-9.]+%")
        .containsPattern("cache +redis +ok .*redis 127\\.0\\.0\\.1:" + redis.port() + " master, [0-9.]+ [KMG]iB used \\(")
        .containsPattern("memory-used=[0-9.]+% +connected-clients=[0-9]+");

    redis.stop();
    Run down = medic("probe", "--config", conf.toString());
    assertThat(down.code()).as(down.out() + down.err()).isEqualTo(2);
    assertThat(down.out())
        .containsPattern("db +postgres +ok ")
        .containsPattern("cache +redis +critical .*redis 127\\.0\\.0\\.1:" + redis.port() + ": connection refused");
  }

  @Test
  void aCriticalCheckOutranksOneThatCouldNotJudge() throws Exception {
    Path plugin = dir.resolve("unknown.sh");
    Files.writeString(plugin, "#!/bin/sh\necho 'UNKNOWN - cannot tell'\nexit 3\n", StandardCharsets.UTF_8);
    plugin.toFile().setExecutable(true);
    int closedPort;
    try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      closedPort = s.getLocalPort();
    }
    Path conf = Files.writeString(dir.resolve("mixed.conf"), """
        medic {
          checks {
            undecided { type = command, command = ["%s"] }
            down      { type = tcp, host = "127.0.0.1", port = %d }
          }
        }
        """.formatted(plugin, closedPort), StandardCharsets.UTF_8);

    Run run = medic("probe", "--config", conf.toString());
    assertThat(run.out()).containsPattern("undecided +command +unknown ").containsPattern("down +tcp +critical ");
    assertThat(run.code()).as(run.out() + run.err()).isEqualTo(2);

    Run unknownOnly = medic("probe", "--config", conf.toString(), "--check", "undecided");
    assertThat(unknownOnly.code()).as(unknownOnly.out() + unknownOnly.err()).isEqualTo(3);
  }
}
