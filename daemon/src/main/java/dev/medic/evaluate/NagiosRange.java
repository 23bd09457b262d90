package dev.medic.evaluate;

import dev.medic.probe.Unit;
import java.util.Locale;

/**
 * A Nagios plugin range ({@code [@]start:end}), as found in perfdata and in plugin options such
 * as {@code -w}. Without {@code @} a value alerts when it lies outside {@code start..end}; with
 * {@code @} when it lies inside, both ends included.
 *
 * <table>
 *   <caption>Forms</caption>
 *   <tr><th>text</th><th>alerts when</th></tr>
 *   <tr><td>{@code 10}</td><td>&lt; 0 or &gt; 10</td></tr>
 *   <tr><td>{@code 10:}</td><td>&lt; 10</td></tr>
 *   <tr><td>{@code ~:10}</td><td>&gt; 10</td></tr>
 *   <tr><td>{@code 10:20}</td><td>&lt; 10 or &gt; 20</td></tr>
 *   <tr><td>{@code @10:20}</td><td>≥ 10 and ≤ 20</td></tr>
 * </table>
 *
 * <p>An empty start ({@code :10}) means 0, as in the monitoring-plugins parser. Infinite ends are
 * kept as {@link Double#NEGATIVE_INFINITY} / {@link Double#POSITIVE_INFINITY}.
 *
 * @param start lower end, inclusive; {@code -Infinity} for {@code ~}
 * @param end upper end, inclusive; {@code +Infinity} when omitted
 * @param inside true for {@code @}: alert inside the range instead of outside
 */
public record NagiosRange(double start, double end, boolean inside) implements Limit {

  public NagiosRange {
    if (Double.isNaN(start) || Double.isNaN(end)) {
      throw new IllegalArgumentException("range ends must be numbers (got " + start + ":" + end + ")");
    }
    if (start > end) {
      throw new IllegalArgumentException(
          "range start " + Unit.NUMBER.format(start) + " is greater than its end " + Unit.NUMBER.format(end));
    }
  }

  /**
   * Parses a range as Nagios plugins write it.
   *
   * @throws IllegalArgumentException naming the text and what was expected, when it is empty or
   *     malformed, or its start is greater than its end
   */
  public static NagiosRange parse(String text) {
    if (text == null || text.isBlank()) {
      throw new IllegalArgumentException("empty range (expected e.g. 10, 10:, ~:10, 10:20 or @10:20)");
    }
    String s = text.trim();
    boolean inside = s.startsWith("@");
    if (inside) {
      s = s.substring(1);
    }
    int colon = s.indexOf(':');
    if (colon < 0) {
      return checked(0, number(s, text), inside, text);
    }
    String startText = s.substring(0, colon);
    String endText = s.substring(colon + 1);
    double start = startText.equals("~") ? Double.NEGATIVE_INFINITY
        : startText.isEmpty() ? 0 : number(startText, text);
    double end = endText.isEmpty() ? Double.POSITIVE_INFINITY : number(endText, text);
    return checked(start, end, inside, text);
  }

  private static NagiosRange checked(double start, double end, boolean inside, String text) {
    if (start > end) {
      throw new IllegalArgumentException("\"" + text + "\" is not a valid range: its start "
          + Unit.NUMBER.format(start) + " is greater than its end " + Unit.NUMBER.format(end));
    }
    return new NagiosRange(start, end, inside);
  }

  private static double number(String part, String whole) {
    // Double.parseDouble alone would also take "NaN", "Infinity" and hex floats.
    if (!part.matches("[-+]?(\\d+\\.?\\d*|\\.\\d+)([eE][-+]?\\d+)?")) {
      throw new IllegalArgumentException("\"" + whole + "\" is not a valid range: \"" + part
          + "\" is not a number (expected e.g. 10, 10:, ~:10, 10:20 or @10:20)");
    }
    return Double.parseDouble(part);
  }

  /** This range with both ends multiplied by {@code factor}, e.g. 0.01 for a perfdata {@code %}. */
  public NagiosRange scaled(double factor) {
    if (!(factor > 0)) {
      throw new IllegalArgumentException("scale factor must be positive (got " + factor + ")");
    }
    return new NagiosRange(start * factor, end * factor, inside);
  }

  @Override
  public boolean breached(double value) {
    boolean within = value >= start && value <= end;
    return inside == within;
  }

  /**
   * The bad side is grown by {@code margin}: for an outside-alerting range the good range shrinks
   * by the margin at each finite end; for {@code @} ranges the alerting range widens.
   */
  @Override
  public boolean heldWithin(double value, double margin) {
    double m = Math.max(0, margin);
    if (inside) {
      return value >= start - m && value <= end + m;
    }
    return value < start + m || value > end - m;
  }

  @Override
  public String describe(Unit unit) {
    boolean openStart = start == Double.NEGATIVE_INFINITY;
    boolean openEnd = end == Double.POSITIVE_INFINITY;
    if (inside) {
      if (openStart && openEnd) {
        return "always";
      }
      if (openStart) {
        return "≤ " + unit.format(end);
      }
      if (openEnd) {
        return "≥ " + unit.format(start);
      }
      return "inside " + unit.format(start) + ":" + unit.format(end);
    }
    if (openStart && openEnd) {
      return "never";
    }
    if (openStart) {
      return "> " + unit.format(end);
    }
    if (openEnd) {
      return "< " + unit.format(start);
    }
    return "outside " + unit.format(start) + ":" + unit.format(end);
  }

  /** The range in Nagios syntax, e.g. {@code @10:20} or {@code ~:10}. */
  @Override
  public String toString() {
    String s = start == Double.NEGATIVE_INFINITY ? "~" : plain(start);
    String e = end == Double.POSITIVE_INFINITY ? "" : plain(end);
    return (inside ? "@" : "") + s + ":" + e;
  }

  private static String plain(double v) {
    return v == Math.rint(v) && Math.abs(v) < 1e15
        ? Long.toString((long) v)
        : String.format(Locale.ROOT, "%s", v);
  }
}
