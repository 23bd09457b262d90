package dev.medic.probe;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * Finds a process by pidfile or by its command line and reads what it uses from {@code /proc},
 * on a worker thread. A zombie has exited: it counts as not running.
 *
 * <p>With several processes matching, the oldest (earliest start, then lowest pid) is the main
 * one — the master of a pre-forking server, the first of duplicates — and the message says how
 * many there are. {@code cpu} is the main process's own CPU time since the previous run, as a
 * ratio of one core (a busy multi-threaded process can exceed 100 %); with no previous sample of
 * that very process, two samples are taken a short moment apart, waiting on a Vert.x timer.
 *
 * <p>Between runs, while the main process is alive, a {@link ProcessExitWatch} notices its exit
 * within a second and asks for a re-probe, so a crash is confirmed in seconds, not at the next
 * cycle. Runs keep the watch on the current main process; {@link #close()} ends it.
 */
final class ProcessProbe implements Probe {

  private static final Duration SAMPLE_GAP = Duration.ofMillis(250);
  /** A pidfile holds a number and a newline; more than this is not a pidfile. */
  private static final int PIDFILE_LIMIT = 128;
  private static final int CMDLINE_LIMIT = 64 * 1024;

  /**
   * One process check, validated.
   *
   * @param user a name or a numeric uid, with {@code match} only
   */
  record Config(Optional<String> pidfile, Optional<Pattern> match, Optional<String> user, String proc) {

    boolean valid() {
      return pidfile.isPresent() != match.isPresent();
    }
  }

  private final Vertx vertx;
  private final Config config;
  private final Path proc;
  private final Duration sampleGap;
  private final ProcessExitWatch watch;
  /** The CPU sample the next run measures from; written only when a run completes. */
  private volatile CpuSample previous;

  ProcessProbe(ProbeContext context, Config config) {
    this.vertx = context.vertx();
    this.config = config;
    this.proc = Path.of(config.proc());
    // A gap as long as a short timeout would make every first run time out.
    Duration half = context.timeout().dividedBy(2);
    this.sampleGap = half.compareTo(SAMPLE_GAP) < 0 ? half : SAMPLE_GAP;
    this.watch = new ProcessExitWatch(vertx, proc, context.reprobe());
  }

  /** CPU ticks of one process at one moment; the pid and start time say which process. */
  private record CpuSample(long pid, long starttime, long ticks, long nanos) {

    boolean sameProcess(CpuSample other) {
      return other != null && pid == other.pid && starttime == other.starttime;
    }
  }

  /** The main process and what surrounds it, as one look at /proc found them. */
  private record Found(
      ProcStat main, String subject, int processes, long rss, long memTotal, int children,
      OptionalLong openFiles, double uptime, CpuSample sample) {}

  /** Either the process found, or the result that says why there is none. */
  private record Look(Found found, ProbeResult verdict) {}

  @Override
  public Future<ProbeResult> run() {
    if (!config.valid()) {
      return Future.succeededFuture(ProbeResult.unknown("pidfile or match is not valid (run medic check for the cause)"));
    }
    Context context = vertx.getOrCreateContext();
    return context.<Look>executeBlocking(this::look, false)
        .compose(look -> {
          if (look.verdict() != null) {
            watch.stop();
            return Future.succeededFuture(look.verdict());
          }
          return withCpu(context, look.found());
        });
  }

  @Override
  public Future<Void> close() {
    watch.close();
    return Future.succeededFuture();
  }

  /** The pid the exit watch follows now, or -1: for tests of the watch's life cycle. */
  long watching() {
    return watch.watching();
  }

  // ---- finding the process (worker thread) ----------------------------------------------------

  private Look look() {
    // Else every pid would read as "not running" when proc points at the wrong place.
    if (!Files.isDirectory(proc.resolve("self")) && !Files.isDirectory(proc.resolve("1"))) {
      return new Look(null, ProbeResult.unknown(proc + " is not a proc file system (no " + proc + "/self)"));
    }
    if (config.pidfile().isPresent()) {
      return byPidfile(config.pidfile().get());
    }
    List<ProcStat> all;
    try {
      all = scan();
    } catch (IOException e) {
      return cannotList(e);
    }
    return byMatch(all);
  }

  private Look cannotList(IOException e) {
    return new Look(null, ProbeResult.unknown("cannot list " + proc + ": " + reason(e)));
  }

  private Look byPidfile(String pidfile) {
    String text;
    try (InputStream in = Files.newInputStream(Path.of(pidfile))) {
      text = new String(in.readNBytes(PIDFILE_LIMIT), StandardCharsets.US_ASCII);
    } catch (NoSuchFileException e) {
      return critical("pidfile " + pidfile + " does not exist (the process is not running, or writes no pidfile)");
    } catch (IOException e) {
      return new Look(null, ProbeResult.unknown("cannot read pidfile " + pidfile + ": " + reason(e)));
    }
    String first = text.strip().lines().findFirst().orElse("").strip();
    long pid;
    try {
      pid = Long.parseLong(first);
    } catch (NumberFormatException e) {
      pid = 0;
    }
    if (pid <= 0) {
      return critical("pidfile " + pidfile + " holds no pid (" + NetText.quote(first) + ")");
    }
    String from = "pid " + pid + " from " + pidfile;
    ProcStat main;
    try {
      main = ProcStat.read(proc, pid);
    } catch (IOException e) {
      if (Files.exists(proc.resolve(Long.toString(pid)))) {
        return new Look(null, ProbeResult.unknown("cannot read " + proc + "/" + pid + "/stat: " + reason(e)));
      }
      return critical(from + " is not running");
    }
    if (main.dead()) {
      return critical(from + " is not running (" + main.deadWord() + ")");
    }
    List<ProcStat> all;
    try {
      all = scan(); // for its children
    } catch (IOException e) {
      return cannotList(e);
    }
    return found(main, "pid " + pid + " (" + main.comm() + ") from " + pidfile, 1, all);
  }

  private Look byMatch(List<ProcStat> all) {
    Pattern pattern = config.match().orElseThrow();
    OptionalLong uid = OptionalLong.empty();
    if (config.user().isPresent()) {
      uid = uidOf(config.user().get());
      if (uid.isEmpty()) {
        return new Look(null, ProbeResult.unknown("no user " + config.user().get()
            + " in /etc/passwd (write the numeric uid for users from a directory such as LDAP)"));
      }
    }
    long self = proc.equals(Path.of(ProcessProbeType.DEFAULT_PROC)) ? ProcessHandle.current().pid() : -1;
    List<ProcStat> matching = new ArrayList<>();
    for (ProcStat s : all) {
      if (s.dead() || s.pid() == self) {
        continue; // a zombie has no command line left, and medic is not what it watches
      }
      Optional<String> cmdline = commandLine(s.pid());
      if (cmdline.isPresent() && pattern.matcher(cmdline.get()).find()
          && (uid.isEmpty() || effectiveUid(s.pid()) == uid.getAsLong())) {
        matching.add(s);
      }
    }
    String what = NetText.quote(pattern.pattern()) + config.user().map(u -> " (user " + u + ")").orElse("");
    if (matching.isEmpty()) {
      String who = config.user().map(u -> "no process of user " + u).orElse("no process");
      return new Look(null, ProbeResult.of(Status.CRITICAL, who + " matches " + NetText.quote(pattern.pattern()),
          Map.of("processes", Measurement.count(0))));
    }
    ProcStat main = matching.stream()
        .min(Comparator.comparingLong(ProcStat::starttime).thenComparingLong(ProcStat::pid))
        .orElseThrow();
    String subject = matching.size() == 1
        ? "pid " + main.pid() + " (" + main.comm() + ") matching " + what
        : matching.size() + " processes match " + what + ", oldest pid " + main.pid() + " (" + main.comm() + ")";
    return found(main, subject, matching.size(), all);
  }

  private Look found(ProcStat seen, String subject, int processes, List<ProcStat> all) {
    // Read again for CPU ticks that belong to this moment: the scan may have taken milliseconds,
    // which would skew a 250 ms sample.
    ProcStat main;
    long before = System.nanoTime();
    try {
      main = ProcStat.read(proc, seen.pid());
    } catch (IOException e) {
      main = null;
    }
    long nanos = before + (System.nanoTime() - before) / 2;
    if (main == null || main.dead() || main.starttime() != seen.starttime()) {
      return exitedWhileProbed(seen);
    }
    String pid = Long.toString(main.pid());
    Map<String, Long> status = statusFields(proc.resolve(pid).resolve("status"));
    long rss = status.getOrDefault("VmRSS", 0L);
    long memTotal = statusFields(proc.resolve("meminfo")).getOrDefault("MemTotal", 0L);
    long mainPid = main.pid();
    int children = (int) all.stream().filter(s -> s.ppid() == mainPid).count();
    double uptime = Math.max(0, bootSeconds() - (double) main.starttime() / ProcStat.USER_HZ);
    CpuSample sample = new CpuSample(main.pid(), main.starttime(), main.cpuTicks(), nanos);
    return new Look(new Found(main, subject, processes, rss, memTotal, children, openFiles(main.pid()), uptime,
        sample), null);
  }

  /** Every process in {@code proc}; those that exit while it is read are left out. */
  private List<ProcStat> scan() throws IOException {
    List<ProcStat> out = new ArrayList<>();
    try (DirectoryStream<Path> dir = Files.newDirectoryStream(proc)) {
      for (Path p : dir) {
        String name = p.getFileName().toString();
        if (name.isEmpty() || !name.chars().allMatch(Character::isDigit)) {
          continue;
        }
        try {
          out.add(ProcStat.read(proc, Long.parseLong(name)));
        } catch (IOException | NumberFormatException e) {
          // gone since the listing, or not a process directory
        }
      }
    }
    return out;
  }

  /** The arguments joined by spaces; empty for kernel threads and processes that are gone. */
  private Optional<String> commandLine(long pid) {
    byte[] raw;
    try (InputStream in = Files.newInputStream(proc.resolve(Long.toString(pid)).resolve("cmdline"))) {
      raw = in.readNBytes(CMDLINE_LIMIT);
    } catch (IOException e) {
      return Optional.empty();
    }
    int end = raw.length;
    while (end > 0 && raw[end - 1] == 0) {
      end--;
    }
    if (end == 0) {
      return Optional.empty();
    }
    return Optional.of(new String(raw, 0, end, StandardCharsets.UTF_8).replace('\0', ' '));
  }

  /** The effective uid, as ps and pgrep -u show it; -1 when unreadable. */
  private long effectiveUid(long pid) {
    try {
      for (String line : Files.readAllLines(proc.resolve(Long.toString(pid)).resolve("status"),
          StandardCharsets.ISO_8859_1)) {
        if (line.startsWith("Uid:")) {
          String[] f = line.substring(4).strip().split("\\s+");
          return f.length > 1 ? Long.parseLong(f[1]) : -1;
        }
      }
    } catch (IOException | NumberFormatException e) {
      // gone, or not a Linux status file
    }
    return -1;
  }

  /**
   * A numeric uid as is; a name through /etc/passwd. Users from LDAP or another NSS source need
   * their uid written, since Java has no getpwnam and a process per run for {@code id -u} is too
   * much for a name that never changes.
   */
  private static OptionalLong uidOf(String user) {
    if (user.chars().allMatch(Character::isDigit)) {
      return OptionalLong.of(Long.parseLong(user));
    }
    try {
      for (String line : Files.readAllLines(Path.of("/etc/passwd"), StandardCharsets.UTF_8)) {
        String[] f = line.split(":", -1);
        if (f.length > 2 && f[0].equals(user)) {
          return OptionalLong.of(Long.parseLong(f[2]));
        }
      }
    } catch (IOException | NumberFormatException e) {
      // reported as an unknown user
    }
    return OptionalLong.empty();
  }

  /** {@code Name: value [kB]} fields as numbers, kB as bytes; empty when unreadable. */
  private static Map<String, Long> statusFields(Path file) {
    Map<String, Long> fields = new LinkedHashMap<>();
    try {
      for (String line : Files.readAllLines(file, StandardCharsets.ISO_8859_1)) {
        int colon = line.indexOf(':');
        if (colon <= 0) {
          continue;
        }
        String[] parts = line.substring(colon + 1).strip().split("\\s+");
        try {
          long v = Long.parseLong(parts[0]);
          boolean kib = parts.length > 1 && parts[1].equalsIgnoreCase("kB");
          fields.put(line.substring(0, colon), kib ? v * 1024 : v);
        } catch (NumberFormatException e) {
          // a field that is not one number
        }
      }
    } catch (IOException e) {
      // reported as missing values
    }
    return fields;
  }

  /** Seconds since boot, the clock a process's start time is counted on. */
  private double bootSeconds() {
    try {
      String uptime = Files.readString(proc.resolve("uptime"), StandardCharsets.US_ASCII).strip();
      return Double.parseDouble(uptime.split("\\s+")[0]);
    } catch (IOException | NumberFormatException e) {
      return 0;
    }
  }

  /** Entries of /proc/PID/fd; empty when medic may not read them (another user's process). */
  private OptionalLong openFiles(long pid) {
    long n = 0;
    try (DirectoryStream<Path> fds = Files.newDirectoryStream(proc.resolve(Long.toString(pid)).resolve("fd"))) {
      for (Path ignored : fds) {
        n++;
      }
      return OptionalLong.of(n);
    } catch (IOException | SecurityException e) {
      return OptionalLong.empty();
    }
  }

  private static String reason(IOException e) {
    if (e instanceof AccessDeniedException) {
      return "permission denied";
    }
    return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
  }

  private static Look exitedWhileProbed(ProcStat main) {
    return critical("pid " + main.pid() + " (" + main.comm() + ") exited while it was probed");
  }

  private static Look critical(String message) {
    return new Look(null, ProbeResult.critical(message));
  }

  // ---- cpu and the result (event loop) --------------------------------------------------------

  private Future<ProbeResult> withCpu(Context context, Found found) {
    CpuSample before = previous;
    CpuSample now = found.sample();
    if (now.sameProcess(before) && now.nanos() > before.nanos() && now.ticks() >= before.ticks()) {
      return Future.succeededFuture(result(found, before, now));
    }
    long pid = found.main().pid();
    return vertx.timer(Math.max(1, sampleGap.toMillis()), TimeUnit.MILLISECONDS)
        .compose(v -> context.executeBlocking(() -> {
          long reading = System.nanoTime();
          try {
            ProcStat s = ProcStat.read(proc, pid);
            long at = reading + (System.nanoTime() - reading) / 2;
            return s.dead() || s.starttime() != now.starttime()
                ? null
                : new CpuSample(pid, s.starttime(), s.cpuTicks(), at);
          } catch (IOException e) {
            return null;
          }
        }, false))
        .map(second -> {
          if (second == null) {
            watch.stop();
            return exitedWhileProbed(found.main()).verdict();
          }
          return result(found, now, second);
        });
  }

  private ProbeResult result(Found f, CpuSample from, CpuSample to) {
    previous = to;
    watch.follow(f.main().pid(), f.main().starttime());
    double seconds = (to.nanos() - from.nanos()) / 1e9;
    double cpu = seconds <= 0 ? 0 : (double) (to.ticks() - from.ticks()) / ProcStat.USER_HZ / seconds;
    Map<String, Measurement> m = new LinkedHashMap<>();
    m.put("pid", new Measurement(f.main().pid(), Unit.NUMBER));
    m.put("uptime", Measurement.seconds(f.uptime()));
    m.put("cpu", Measurement.ratio(cpu));
    m.put("memory", Measurement.bytes(f.rss()));
    StringBuilder message = new StringBuilder(f.subject())
        .append(" up ").append(age(f.uptime()))
        .append(", cpu ").append(Unit.RATIO.format(cpu))
        .append(", memory ").append(Unit.BYTES.format(f.rss()));
    if (f.memTotal() > 0) {
      double used = (double) f.rss() / f.memTotal();
      m.put("memory-used", Measurement.ratio(used));
      message.append(" (").append(Unit.RATIO.format(used)).append(" of ").append(Unit.BYTES.format(f.memTotal()))
          .append(')');
    }
    m.put("children", Measurement.count(f.children()));
    message.append(", ").append(f.children()).append(f.children() == 1 ? " child" : " children");
    if (f.openFiles().isPresent()) {
      m.put("open-files", Measurement.count(f.openFiles().getAsLong()));
      message.append(", ").append(f.openFiles().getAsLong()).append(" open files");
    }
    m.put("processes", Measurement.count(f.processes()));
    return ProbeResult.of(Status.OK, message.toString(), m);
  }

  /** {@code 42s}, {@code 5m 3s}, {@code 2h 5m}, {@code 3d 4h}: an age an operator reads at a glance. */
  static String age(double seconds) {
    long s = (long) Math.max(0, seconds);
    if (s < 60) {
      return s + "s";
    }
    if (s < 3600) {
      return s / 60 + "m " + s % 60 + "s";
    }
    if (s < 86400) {
      return s / 3600 + "h " + s % 3600 / 60 + "m";
    }
    return s / 86400 + "d " + s % 86400 / 3600 + "h";
  }

  @Override
  public String toString() {
    return "process probe: " + config.pidfile().map(p -> "pidfile " + p)
        .orElseGet(() -> "match " + config.match().map(Pattern::pattern).orElse("?"));
  }
}
