package dev.medic.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.medic.ExitCodes;
import dev.medic.testing.FakeProbeTypes;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code medic check} and {@code medic probe} as a user runs them: exit code, stdout, stderr. */
class CheckCommandTest {

  private static final String VALID = """
      medic {
        http { port = 9779, token = "s3cr3t-token" }
        checks {
          app {
            type = http
            url = "http://127.0.0.1:3000/health"
            headers { Authorization = "Bearer abc123" }
            expect { status = [200], body-contains = "ok" }
            thresholds { latency { warning = 1s, critical = 2s } }
            fall = 3
            depends-on = [db]
            on-critical = [restart-app]
          }
          db {
            type = postgres
            uri = "postgresql://medic:hunter2@127.0.0.1:5432/app"
            interval = 1m
            timeout = 500ms
            thresholds { connections { warning = 50, critical = 80 } }
          }
          root {
            type = disk
            path = "/"
            thresholds { used { warning = 80%, critical = 95%, hysteresis = 5% } }
          }
        }
        actions {
          restart-app { type = systemd, unit = "app.service" }
        }
        notify {
          mail { type = email, smtp { host = "127.0.0.1", port = 25, password = "smtp-pa55" } }
        }
      }
      """;

  @TempDir
  Path dir;

  private record Run(int code, String out, String err) {}

  private static Run medic(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = Cli.execute(args, new PrintWriter(out), new PrintWriter(err),
        new dev.medic.Plugins(FakeProbeTypes.all(), dev.medic.testing.FakeActionTypes.all(), dev.medic.testing.FakeChannelTypes.all()));
    return new Run(code, out.toString(), err.toString());
  }

  private Path write(String name, String text) throws IOException {
    return Files.writeString(dir.resolve(name), text, StandardCharsets.UTF_8);
  }

  private static final String BROKEN = """
      medic {
        checks {
          app {
            type = http
            url = "http://127.0.0.1:3000/health"
            timeout = 30s
            interval = 10s
          }
        }
      }
      """;

  @Test
  void checkExits78AndNamesFileAndLineOfABrokenConfig() throws IOException {
    Path file = write("broken.conf", BROKEN);

    Run r = medic("check", "--config", file.toString());

    assertThat(r.code()).isEqualTo(ExitCodes.CONFIG).isEqualTo(78);
    assertThat(r.err()).contains(file + ":6: medic.checks.app.timeout: timeout 30s is not below interval 10s")
        .contains("has 1 problem(s); nothing started");
    assertThat(r.out()).isEmpty();
  }

  @Test
  void probeExits78ForABrokenConfigAndProbesNothing() throws IOException {
    Path file = write("broken.conf", BROKEN);

    Run r = medic("probe", "--config", file.toString());

    assertThat(r.code()).isEqualTo(78);
    assertThat(r.err()).contains(file + ":6: medic.checks.app.timeout: timeout 30s is not below interval 10s");
    assertThat(r.out()).isEmpty();
  }

  @Test
  void checkExits78ForASyntaxErrorWithItsLine() throws IOException {
    Path file = write("syntax.conf", "medic {\n  interval = 10s\n  checks {\n");

    Run r = medic("check", "--config", file.toString());

    assertThat(r.code()).isEqualTo(78);
    assertThat(r.err()).contains(file + ":4: not valid HOCON");
  }

  @Test
  void checkExits78ForAMissingFile() {
    Run r = medic("check", "--config", dir.resolve("absent.conf").toString());

    assertThat(r.code()).isEqualTo(78);
    assertThat(r.err()).contains("absent.conf: cannot read the configuration file");
  }

  @Test
  void checkPrintsThePlanOfAValidConfigAndExits0() throws IOException {
    Path file = write("medic.conf", VALID);

    Run r = medic("check", "--config", file.toString());

    assertThat(r.err()).isEmpty();
    assertThat(r.code()).isZero();
    assertThat(r.out())
        .contains("configuration " + file + " is valid")
        .contains("control token set")
        .contains("3 check(s):")
        .contains("app (http): every 30s, timeout 5s, fall 3, rise 2, retry every 2s")
        .contains("threshold latency: warning ≥ 1s critical ≥ 2s")
        .contains("depends on: db")
        .contains("on critical: restart-app")
        .contains("db (postgres): every 1m, timeout 500ms, fall 2, rise 2, retry every 2s")
        .contains("threshold connections: warning ≥ 50 critical ≥ 80")
        .contains("root (disk): every 30s")
        .contains("threshold used: warning ≥ 80% critical ≥ 95% hysteresis 5%")
        .contains("1 action(s):")
        .contains("1 notification channel(s):")
        .as("checks in the order written").containsSubsequence("app (http)", "db (postgres)", "root (disk)");
  }

  @Test
  void checkNeverPrintsSecrets() throws IOException {
    Path file = write("medic.conf", VALID);

    Run r = medic("check", "--config", file.toString());

    assertThat(r.code()).isZero();
    assertThat(r.out() + r.err())
        .doesNotContain("s3cr3t-token")
        .doesNotContain("hunter2")
        .doesNotContain("abc123")
        .doesNotContain("smtp-pa55")
        .contains("postgresql://medic:****@127.0.0.1:5432/app")
        .contains("Authorization=\"****\"")
        .contains("password=\"****\"");
  }

  @Test
  void checkMasksSecretHeadersAndVariablesAndShowsTheOthers() throws IOException {
    Path file = write("medic.conf", """
        medic {
          checks {
            vhost {
              type = http
              url = "http://127.0.0.1:3000/health"
              headers { Host = "shop.internal", Authorization = "Bearer authSecret1", X-Api-Token = "apiSecret2" }
            }
            script {
              type = command
              command = ["/usr/lib/nagios/plugins/check_db"]
              env { LC_ALL = "C.UTF-8", DB_PASSWORD = "dbSecret3" }
            }
          }
        }
        """);
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();

    // The real http and command probe types: they decide which keys are read, the mask decides what is shown.
    int code = Cli.execute(new String[] {"check", "--config", file.toString()}, new PrintWriter(out),
        new PrintWriter(err), dev.medic.Plugins.discover());

    assertThat(code).as(err.toString()).isZero();
    assertThat(out.toString() + err)
        .doesNotContain("authSecret1").doesNotContain("apiSecret2").doesNotContain("dbSecret3")
        .contains("settings: headers{Authorization=\"****\",Host=\"shop.internal\",X-Api-Token=\"****\"},"
            + "url=\"http://127.0.0.1:3000/health\"")
        .contains("settings: command=[\"/usr/lib/nagios/plugins/check_db\"],"
            + "env{\"DB_PASSWORD\"=\"****\",\"LC_ALL\"=\"C.UTF-8\"}");
  }

  @Test
  void checkNeverPrintsTheSecretPathOfAWebhookUrl() throws IOException {
    Path file = write("medic.conf", """
        medic {
          checks.root { type = disk, path = "/" }
          notify {
            chat { type = slack, url = "https://hooks.slack.com/services/T0AAA/B0BBB/slackSecretXyz" }
            mattermost { type = slack, url = "https://chat.example.org/hooks/mmSecretXyz" }
            proxied { type = slack, url = "https://relay.example.org/slack/services/T0/B0/relaySecretXyz" }
            hook { type = webhook, url = "https://ops.example.org/incoming/hookSecretXyz?x=1" }
          }
          actions {
            deploy-hook { type = systemd, unit = "app.service", url = "https://ci.example.org/trigger/ciSecretXyz" }
          }
        }
        """);

    Run r = medic("check", "--config", file.toString());

    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out() + r.err())
        .doesNotContain("slackSecretXyz").doesNotContain("mmSecretXyz").doesNotContain("relaySecretXyz")
        .doesNotContain("hookSecretXyz").doesNotContain("ciSecretXyz")
        .contains("https://hooks.slack.com/****").contains("https://relay.example.org/****")
        .contains("https://ops.example.org/****");
  }

  @Test
  void checkNeverPrintsSecretsInProblemsEither() throws IOException {
    Path file = write("medic.conf", """
        medic.checks.db {
          type = postgres
          uri = "postgresql://127.0.0.1:5432/app"
          interval = "postgresql://medic:hunter2@127.0.0.1:5432/app"
        }
        """);

    Run r = medic("check", "--config", file.toString());

    assertThat(r.code()).isEqualTo(78);
    assertThat(r.err()).contains("medic.checks.db.interval: \"postgresql://medic:****@127.0.0.1:5432/app\"")
        .doesNotContain("hunter2");
  }

  @Test
  void probeRunsEveryCheckOnceAndExitsWithTheWorstStatus() throws IOException {
    Path file = write("medic.conf", VALID);

    Run r = medic("probe", "--config", file.toString());

    assertThat(r.err()).isEmpty();
    assertThat(r.code()).isEqualTo(ExitCodes.OK);
    assertThat(r.out()).contains("CHECK").contains("app").contains("db").contains("root").contains("ok");
  }
}
