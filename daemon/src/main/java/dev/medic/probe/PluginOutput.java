package dev.medic.probe;

import dev.medic.evaluate.Limit;
import dev.medic.evaluate.NagiosRange;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a Nagios plugin printed, split as the plugin guidelines define: the first line's text
 * before {@code |} is the message; perfdata follows {@code |} on the first line and, from the
 * first later line holding a {@code |}, the rest of that line and every line after it.
 *
 * <p>Perfdata items are {@code 'label'=value[UOM];[warn];[crit];[min];[max]}. Values are kept in
 * the base unit of their {@link Unit} — {@code ms} become seconds, {@code %} a 0..1 ratio, {@code
 * MB} bytes (1024-based, as check_disk means them) — and warn/crit ranges are scaled the same way,
 * so they compare with the value. An item that cannot be read (a value of {@code U}, a malformed
 * number) is left out; a malformed range is dropped and its value kept. Plugins are other
 * people's code: their output is never a reason for the probe to fail.
 *
 * @param message the first line's text, trimmed; empty when the plugin printed nothing
 * @param measurements perfdata by label, in output order; the first of a repeated label wins
 */
record PluginOutput(String message, Map<String, Measurement> measurements) {

  private static final Pattern VALUE =
      Pattern.compile("([-+]?(?:\\d+(?:\\.\\d*)?|\\.\\d+)(?:[eE][-+]?\\d+)?)([\\p{L}%°/]*)");

  PluginOutput {
    measurements = Collections.unmodifiableMap(new LinkedHashMap<>(measurements));
  }

  static PluginOutput parse(String output) {
    String[] lines = output.split("\r?\n", -1);
    String first = lines[0];
    int bar = first.indexOf('|');
    String message = (bar < 0 ? first : first.substring(0, bar)).trim();
    StringBuilder perfdata = new StringBuilder(bar < 0 ? "" : first.substring(bar + 1));
    boolean inPerfdata = false;
    for (int i = 1; i < lines.length; i++) {
      if (inPerfdata) {
        perfdata.append(' ').append(lines[i]);
      } else {
        int b = lines[i].indexOf('|');
        if (b >= 0) {
          inPerfdata = true;
          perfdata.append(' ').append(lines[i], b + 1, lines[i].length());
        }
      }
    }
    return new PluginOutput(message, perfdata(perfdata.toString()));
  }

  /** Space-separated perfdata items; labels may be single-quoted, {@code ''} inside is a quote. */
  static Map<String, Measurement> perfdata(String text) {
    Map<String, Measurement> out = new LinkedHashMap<>();
    int i = 0;
    int n = text.length();
    while (i < n) {
      if (Character.isWhitespace(text.charAt(i))) {
        i++;
        continue;
      }
      String label;
      if (text.charAt(i) == '\'') {
        StringBuilder sb = new StringBuilder();
        int j = i + 1;
        boolean closed = false;
        while (j < n) {
          char c = text.charAt(j);
          if (c == '\'' && j + 1 < n && text.charAt(j + 1) == '\'') {
            sb.append('\'');
            j += 2;
          } else if (c == '\'') {
            closed = true;
            j++;
            break;
          } else {
            sb.append(c);
            j++;
          }
        }
        if (!closed || j >= n || text.charAt(j) != '=') {
          i = skipItem(text, j);
          continue;
        }
        label = sb.toString();
        i = j + 1;
      } else {
        int j = i;
        while (j < n && text.charAt(j) != '=' && !Character.isWhitespace(text.charAt(j))) {
          j++;
        }
        if (j >= n || text.charAt(j) != '=') {
          i = skipItem(text, j);
          continue;
        }
        label = text.substring(i, j);
        i = j + 1;
      }
      int end = skipItem(text, i);
      Optional<Measurement> m = label.isEmpty() ? Optional.empty() : item(text.substring(i, end));
      if (m.isPresent()) {
        out.putIfAbsent(label, m.get());
      }
      i = end;
    }
    return out;
  }

  private static int skipItem(String text, int from) {
    int j = from;
    while (j < text.length() && !Character.isWhitespace(text.charAt(j))) {
      j++;
    }
    return j;
  }

  /** {@code value[UOM];[warn];[crit];[min];[max]}; min and max add nothing to a judgement. */
  private static Optional<Measurement> item(String spec) {
    String[] fields = spec.split(";", -1);
    Matcher v = VALUE.matcher(fields[0]);
    if (!v.matches()) {
      return Optional.empty();
    }
    Scale scale = Scale.of(v.group(2));
    double value = Double.parseDouble(v.group(1)) * scale.factor;
    return Optional.of(new Measurement(value, scale.unit,
        range(fields, 1, scale.factor), range(fields, 2, scale.factor)));
  }

  private static Optional<Limit> range(String[] fields, int index, double factor) {
    if (fields.length <= index || fields[index].isBlank()) {
      return Optional.empty();
    }
    try {
      NagiosRange r = NagiosRange.parse(fields[index]);
      return Optional.of(factor == 1 ? r : r.scaled(factor));
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
  }

  /** A perfdata unit of measure: which {@link Unit} it is and what turns it into the base unit. */
  private record Scale(Unit unit, double factor) {

    static Scale of(String uom) {
      switch (uom) {
        case "":
          return new Scale(Unit.NUMBER, 1);
        case "s":
          return new Scale(Unit.SECONDS, 1);
        case "ms":
          return new Scale(Unit.SECONDS, 1e-3);
        case "us":
          return new Scale(Unit.SECONDS, 1e-6);
        case "%":
          return new Scale(Unit.RATIO, 0.01);
        case "c":
          return new Scale(Unit.COUNT, 1);
        default:
          break;
      }
      // Plugins write kB, KB and Kb alike for bytes.
      return switch (uom.toUpperCase(Locale.ROOT)) {
        case "B" -> new Scale(Unit.BYTES, 1);
        case "KB" -> new Scale(Unit.BYTES, 1024.0);
        case "MB" -> new Scale(Unit.BYTES, 1024.0 * 1024);
        case "GB" -> new Scale(Unit.BYTES, 1024.0 * 1024 * 1024);
        case "TB" -> new Scale(Unit.BYTES, 1024.0 * 1024 * 1024 * 1024);
        // Outside the guidelines (rpm, °C, dBm): the number still means something to a threshold.
        default -> new Scale(Unit.NUMBER, 1);
      };
    }
  }
}
