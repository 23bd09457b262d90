package dev.medic.probe;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The fields medic reads from {@code /proc/PID/stat} (see proc(5)). Times are in clock ticks of
 * {@link #USER_HZ}.
 *
 * <p>The trap: field 2, the command name, is in parentheses and may itself hold spaces and
 * parentheses ({@code "1234 (a) b (c) S 1 ..."}), so the fields after it are found from the
 * <em>last</em> {@code ')'}, never by splitting the whole line.
 */
record ProcStat(long pid, String comm, char state, long ppid, long utime, long stime, long starttime) {

  /**
   * Clock ticks per second in /proc. The kernel exports times in USER_HZ, which is part of the
   * user-space ABI and 100 on every architecture the JDK runs on Linux (x86, arm, arm64, ppc64,
   * s390x, riscv); Java cannot ask sysconf(_SC_CLK_TCK), and {@code getconf CLK_TCK} is a process
   * per run for a constant.
   */
  static final long USER_HZ = 100;

  /** A zombie has exited and waits for its parent to reap it; X is the moment of reaping. */
  boolean dead() {
    return state == 'Z' || state == 'X' || state == 'x';
  }

  /** Why a dead process is not running, for messages: {@code zombie} or {@code dead}. */
  String deadWord() {
    return state == 'Z' ? "zombie" : "dead";
  }

  /** CPU time spent by the process itself (not its children), in ticks. */
  long cpuTicks() {
    return utime + stime;
  }

  static ProcStat read(Path proc, long pid) throws IOException {
    Path file = proc.resolve(Long.toString(pid)).resolve("stat");
    return parse(pid, new String(Files.readAllBytes(file), StandardCharsets.ISO_8859_1));
  }

  static ProcStat parse(long pid, String line) throws IOException {
    int open = line.indexOf('(');
    int close = line.lastIndexOf(')');
    if (open < 0 || close < open || close + 2 > line.length()) {
      throw new IOException("/proc/" + pid + "/stat is not in the proc(5) format: " + line.strip());
    }
    String[] f = line.substring(close + 2).strip().split(" +");
    // f[0] is field 3 (state), so field n is f[n - 3].
    if (f.length < 20 || f[0].length() != 1) {
      throw new IOException("/proc/" + pid + "/stat has " + (f.length + 2) + " fields (expected at least 22)");
    }
    try {
      return new ProcStat(pid, line.substring(open + 1, close), f[0].charAt(0),
          Long.parseLong(f[1]), Long.parseLong(f[11]), Long.parseLong(f[12]), Long.parseLong(f[19]));
    } catch (NumberFormatException e) {
      throw new IOException("/proc/" + pid + "/stat is not in the proc(5) format: " + line.strip());
    }
  }
}
