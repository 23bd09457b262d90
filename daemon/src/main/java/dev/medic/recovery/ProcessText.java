package dev.medic.recovery;

import dev.medic.config.Secrets;
import dev.medic.process.BoundedProcess.Output;
import dev.medic.process.BoundedProcess.Result;
import dev.medic.probe.Unit;
import java.time.Duration;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Wording shared by the actions that run programs ({@code command}, {@code systemd}), so an exit
 * status, a timeout or a program that cannot start reads the same whichever action met it.
 */
final class ProcessText {

  /** Output kept in an outcome: enough to see what went wrong, small enough for the journal. */
  static final int OUTPUT_LIMIT = 16 * 1024;
  /** A first line quoted in a message is cut here: messages go to /status, logs and notifications. */
  private static final int LINE_LIMIT = 512;
  private static final Pattern PLAIN_WORD = Pattern.compile("[A-Za-z0-9_@%+=:,./-]+");

  private ProcessText() {}

  /**
   * {@code exit status 3}, or {@code exit status 137 (killed by signal 9?)}. What the program
   * printed is never part of it: it goes to the outcome's {@code output}, since a first line such
   * as {@code curl: (7) ...} would read as the headline of an attempt that succeeded.
   */
  static String exit(Result result) {
    return "exit status " + result.exitStatus()
        + (result.signal().isPresent() ? " (killed by signal " + result.signal().getAsInt() + "?)" : "");
  }

  /** {@code timed out after 30s (process tree killed)}. */
  static String timedOut(Duration timeout) {
    return "timed out after " + Unit.SECONDS.format(timeout.toMillis() / 1000.0) + " (process tree killed)";
  }

  /** {@code ; output exceeded 16 KiB, the rest was discarded} when it did, else nothing. */
  static String flood(Output output) {
    return output.truncated() ? "; output exceeded " + OUTPUT_LIMIT / 1024 + " KiB, the rest was discarded" : "";
  }

  /** The output as kept for the outcome, with a note when it was cut. */
  static String output(Output output) {
    return output.truncated()
        ? output.text() + "\n[output truncated after " + OUTPUT_LIMIT / 1024 + " KiB]"
        : output.text();
  }

  static String firstLine(Output output) {
    String line = output.firstLine();
    return line.length() <= LINE_LIMIT ? line : line.substring(0, LINE_LIMIT - 1) + "…";
  }

  /**
   * The argument vector as an operator would type it, for plans and journal records: words with
   * spaces or shell characters in single quotes, credentials in URLs masked. For reading only:
   * nothing ever runs it through a shell.
   */
  static String argv(List<String> argv) {
    return argv.stream().map(Secrets::maskUri).map(ProcessText::quote).collect(Collectors.joining(" "));
  }

  private static String quote(String word) {
    return PLAIN_WORD.matcher(word).matches() ? word : "'" + word.replace("'", "'\\''") + "'";
  }
}
