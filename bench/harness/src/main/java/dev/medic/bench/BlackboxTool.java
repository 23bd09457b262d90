package dev.medic.bench;

import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;

/**
 * blackbox_exporter with the {@code http_2xx} module (5 s timeout), and a load driver in its
 * place of Prometheus: each round it scrapes {@code /probe?module=http_2xx&target=…} once per
 * target, at most {@value #IN_FLIGHT} scrapes in flight, on kept connections to the exporter, with
 * the scrape-timeout header Prometheus sends (10 s, its default). The next round starts one period
 * after the last began, or at once when a round took longer than the period. The driver's own
 * CPU is not counted, as Prometheus's would not be.
 */
final class BlackboxTool implements Tool {

  static final int IN_FLIGHT = 100;

  private final Duration period;
  private int port;
  private Thread driver;
  private final AtomicLong healthyFailed = new AtomicLong();
  private final AtomicLong hungSucceeded = new AtomicLong();
  private final AtomicLong scrapeErrors = new AtomicLong();
  private volatile Throwable lastError;

  BlackboxTool(Duration period) {
    this.period = period;
  }

  @Override
  public String name() {
    return "blackbox_exporter";
  }

  @Override
  public String connects() {
    return "new connection per probe (a new HTTP client per probe), " + IN_FLIGHT + " in flight";
  }

  @Override
  public Process start(Targets targets, Path dir, int rounds) throws Exception {
    port = Processes.freePort();
    Path conf = dir.resolve("blackbox.yml");
    Files.writeString(conf, """
        modules:
          http_2xx:
            prober: http
            timeout: 5s
            http:
              preferred_ip_protocol: ip4
              ip_protocol_fallback: false
        """);
    Process p = Processes.start(List.of("prometheus-blackbox-exporter", "--config.file=" + conf,
        "--web.listen-address=127.0.0.1:" + port), dir.resolve("blackbox.log"));
    Processes.await("blackbox_exporter /-/healthy", Duration.ofSeconds(30), p,
        () -> Processes.status("http://127.0.0.1:" + port + "/-/healthy") == 200);
    return p;
  }

  @Override
  public void drive(Targets targets, int rounds) {
    driver = new Thread(() -> {
      HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
      Semaphore slots = new Semaphore(IN_FLIGHT);
      try {
        long next = System.nanoTime();
        for (int r = 0; r < rounds; r++) {
          long wait = next - System.nanoTime();
          if (wait > 0) {
            Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000)); // the scrape schedule
          }
          long began = System.nanoTime();
          next = began + period.toNanos();
          CountDownLatch done = new CountDownLatch(targets.size());
          for (int i = 0; i < targets.size(); i++) {
            slots.acquire();
            boolean hung = Targets.isHung(i);
            HttpRequest req = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
                    + "/probe?module=http_2xx&target=" + URLEncoder.encode(targets.url(i), StandardCharsets.UTF_8)))
                .header("X-Prometheus-Scrape-Timeout-Seconds", "10")
                .timeout(Duration.ofSeconds(15))
                .build();
            client.sendAsync(req, HttpResponse.BodyHandlers.ofString()).whenComplete((resp, err) -> {
              slots.release();
              if (err != null || resp.statusCode() != 200) {
                scrapeErrors.incrementAndGet();
                lastError = err;
              } else {
                boolean success = resp.body().contains("\nprobe_success 1");
                if (hung && success) {
                  hungSucceeded.incrementAndGet();
                } else if (!hung && !success) {
                  healthyFailed.incrementAndGet();
                }
              }
              done.countDown();
            });
          }
          done.await();
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }, "blackbox-driver");
    driver.setDaemon(true);
    driver.start();
  }

  @Override
  public String verdictProblems() {
    StringBuilder b = new StringBuilder();
    if (healthyFailed.get() > 0) {
      b.append(healthyFailed.get()).append(" healthy probes failed; ");
    }
    if (hungSucceeded.get() > 0) {
      b.append(hungSucceeded.get()).append(" hung probes succeeded; ");
    }
    if (scrapeErrors.get() > 0) {
      b.append(scrapeErrors.get()).append(" scrapes failed (").append(lastError).append("); ");
    }
    return b.toString();
  }

  @Override
  public void stopDriving() {
    if (driver != null) {
      driver.interrupt();
    }
  }
}
