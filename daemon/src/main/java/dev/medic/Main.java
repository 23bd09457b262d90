package dev.medic;

import dev.medic.cli.Cli;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;

/** Entry point: runs the command line and maps its outcome to the process exit code. */
public final class Main {

  private Main() {}

  public static void main(String[] args) {
    PrintWriter out = new PrintWriter(System.out, true, StandardCharsets.UTF_8);
    PrintWriter err = new PrintWriter(System.err, true, StandardCharsets.UTF_8);
    int code = Cli.execute(args, out, err);
    out.flush();
    err.flush();
    System.exit(code);
  }
}
