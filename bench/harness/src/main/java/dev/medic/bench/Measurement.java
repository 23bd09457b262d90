package dev.medic.bench;

import java.util.List;
import java.util.Locale;

/**
 * One tool at one size: the row of the table and of bench/results/compare.csv.
 *
 * @param roundMillis wall time of each measured round
 * @param cpuMsPerProbe CPU time of the tool's process over the measured window ÷ probes ended
 * @param corePercent CPU of one round every 30 s as a share of one core (cpu ms per probe × n ÷ 30 s)
 * @param machineBusyPercent the whole machine's busy share (both cores) over the window: others
 *     at work show here
 * @param connections connections the healthy targets accepted over the whole run
 * @param requests requests the healthy targets answered over the whole run
 * @param note what was set differently from the tool's defaults, or ""
 */
record Measurement(
    String tool,
    String connects,
    int n,
    int warmupRounds,
    List<Double> roundMillis,
    double cpuMsPerProbe,
    double corePercent,
    double peakRssMib,
    long probes,
    double windowSeconds,
    double machineBusyPercent,
    long connections,
    long requests,
    String note,
    String problems) {

  static final String CSV_HEADER = "tool,n,hung,warmup_rounds,rounds,round_ms_median,round_ms_min,round_ms_max,"
      + "cpu_ms_per_probe,core_percent,peak_rss_mib,probes,window_s,machine_busy_percent,connections,requests,"
      + "connects,note,problems";

  double roundMedian() {
    return Stats.median(roundMillis);
  }

  boolean measured() {
    return !roundMillis.isEmpty() && probes > 0 && peakRssMib > 0;
  }

  String csv() {
    return String.join(",", tool, Integer.toString(n), Integer.toString(n / 10), Integer.toString(warmupRounds),
        Integer.toString(roundMillis.size()), f(roundMedian()), f(Stats.min(roundMillis)), f(Stats.max(roundMillis)),
        String.format(Locale.ROOT, "%.4f", cpuMsPerProbe), f(corePercent), f(peakRssMib), Long.toString(probes),
        f(windowSeconds), f(machineBusyPercent), Long.toString(connections), Long.toString(requests),
        quote(connects), quote(note), quote(problems));
  }

  private static String f(double v) {
    return Double.isNaN(v) ? "" : String.format(Locale.ROOT, "%.1f", v);
  }

  private static String quote(String s) {
    return "\"" + s.replace("\"", "\"\"") + "\"";
  }
}
