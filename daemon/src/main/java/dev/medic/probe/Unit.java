package dev.medic.probe;

/**
 * The unit a measurement is reported in. It decides how a threshold for that measurement is
 * written in the configuration ({@code 2s}, {@code 80%}, {@code 100MB}, a plain number) and how
 * values are printed. Values are always kept in the base unit: seconds, a 0..1 ratio, bytes.
 */
public enum Unit {
  SECONDS("s"),
  RATIO("ratio"),
  BYTES("bytes"),
  COUNT(""),
  DAYS("days"),
  NUMBER("");

  public final String symbol;

  Unit(String symbol) {
    this.symbol = symbol;
  }

  /** Human form of a value in this unit: {@code 91.2%}, {@code 1.5s}, {@code 2.0 GiB}. */
  public String format(double value) {
    return switch (this) {
      case SECONDS -> value < 1 ? trim(value * 1000) + "ms" : trim(value) + "s";
      case RATIO -> trim(value * 100) + "%";
      case BYTES -> formatBytes(value);
      case DAYS -> trim(value) + " days";
      case COUNT, NUMBER -> trim(value);
    };
  }

  private static String formatBytes(double bytes) {
    String[] units = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
    int i = 0;
    double v = bytes;
    while (Math.abs(v) >= 1024 && i < units.length - 1) {
      v /= 1024;
      i++;
    }
    return trim(v) + " " + units[i];
  }

  static String trim(double v) {
    if (v == Math.rint(v) && Math.abs(v) < 1e15) {
      return Long.toString((long) v);
    }
    String s = String.format(java.util.Locale.ROOT, "%.2f", v);
    s = s.replaceAll("0+$", "");
    return s.endsWith(".") ? s.substring(0, s.length() - 1) : s;
  }
}
