package dev.medic.cli;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The {@code /status} document as terminal tables: what the operator page shows, for
 * {@code medic status}. A pure function of the document and the time, so that tests can pin it.
 */
final class StatusReport {

  static final String RESET = "\u001b[0m";
  static final String BOLD = "\u001b[1m";
  static final String DIM = "\u001b[2m";
  static final String GREEN = "\u001b[32m";
  static final String YELLOW = "\u001b[33m";
  static final String RED = "\u001b[31m";
  static final String GREY = "\u001b[90m";
  /** Attempts shown; {@code --json} has all the daemon keeps. */
  static final int ATTEMPTS = 10;

  private StatusReport() {}

  /**
   * Colour for {@code --color WHEN}: {@code always}, {@code never}, or {@code auto} — a terminal
   * ({@code console}) whose {@code TERM} is set and not {@code dumb}, and no {@code NO_COLOR}
   * (no-color.org: any non-empty value turns colour off).
   */
  static boolean colour(String when, boolean console, Map<String, String> env) {
    return switch (when.toLowerCase(Locale.ROOT)) {
      case "always" -> true;
      case "never" -> false;
      default -> {
        String term = env.get("TERM");
        String noColour = env.get("NO_COLOR");
        yield console && term != null && !term.isEmpty() && !term.equals("dumb")
            && (noColour == null || noColour.isEmpty());
      }
    };
  }

  static void print(PrintWriter out, JsonObject status, Instant now, boolean colour) {
    JsonArray checks = status.getJsonArray("checks", new JsonArray());
    Map<String, Integer> counts = new LinkedHashMap<>();
    for (String s : List.of("ok", "warning", "critical", "unknown")) {
      counts.put(s, 0);
    }
    for (int i = 0; i < checks.size(); i++) {
      counts.merge(checks.getJsonObject(i).getString("status", "unknown"), 1, Integer::sum);
    }
    List<String> parts = new ArrayList<>();
    counts.forEach((s, n) -> {
      if (n > 0) {
        parts.add(n + " " + s);
      }
    });
    String overall = status.getString("status", "unknown");
    out.printf("medic %s: %s — %s, %d check%s%s%n", status.getString("instance", "?"),
        paint(colour, BOLD + colourOf(overall), overall.toUpperCase(Locale.ROOT)),
        status.getBoolean("ready", false) ? "ready" : "waiting for first results", checks.size(),
        checks.size() == 1 ? "" : "s", parts.isEmpty() ? "" : ": " + String.join(", ", parts));
    out.println();

    List<String[]> rows = new ArrayList<>();
    rows.add(new String[] {"CHECK", "TYPE", "STATUS", "SINCE", "LATENCY", "RECOVERY", "MESSAGE"});
    for (int i = 0; i < checks.size(); i++) {
      JsonObject c = checks.getJsonObject(i);
      Object latency = c.getValue("latencyMs");
      rows.add(new String[] {c.getString("name", ""), c.getString("type", ""), c.getString("status", "unknown"),
          ago(c.getString("since"), now), latency == null ? "" : latency + " ms", recovery(c),
          String.valueOf(c.getString("message", ""))});
      List<String> notes = new ArrayList<>();
      JsonObject m = c.getJsonObject("measurements", new JsonObject());
      if (!m.isEmpty()) {
        StringBuilder sb = new StringBuilder();
        for (String key : m.fieldNames()) {
          sb.append(sb.length() == 0 ? "" : "  ").append(key).append('=')
              .append(m.getJsonObject(key).getString("text", String.valueOf(m.getJsonObject(key).getValue("value"))));
        }
        notes.add(sb.toString());
      }
      JsonObject window = c.getJsonObject("maintenance");
      if (window != null) {
        notes.add("in maintenance until " + time(window.getString("until")) + reason(window));
      }
      if (c.getBoolean("flapping", false)) {
        notes.add("flapping: no actions until it settles");
      }
      JsonArray held = c.getJsonArray("suppressedBy", new JsonArray());
      if (!held.isEmpty()) {
        notes.add("actions and notifications held: " + String.join(", ", held.getList()) + " critical");
      }
      JsonObject r = c.getJsonObject("recovery");
      if (r != null && r.getString("heldBecause") != null) {
        notes.add("recovery held: " + r.getString("heldBecause"));
      }
      for (String note : notes) {
        rows.add(new String[] {"", "", "", "", "", "", note});
      }
    }
    Table.print(out, rows, (row, col, text) -> {
      if (!colour) {
        return text;
      }
      if (row == 0) {
        return BOLD + text + RESET;
      }
      String[] cells = rows.get(row);
      boolean note = cells[0].isEmpty();
      if (note) {
        return DIM + text + RESET;
      }
      if (col == 2) {
        return colourOf(text) + text + RESET;
      }
      if (col == 5 && text.startsWith("exhausted")) {
        return RED + text + RESET;
      }
      if (col == 5 && (text.startsWith("held") || text.startsWith("waiting") || text.startsWith("running"))) {
        return YELLOW + text + RESET;
      }
      return text;
    });

    JsonArray windows = status.getJsonArray("maintenance", new JsonArray());
    if (!windows.isEmpty()) {
      out.println();
      out.println(paint(colour, BOLD, "MAINTENANCE WINDOWS"));
      List<String[]> w = new ArrayList<>();
      w.add(new String[] {"ID", "CHECKS", "UNTIL", "REASON"});
      for (int i = 0; i < windows.size(); i++) {
        JsonObject win = windows.getJsonObject(i);
        JsonArray names = win.getJsonArray("checks", new JsonArray());
        w.add(new String[] {win.getString("id", ""), names.isEmpty() ? "all checks" : String.join(", ", names.getList()),
            time(win.getString("until")) + " (in " + until(win.getString("until"), now) + ")",
            win.getString("reason", "")});
      }
      Table.print(out, w, header(colour));
    }

    JsonArray attempts = status.getJsonArray("actions", new JsonArray());
    if (!attempts.isEmpty()) {
      out.println();
      out.println(paint(colour, BOLD, "RECENT RECOVERY ATTEMPTS")
          + (attempts.size() > ATTEMPTS ? " (latest " + ATTEMPTS + " of " + attempts.size() + "; --json for all)" : ""));
      List<String[]> a = new ArrayList<>();
      a.add(new String[] {"WHEN", "CHECK", "ACTION", "ATTEMPT", "OUTCOME", "MESSAGE"});
      for (int i = 0; i < Math.min(ATTEMPTS, attempts.size()); i++) {
        JsonObject at = attempts.getJsonObject(i);
        String check = at.getString("check", "");
        a.add(new String[] {ago(at.getString("ts"), now), check.isEmpty() ? "-" : check, at.getString("action", ""),
            at.getValue("attempt", "") + (at.getBoolean("manual", false) ? " (manual)" : ""),
            at.getString("outcome", ""), oneLine(at.getString("message", ""))});
      }
      Table.print(out, a, (row, col, text) -> !colour ? text : row == 0 ? BOLD + text + RESET
          : col == 4 ? (text.equals("success") ? GREEN : text.equals("failure") ? RED : GREY) + text + RESET : text);
    }
    out.flush();
  }

  /** The RECOVERY cell: the engine's state and what each action has left. */
  static String recovery(JsonObject check) {
    JsonObject r = check.getJsonObject("recovery");
    if (r == null) {
      return "-";
    }
    List<String> budgets = new ArrayList<>();
    JsonArray actions = r.getJsonArray("actions", new JsonArray());
    for (int i = 0; i < actions.size(); i++) {
      JsonObject a = actions.getJsonObject(i);
      budgets.add(a.getString("action") + " " + a.getValue("remaining") + "/" + a.getValue("maxAttempts") + " left"
          + (a.getBoolean("dryRun", false) ? " dry-run" : ""));
    }
    return r.getString("state", "?") + (budgets.isEmpty() ? "" : " (" + String.join(", ", budgets) + ")");
  }

  private static Table.Style header(boolean colour) {
    return (row, col, text) -> colour && row == 0 ? BOLD + text + RESET : text;
  }

  private static String reason(JsonObject window) {
    String reason = window.getString("reason", "");
    return reason.isEmpty() ? "" : " (" + reason + ")";
  }

  private static String oneLine(String s) {
    return s.replaceAll("\\s+", " ").trim();
  }

  static String colourOf(String status) {
    return switch (status) {
      case "ok" -> GREEN;
      case "warning" -> YELLOW;
      case "critical" -> RED;
      default -> GREY;
    };
  }

  private static String paint(boolean colour, String code, String text) {
    return colour ? code + text + RESET : text;
  }

  /** {@code 4m 12s ago}; the raw text when it is not a time. */
  static String ago(String iso, Instant now) {
    if (iso == null) {
      return "";
    }
    try {
      return human(Duration.between(Instant.parse(iso), now)) + " ago";
    } catch (DateTimeParseException e) {
      return iso;
    }
  }

  /** An RFC 3339 time to the second, in UTC as the API gives it. */
  static String time(String iso) {
    try {
      return Instant.parse(iso).truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString();
    } catch (DateTimeParseException | NullPointerException e) {
      return String.valueOf(iso);
    }
  }

  private static String until(String iso, Instant now) {
    try {
      return human(Duration.between(now, Instant.parse(iso)));
    } catch (DateTimeParseException | NullPointerException e) {
      return "?";
    }
  }

  /** The two largest units: {@code 2d 3h}, {@code 4m 12s}, {@code 0s}. */
  static String human(Duration d) {
    long s = Math.max(0, d.toSeconds());
    long[] sizes = {86_400, 3_600, 60, 1};
    String[] units = {"d", "h", "m", "s"};
    StringBuilder sb = new StringBuilder();
    int shown = 0;
    for (int i = 0; i < sizes.length && shown < 2; i++) {
      if (s >= sizes[i] || (i == sizes.length - 1 && shown == 0)) {
        sb.append(sb.length() == 0 ? "" : " ").append(s / sizes[i]).append(units[i]);
        s %= sizes[i];
        shown++;
      } else if (shown > 0) {
        break;
      }
    }
    return sb.toString();
  }
}
