package dev.medic.bench;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** Median, nearest-rank percentiles, min and max. */
final class Stats {

  private Stats() {}

  static double median(List<Double> values) {
    if (values.isEmpty()) {
      return Double.NaN;
    }
    List<Double> s = sorted(values);
    int m = s.size() / 2;
    return s.size() % 2 == 1 ? s.get(m) : (s.get(m - 1) + s.get(m)) / 2;
  }

  /** Nearest rank: the smallest value with at least p % of the values at or below it. */
  static double percentile(List<Double> values, double p) {
    if (values.isEmpty()) {
      return Double.NaN;
    }
    List<Double> s = sorted(values);
    int rank = (int) Math.ceil(p / 100 * s.size());
    return s.get(Math.max(0, rank - 1));
  }

  static double min(List<Double> values) {
    return values.isEmpty() ? Double.NaN : Collections.min(values);
  }

  static double max(List<Double> values) {
    return values.isEmpty() ? Double.NaN : Collections.max(values);
  }

  private static List<Double> sorted(List<Double> values) {
    List<Double> s = new ArrayList<>(values);
    Collections.sort(s);
    return s;
  }
}
