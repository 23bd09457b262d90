package dev.medic.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** CPU time and memory of a process from /proc, the same reading for every tool. */
public final class ProcStats {

  /** Clock ticks per second of /proc/PID/stat; 100 on every Linux this runs on (getconf CLK_TCK). */
  private static final double TICKS_PER_SECOND = 100;

  private ProcStats() {}

  /** User plus system CPU time of the process (all its threads) so far, in milliseconds. */
  public static double cpuMillis(long pid) throws IOException {
    String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
    // The command name (field 2) may hold spaces: count fields after its closing parenthesis.
    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    long utime = Long.parseLong(f[11]); // field 14
    long stime = Long.parseLong(f[12]); // field 15
    return (utime + stime) * 1000 / TICKS_PER_SECOND;
  }

  /** Peak resident set (VmHWM) so far, in MiB. */
  public static double peakRssMib(long pid) throws IOException {
    return statusKib(pid, "VmHWM:") / 1024.0;
  }

  private static long statusKib(long pid, String key) throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
      if (line.startsWith(key)) {
        return Long.parseLong(line.substring(key.length()).trim().split("\\s+")[0]);
      }
    }
    throw new IOException(key + " missing in /proc/" + pid + "/status");
  }

  /** Busy and total jiffies of the whole machine (/proc/stat), to show how loaded it was. */
  public static long[] machineJiffies() throws IOException {
    String[] f = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
    long total = 0;
    long idle = 0;
    for (int i = 1; i < f.length && i <= 8; i++) {
      long v = Long.parseLong(f[i]);
      total += v;
      if (i == 4 || i == 5) { // idle, iowait
        idle += v;
      }
    }
    return new long[] {total - idle, total};
  }
}
