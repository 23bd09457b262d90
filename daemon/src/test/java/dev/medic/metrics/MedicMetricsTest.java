package dev.medic.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import dev.medic.probe.Measurement;
import dev.medic.probe.Status;
import dev.medic.probe.Unit;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class MedicMetricsTest {

  private static final String EXPIRY = "medic_tls_certificate_expiry_timestamp_seconds";

  @Test
  void anExpiresAtMeasurementBecomesTheCertificateExpiryGaugeUntilTheCheckIsRemoved() {
    MedicMetrics metrics = new MedicMetrics(MedicMetrics.newRegistry());
    metrics.addCheck("cert", "tls", () -> Status.OK);
    metrics.addCheck("app", "http", () -> Status.OK);

    metrics.probed("cert", Duration.ofMillis(5), "ok", Map.of(
        "days-left", new Measurement(20.5, Unit.DAYS),
        "expires-at", new Measurement(1_798_761_600, Unit.NUMBER)));
    metrics.probed("app", Duration.ofMillis(5), "ok", Map.of());

    String scrape = metrics.scrape();
    assertThat(scrape).contains("# TYPE " + EXPIRY + " gauge");
    assertThat(expiry(scrape)).isEqualTo(1_798_761_600.0);

    metrics.probed("cert", Duration.ofMillis(5), "ok", Map.of("expires-at", new Measurement(1_800_000_000, Unit.NUMBER)));
    assertThat(expiry(metrics.scrape())).isEqualTo(1_800_000_000.0);

    metrics.removeCheck("cert");
    assertThat(metrics.scrape()).doesNotContain(EXPIRY + "{");
  }

  /** The value of the one expiry series, which must be the cert check's. */
  private static double expiry(String scrape) {
    String line = scrape.lines().filter(l -> l.startsWith(EXPIRY + "{")).reduce((a, b) -> {
      throw new AssertionError("more than one " + EXPIRY + " series: " + a + " / " + b);
    }).orElseThrow(() -> new AssertionError("no " + EXPIRY + " series in:\n" + scrape));
    assertThat(line).startsWith(EXPIRY + "{check=\"cert\"} ");
    return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
  }
}
