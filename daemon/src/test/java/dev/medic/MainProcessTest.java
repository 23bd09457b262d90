package dev.medic;

import static org.assertj.core.api.Assertions.assertThat;

import dev.medic.testing.HungServer;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** medic as an operator runs it: a separate JVM, real signals, real exit codes. */
class MainProcessTest {

  @TempDir
  Path tmp;

  private Process start(String... args) throws IOException {
    String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", cp, "dev.medic.Main"));
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd);
    // Each run journals into this test's own directory, never /var/lib/medic.
    pb.environment().put("MEDIC_JOURNAL_DIR", tmp.resolve("journal").toString());
    return pb.redirectErrorStream(true).redirectOutput(tmp.resolve("out.log").toFile()).start();
  }

  private String output() throws IOException {
    return Files.readString(tmp.resolve("out.log"), StandardCharsets.UTF_8);
  }

  @Test
  void checkReadsARelativeIncludeWhenTheConfigIsABareFileNameInAnotherWorkingDirectory() throws Exception {
    Path etc = Files.createDirectories(tmp.resolve("etc"));
    Files.writeString(etc.resolve("main.conf"), "include \"conf.d/checks.conf\"\n"
        + "medic.checks.root { type = disk, path = \"/\" }\n");
    Files.createDirectories(etc.resolve("conf.d"));
    Files.writeString(etc.resolve("conf.d/checks.conf"), "medic.checks.tmp { type = disk, path = \"/tmp\", fall = 0 }\n");

    // medic check --config main.conf, run in the file's directory; then conf.d/../main.conf from above it.
    for (List<String> run : List.of(List.of("main.conf"), List.of("etc/conf.d/../main.conf"))) {
      Path workdir = run.get(0).startsWith("etc/") ? tmp : etc;
      Process p = startIn(workdir, "check", "--config", run.get(0));
      assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
      assertThat(p.exitValue()).as(output()).isEqualTo(78);
      assertThat(output()).contains("checks.conf:1: medic.checks.tmp.fall: 0 is out of range (expected 1 to 1000)");
    }
  }

  private Process startIn(Path workdir, String... args) throws IOException {
    String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", cp, "dev.medic.Main"));
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd).directory(workdir.toFile());
    pb.environment().put("MEDIC_JOURNAL_DIR", tmp.resolve("journal").toString());
    return pb.redirectErrorStream(true).redirectOutput(tmp.resolve("out.log").toFile()).start();
  }

  @Test
  void runAnswersReadyAndStopsCleanlyOnSigterm() throws Exception {
    int port = HungServer.freePort();
    Path conf = tmp.resolve("medic.conf");
    Files.writeString(conf, """
        medic {
          http.port = %d
          checks {
            root { type = disk, path = "/" }
            self { type = http, url = "http://127.0.0.1:%d/health" }
          }
        }
        """.formatted(port, port));
    Process p = start("run", "--config", conf.toString());
    HttpClient client = HttpClient.newHttpClient();
    int ready = 0;
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (ready != 200 && System.nanoTime() < deadline && p.isAlive()) {
      try {
        ready = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/ready"))
            .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.discarding()).statusCode();
      } catch (IOException notYet) {
        ready = 0;
      }
      if (ready != 200) {
        Thread.sleep(100);
      }
    }
    assertThat(ready).as(output()).isEqualTo(200);
    p.destroy(); // SIGTERM
    assertThat(p.waitFor(20, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(output()).isZero();
    assertThat(output()).contains("signal=TERM", "medic stopped");
  }

  @Test
  void sighupWithATypoKeepsTheRunningConfigAndSaysWhyThenAFixedFileApplies() throws Exception {
    int port = HungServer.freePort();
    Path conf = tmp.resolve("medic.conf");
    String good = """
        medic {
          instance = web-1
          http.port = %d
          checks {
            root { type = disk, path = "/" }
            %s
          }
        }
        """;
    Files.writeString(conf, good.formatted(port, ""));
    Process p = start("run", "--config", conf.toString());
    awaitOutput(p, "state changed");
    Files.writeString(conf, good.formatted(port, "self { type = http, url = \"http://127.0.0.1:" + port
        + "/health\", intervl = 5s }"));
    hup(p);
    awaitOutput(p, "config reload failed");
    assertThat(p.isAlive()).isTrue();
    // Every problem as `medic check` prints it: file:line: key: what is wrong.
    assertThat(output()).contains(conf + ":6: medic.checks.self.intervl");
    assertThat(get(port, "/status")).contains("\"root\"").doesNotContain("\"self\"");
    assertThat(get(port, "/metrics")).contains("medic_config_last_reload_successful 0.0");

    Files.writeString(conf, good.formatted(port, "self { type = http, url = \"http://127.0.0.1:" + port
        + "/health\" }"));
    hup(p);
    awaitOutput(p, "configuration reloaded");
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!get(port, "/status").contains("\"self\"") && System.nanoTime() < deadline) {
      Thread.sleep(100);
    }
    assertThat(get(port, "/status")).contains("\"self\"", "\"instance\" : \"web-1\"");
    assertThat(get(port, "/metrics")).contains("medic_config_last_reload_successful 1.0");
    // Every log line names the instance.
    assertThat(output().lines().filter(l -> l.contains(" INFO ")).toList())
        .isNotEmpty().allSatisfy(l -> assertThat(l).contains("instance=web-1"));
    p.destroy();
    assertThat(p.waitFor(20, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(output()).isZero();
  }

  private void awaitOutput(Process p, String text) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (!output().contains(text) && System.nanoTime() < deadline && p.isAlive()) {
      Thread.sleep(100);
    }
    assertThat(output()).as("waiting for \"" + text + "\"").contains(text);
  }

  private static void hup(Process p) throws Exception {
    assertThat(new ProcessBuilder("kill", "-HUP", Long.toString(p.pid())).start().waitFor()).isZero();
  }

  private static String get(int port, String path) throws Exception {
    return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .header("accept", "application/json").timeout(Duration.ofSeconds(5)).build(),
        HttpResponse.BodyHandlers.ofString()).body();
  }

  @Test
  void jsonLogsCarryTheCheckAsAField() throws Exception {
    Path conf = tmp.resolve("json.conf");
    Files.writeString(conf, """
        medic {
          http.port = %d
          log.format = json
          checks.root { type = disk, path = "/" }
        }
        """.formatted(HungServer.freePort()));
    Process p = start("run", "--config", conf.toString());
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (!output().contains("state changed") && System.nanoTime() < deadline && p.isAlive()) {
      Thread.sleep(100);
    }
    p.destroy();
    assertThat(p.waitFor(20, TimeUnit.SECONDS)).isTrue();
    String line = output().lines().filter(l -> l.contains("state changed")).findFirst().orElseThrow();
    io.vertx.core.json.JsonObject json = new io.vertx.core.json.JsonObject(line);
    assertThat(json.getString("level")).isEqualTo("INFO");
    assertThat(json.getJsonArray("kvpList").encode()).contains("{\"check\":\"root\"}", "{\"to\":\"ok\"}");
    assertThat(json.getJsonObject("context").getJsonObject("properties").getString("instance")).isNotBlank();
  }

  @Test
  void notificationsInTheOutboxSurviveAKill9() throws Exception {
    int api = HungServer.freePort();
    int hook = HungServer.freePort();
    Path conf = tmp.resolve("outbox.conf");
    Files.writeString(conf, """
        medic {
          http.port = %d
          checks.app { type = tcp, host = "127.0.0.1", port = %d, timeout = 1s, fall = 1 }
          notify.ops { type = webhook, url = "http://127.0.0.1:%d/hook", group-wait = 100ms }
        }
        """.formatted(api, HungServer.freePort(), hook));
    Path outbox = tmp.resolve("journal/outbox/ops");
    Process first = start("run", "--config", conf.toString());
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (!(Files.isDirectory(outbox) && Files.list(outbox).anyMatch(f -> f.toString().endsWith(".json")))) {
      assertThat(System.nanoTime()).as(output()).isLessThan(deadline);
      Thread.sleep(50);
    }
    Path queued;
    try (var files = Files.list(outbox)) {
      queued = files.filter(f -> f.toString().endsWith(".json")).findFirst().orElseThrow();
    }
    String id = new io.vertx.core.json.JsonObject(Files.readString(queued)).getString("id");
    first.destroyForcibly(); // kill -9: no chance to flush anything
    assertThat(first.waitFor(10, TimeUnit.SECONDS)).isTrue();

    // The receiver comes up; medic starts again and delivers what the killed one had queued.
    java.util.List<String> ids = new java.util.concurrent.CopyOnWriteArrayList<>();
    com.sun.net.httpserver.HttpServer receiver = com.sun.net.httpserver.HttpServer.create(
        new java.net.InetSocketAddress("127.0.0.1", hook), 0);
    receiver.createContext("/hook", ex -> {
      io.vertx.core.json.JsonObject body = new io.vertx.core.json.JsonObject(
          new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
      body.getJsonArray("events").forEach(e -> ids.add(((io.vertx.core.json.JsonObject) e).getString("id")));
      ex.sendResponseHeaders(204, -1);
      ex.close();
    });
    receiver.start();
    Process second = start("run", "--config", conf.toString());
    try {
      deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
      while (!ids.contains(id) && System.nanoTime() < deadline) {
        Thread.sleep(50);
      }
      assertThat(ids).as(output()).contains(id);
      Thread.sleep(500);
      assertThat(ids.stream().filter(id::equals).count()).isEqualTo(1);
    } finally {
      second.destroy();
      second.waitFor(20, TimeUnit.SECONDS);
      receiver.stop(0);
    }
  }

  @Test
  void aBrokenConfigExits78NamingFileLineAndKey() throws Exception {
    Path conf = tmp.resolve("broken.conf");
    Files.writeString(conf, """
        medic {
          checks {
            app {
              type = http
              url = "http://127.0.0.1:1/health"
              timeout = 40s
            }
          }
        }
        """);
    Process p = start("run", "--config", conf.toString());
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).isEqualTo(78);
    assertThat(output()).contains(conf + ":6: medic.checks.app.timeout: timeout 40s is not below interval 30s");
  }

  @Test
  void probeExitsWithTheWorstStatusLikeANagiosPlugin() throws Exception {
    Path conf = tmp.resolve("probe.conf");
    Files.writeString(conf, """
        medic.checks {
          root { type = disk, path = "/" }
          nothing-there { type = tcp, host = "127.0.0.1", port = %d, timeout = 1s }
        }
        """.formatted(HungServer.freePort()));
    Process p = start("probe", "--config", conf.toString());
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(output()).isEqualTo(2);
    assertThat(output()).contains("CHECK", "nothing-there", "critical", "refused", "used=");

    Process one = start("probe", "--config", conf.toString(), "--check", "root");
    assertThat(one.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(one.exitValue()).as(output()).isIn(0, 1, 2);
    assertThat(output()).doesNotContain("nothing-there");

    Process missing = start("probe", "--config", conf.toString(), "--check", "nope");
    assertThat(missing.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(missing.exitValue()).isEqualTo(64);
  }
}
