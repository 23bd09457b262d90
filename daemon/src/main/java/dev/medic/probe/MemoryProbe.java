package dev.medic.probe;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads {@code /proc/meminfo} on a worker thread. "Used" is what the kernel could not hand to a
 * new program without swapping: 1 − MemAvailable / MemTotal, not 1 − MemFree / MemTotal, which
 * would count the page cache as used and alarm on every healthy, busy host.
 */
final class MemoryProbe implements Probe {

  private final Vertx vertx;
  private final String meminfo;

  MemoryProbe(Vertx vertx, String meminfo) {
    this.vertx = vertx;
    this.meminfo = meminfo;
  }

  @Override
  public Future<ProbeResult> run() {
    return vertx.executeBlocking(this::read, false);
  }

  private ProbeResult read() {
    List<String> lines;
    try {
      lines = Files.readAllLines(Path.of(meminfo), StandardCharsets.US_ASCII);
    } catch (IOException e) {
      return ProbeResult.unknown("cannot read " + meminfo + ": " + e);
    }
    return judge(parse(lines));
  }

  /** {@code Name: value [kB]} lines as bytes; the kernel's "kB" means KiB. */
  private static Map<String, Long> parse(List<String> lines) {
    Map<String, Long> fields = new HashMap<>();
    for (String line : lines) {
      int colon = line.indexOf(':');
      if (colon <= 0) {
        continue;
      }
      String[] parts = line.substring(colon + 1).trim().split("\\s+");
      try {
        long v = Long.parseLong(parts[0]);
        boolean kib = parts.length > 1 && parts[1].equalsIgnoreCase("kB");
        fields.put(line.substring(0, colon).trim(), kib ? v * 1024 : v);
      } catch (NumberFormatException e) {
        // a field this probe does not use, in a format it does not know
      }
    }
    return fields;
  }

  private ProbeResult judge(Map<String, Long> f) {
    Long total = f.get("MemTotal");
    if (total == null || total <= 0) {
      return ProbeResult.unknown(meminfo + " has no MemTotal (is it a Linux meminfo file?)");
    }
    // Kernels before 3.14 have no MemAvailable; free + buffers + cache is the estimate free(1)
    // used then.
    long available = f.containsKey("MemAvailable")
        ? f.get("MemAvailable")
        : f.getOrDefault("MemFree", 0L) + f.getOrDefault("Buffers", 0L) + f.getOrDefault("Cached", 0L);
    available = Math.min(Math.max(0, available), total);
    double used = 1.0 - (double) available / total;

    long swapTotal = f.getOrDefault("SwapTotal", 0L);
    long swapFree = f.getOrDefault("SwapFree", 0L);
    double swapUsed = swapTotal <= 0 ? 0 : (double) Math.max(0, swapTotal - swapFree) / swapTotal;

    Map<String, Measurement> m = new LinkedHashMap<>();
    m.put("used", Measurement.ratio(used));
    m.put("available", Measurement.bytes(available));
    m.put("swap-used", Measurement.ratio(swapUsed));
    String message = "memory " + Unit.RATIO.format(used) + " used, "
        + Unit.BYTES.format(available) + " available of " + Unit.BYTES.format(total)
        + (swapTotal <= 0 ? ", no swap" : ", swap " + Unit.RATIO.format(swapUsed) + " used");
    return ProbeResult.of(Status.OK, message, m);
  }
}
