package dev.medic.cli;

import java.io.PrintWriter;
import java.util.List;

/** Prints rows as aligned columns; the last column is left unpadded. */
final class Table {

  /** Decorates a cell after its padding is worked out (ANSI colour takes no columns on screen). */
  interface Style {
    String apply(int row, int col, String text);
  }

  static final Style PLAIN = (row, col, text) -> text;

  private Table() {}

  static void print(PrintWriter out, List<String[]> rows) {
    print(out, rows, PLAIN);
  }

  static void print(PrintWriter out, List<String[]> rows, Style style) {
    int cols = rows.get(0).length;
    int[] width = new int[cols];
    for (String[] row : rows) {
      for (int i = 0; i < cols - 1; i++) {
        width[i] = Math.max(width[i], row[i].length());
      }
    }
    for (int r = 0; r < rows.size(); r++) {
      String[] row = rows.get(r);
      StringBuilder sb = new StringBuilder();
      for (int i = 0; i < cols; i++) {
        sb.append(row[i].isEmpty() ? "" : style.apply(r, i, row[i]));
        if (i < cols - 1) {
          sb.append(" ".repeat(width[i] - row[i].length() + 2));
        }
      }
      out.println(sb.toString().stripTrailing());
    }
    out.flush();
  }
}
