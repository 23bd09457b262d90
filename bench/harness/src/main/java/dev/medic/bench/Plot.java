package dev.medic.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.ToDoubleFunction;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * The comparison's plot from bench/results/compare.csv: CPU per probe, round wall time and peak
 * RSS against the number of targets, one line per tool, log scales. Run alone with
 * {@code Plot CSV PNG} to redraw it without measuring again.
 */
public final class Plot {

  private Plot() {}

  public static void main(String[] args) throws IOException {
    draw(Path.of(args[0]), Path.of(args[1]));
  }

  /** A row of the CSV, only the fields drawn. */
  private record Row(String tool, int n, double roundMs, double cpuMs, double rssMib) {}

  static void draw(Path csv, Path png) throws IOException {
    System.setProperty("java.awt.headless", "true");
    Map<String, List<Row>> byTool = new LinkedHashMap<>();
    List<String> lines = Files.readAllLines(csv);
    List<String> header = Arrays.asList(lines.get(0).split(","));
    for (String line : lines.subList(1, lines.size())) {
      String[] f = line.split(",", -1);
      String median = f[header.indexOf("round_ms_median")];
      if (median.isEmpty()) {
        continue; // no measurement
      }
      Row r = new Row(f[header.indexOf("tool")], Integer.parseInt(f[header.indexOf("n")]), Double.parseDouble(median),
          Double.parseDouble(f[header.indexOf("cpu_ms_per_probe")]), Double.parseDouble(f[header.indexOf("peak_rss_mib")]));
      byTool.computeIfAbsent(r.tool(), t -> new ArrayList<>()).add(r);
    }
    if (byTool.isEmpty()) {
      throw new IOException(csv + " has no measurement to plot");
    }
    List<XYChart> charts = List.of(
        chart("CPU per probe", "CPU ms per probe", byTool, Row::cpuMs),
        chart("Wall time of one round (10 % hung, 5 s timeout)", "seconds", byTool, r -> r.roundMs() / 1000),
        chart("Peak RSS", "MiB", byTool, Row::rssMib));
    Path parent = png.toAbsolutePath().getParent();
    Files.createDirectories(parent);
    String name = png.toString().endsWith(".png") ? png.toString().substring(0, png.toString().length() - 4) : png.toString();
    BitmapEncoder.saveBitmap(charts, 1, charts.size(), name, BitmapEncoder.BitmapFormat.PNG);
  }

  private static XYChart chart(String title, String yTitle, Map<String, List<Row>> byTool, ToDoubleFunction<Row> y) {
    XYChart c = new XYChartBuilder().width(560).height(460).title(title).xAxisTitle("targets (N)").yAxisTitle(yTitle).build();
    Styler s = c.getStyler();
    c.getStyler().setXAxisLogarithmic(true);
    c.getStyler().setYAxisLogarithmic(true);
    c.getStyler().setXAxisDecimalPattern("#,###");
    s.setLegendPosition(Styler.LegendPosition.OutsideS);
    s.setLegendLayout(Styler.LegendLayout.Horizontal);
    s.setChartBackgroundColor(java.awt.Color.WHITE);
    byTool.forEach((tool, rows) -> {
      double[] xs = rows.stream().mapToDouble(Row::n).toArray();
      double[] ys = rows.stream().mapToDouble(y).toArray();
      c.addSeries(tool, xs, ys).setMarker(SeriesMarkers.CIRCLE);
    });
    return c;
  }
}
