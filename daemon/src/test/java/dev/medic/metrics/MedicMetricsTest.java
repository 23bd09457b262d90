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

  @Test
  void aMeasurementTheProbeNoLongerReportsIsRemovedEvenWhenTheCountStaysTheSame() {
    MedicMetrics metrics = new MedicMetrics(MedicMetrics.newRegistry());
    metrics.addCheck("app", "command", () -> Status.OK);

    metrics.probed("app", Duration.ofMillis(5), "ok", Map.of("a", Measurement.count(1), "b", Measurement.count(2)));
    assertThat(measurements(metrics.scrape())).containsOnlyKeys("a", "b");

    // Two names again, but b is gone and c is new.
    metrics.probed("app", Duration.ofMillis(5), "ok", Map.of("a", Measurement.count(3), "c", Measurement.count(4)));
    assertThat(measurements(metrics.scrape())).containsOnly(Map.entry("a", 3.0), Map.entry("c", 4.0));

    metrics.probed("app", Duration.ofMillis(5), "ok", Map.of("a", Measurement.count(5)));
    assertThat(measurements(metrics.scrape())).containsOnly(Map.entry("a", 5.0));

    // The same names as last time: the value moves, nothing is removed.
    metrics.probed("app", Duration.ofMillis(5), "ok", Map.of("a", Measurement.count(6)));
    assertThat(measurements(metrics.scrape())).containsOnly(Map.entry("a", 6.0));
  }

  /** measurement name → value of the app check's medic_check_measurement series. */
  private static Map<String, Double> measurements(String scrape) {
    Map<String, Double> out = new java.util.TreeMap<>();
    scrape.lines().filter(l -> l.startsWith("medic_check_measurement{")).forEach(l -> {
      java.util.regex.Matcher m = java.util.regex.Pattern.compile("measurement=\"([^\"]+)\"").matcher(l);
      assertThat(m.find()).as(l).isTrue();
      out.put(m.group(1), Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)));
    });
    return out;
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
