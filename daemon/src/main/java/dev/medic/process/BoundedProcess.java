package dev.medic.process;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * An external program run once, without a shell, to its exit or to a deadline, whichever comes
 * first; the result carries its exit status and the head of its output.
 *
 * <p>No thread waits for the program: the exit arrives through {@link Process#onExit()}, and the
 * deadline and the grace periods are Vert.x timers. Worker threads are used only for the short
 * steps: looking up and starting the program, signalling processes, reading the head of its output.
 * So a hundred slow programs hold no worker pool hostage.
 *
 * <p>Output is bounded where it is written, not where it is read. Stdout (with stderr, when
 * merged) goes through a kernel pipe into a small sink process, {@code dd bs=1 count=LIMIT+1
 * of=file; exec cat > /dev/null}: the temporary file never holds more than one byte past what is
 * read (that byte is how {@link Output#truncated} is known), the rest is discarded by {@code cat}
 * outside medic's heap, and the program is not killed for talking too much (a recovery script
 * that prints a long log still finishes its work; it waits at most while dd copies the kept bytes).
 * This was chosen over pipes drained by medic's own threads: those would hold a thread per running
 * program (or poll), and the JDK copies whatever is left in a pipe onto its heap when the program
 * exits. Stderr kept apart (the command probe) stays a pipe read only after the exit: the kernel's
 * pipe buffer (64 KiB on Linux) bounds it, and a program that writes more to stderr blocks until
 * its deadline. Without {@code sh}, {@code dd}, {@code cat} and {@code setsid} on medic's PATH
 * the output goes to temporary files unbounded, as before.
 *
 * <p>The program runs in a new session and process group of its own (through {@code setsid}), so
 * its pid names the group and the session. Once it exits, every process still in its group or
 * session is sent SIGTERM, and SIGKILL {@link #GRACE} later if it is still there: a plugin's
 * children never outlive the run. On the deadline, the whole tree is killed at once; see
 * {@link #killTree}. {@link #close} ends every run still going. The result is given only after
 * every signal was sent. A descendant that makes itself a new session escapes the group and the
 * session; it is caught only while its parent is alive and in the descendants snapshot taken on
 * a timeout, as it would escape Nagios. Such a process keeps its stdout, the pipe to the sink: the
 * result does not wait for it past {@link #GRACE}, and the sink ({@code cat} by then) is left
 * running until that process closes its stdout, so it is not killed by SIGPIPE when it writes.
 *
 * <p>Instances start nothing until {@link #run}; one may be run many times, also at once.
 */
public final class BoundedProcess {

  /** Between SIGTERM and SIGKILL to what a program left behind, and the longest wait for its sink. */
  public static final Duration GRACE = Duration.ofMillis(500);

  private static final File DEV_NULL = new File("/dev/null");
  /**
   * Keeps the first $1 bytes in $2 and discards the rest; a fixed text, nothing configured goes in.
   * dd with one-byte blocks, not head: head buffers what it writes, and the file is read while a
   * process that escaped the group may still hold the pipe and the sink still runs; dd writes
   * each byte as it reads it (at most LIMIT + 1 small system calls, then cat discards in large
   * reads), so what was written before the read is in the file.
   */
  private static final String SINK_SCRIPT = "dd bs=1 count=\"$1\" of=\"$2\" 2>/dev/null; exec cat > /dev/null";

  private final List<String> command;
  private final Map<String, String> environment;
  private final Optional<Path> workdir;
  private final Capture capture;
  private final Set<Running> runs = ConcurrentHashMap.newKeySet();

  /**
   * @param command the program and its arguments, passed to exec as they are: nothing is expanded.
   *     An empty one (from a configuration with problems) is refused when run.
   * @param environment the program's whole environment (nothing else is inherited); its
   *     {@code PATH}, or the usual default without one, is where a program name without a slash
   *     is looked up
   * @param workdir where the program runs, and where a relative program path is taken from;
   *     empty for medic's own working directory
   */
  public BoundedProcess(List<String> command, Map<String, String> environment, Optional<Path> workdir,
      Capture capture) {
    this.command = List.copyOf(command);
    this.environment = Map.copyOf(environment);
    this.workdir = workdir;
    this.capture = capture;
  }

  /**
   * How much output is kept.
   *
   * @param stdoutLimit bytes of stdout kept; one more is written to disk to tell that there was
   *     more, and the rest is discarded as it comes
   * @param stderrLimit bytes of stderr kept, when stderr is kept apart
   * @param merged stderr goes into the same file as stdout, interleaved as written, so the
   *     combined text reads as a terminal would show it; {@code stderrLimit} is then unused
   */
  public record Capture(int stdoutLimit, int stderrLimit, boolean merged) {

    public static Capture separate(int stdoutLimit, int stderrLimit) {
      return new Capture(stdoutLimit, stderrLimit, false);
    }

    public static Capture merged(int limit) {
      return new Capture(limit, 0, true);
    }
  }

  /**
   * The head of one output stream. When cut, the last partial line is dropped, so a half-written
   * line (a perfdata item, a message) is not read as a whole one.
   */
  public record Output(String text, boolean truncated) {

    public static final Output EMPTY = new Output("", false);

    /** The first line that has any text, control characters removed; empty when there is none. */
    public String firstLine() {
      return text.lines().map(l -> l.replaceAll("\\p{Cntrl}", " ").strip())
          .filter(l -> !l.isEmpty()).findFirst().orElse("");
    }
  }

  /**
   * How a run ended: refused (the program could not be started: {@link #refusal} says why), timed
   * out (the tree was killed), or exited with {@link #exitStatus}.
   *
   * @param stderr {@link Output#EMPTY} when stderr was merged into stdout
   */
  public record Result(Optional<String> refusal, boolean timedOut, int exitStatus, Output stdout, Output stderr) {

    static Result refused(String why) {
      return new Result(Optional.of(why), false, -1, Output.EMPTY, Output.EMPTY);
    }

    public boolean started() {
      return refusal.isEmpty();
    }

    /** Ran to its end and exited 0. */
    public boolean succeeded() {
      return started() && !timedOut && exitStatus == 0;
    }

    /**
     * The signal that ended the program, as far as can be told: Java reports death by signal N
     * as 128 + N, and a shell reports a killed child the same way, so this is a guess.
     */
    public OptionalInt signal() {
      return started() && !timedOut && exitStatus > 128 && exitStatus < 128 + 65
          ? OptionalInt.of(exitStatus - 128) : OptionalInt.empty();
    }
  }

  /**
   * A started program: the process, its sink (when output goes through one), where its output
   * goes, whether it leads its own group and session, and the {@code kill} binary if there is one.
   */
  private record Running(Process process, Optional<Process> sink, Path stdout, Optional<Path> stderrFile,
      boolean leader, Optional<Path> kill) {}

  /** Either a started program or the result that says why it could not start. */
  private record Launch(Running running, Result refusal) {}

  /**
   * Starts the program and completes when it has exited and what it left behind has been ended,
   * or when {@code timeout} has passed and its whole tree has been killed. Never fails for anything
   * the program does; a failed future means medic itself could not do its part (no temporary file,
   * a read error).
   */
  public Future<Result> run(Vertx vertx, Duration timeout) {
    Context context = vertx.getOrCreateContext();
    return context.<Launch>executeBlocking(this::launch, false)
        .compose(launch -> launch.refusal() != null
            ? Future.succeededFuture(launch.refusal())
            : supervise(vertx, context, launch.running(), timeout));
  }

  /**
   * Ends every run of this instance still going: each program, its group, its session and its
   * sink get SIGKILL (a program medic stops waiting for gets no say). Their {@link #run} futures
   * then complete as killed by signal 9. For the owner's close, at reload and at medic's stop.
   */
  public Future<Void> close(Vertx vertx) {
    if (runs.isEmpty()) {
      return Future.succeededFuture();
    }
    return vertx.getOrCreateContext().executeBlocking(() -> {
      // A run whose program has exited is only ending what it left behind; its sink may be what a
      // detached process writes to, so it is left alone (see awaitSink).
      List.copyOf(runs).stream().filter(r -> r.process().isAlive()).forEach(r -> {
        killTree(r);
        r.sink().filter(Process::isAlive).ifPresent(sink -> {
          // Only while medic has not reaped it: after that its pid may name someone else.
          ProcessGroup.signal(sink.pid(), true, r.kill());
          sink.destroyForcibly();
        });
      });
      return null;
    }, false);
  }

  private Launch launch() throws IOException {
    Path dir = workdir.orElse(null);
    if (dir != null && !Files.isDirectory(dir)) {
      return refuse("workdir " + dir + " is not a directory");
    }
    if (command.isEmpty() || command.get(0).isEmpty()) {
      return refuse("no program to run (the command is empty)");
    }
    String program = command.get(0);
    SearchPath search = SearchPath.of(environment.get("PATH"));
    Optional<Path> executable = search.find(program, dir);
    if (executable.isEmpty()) {
      if (program.contains("/")) {
        Path p = dir == null ? Path.of(program) : dir.resolve(program);
        return refuse(Files.exists(p) ? program + " is not an executable file" : program + " does not exist");
      }
      return refuse("command not found: " + program + " (searched PATH " + search + ")");
    }

    // A new session makes the program the leader of its own process group and session, so its
    // pid names both: one scan of /proc (or one kill(2) on the group) reaches every process it
    // started, also those orphaned by a parent that exited (invisible to
    // ProcessHandle.descendants()) and those forked after we looked. A JVM child is never a group
    // leader, so setsid execs in place and the pid we hold is the group id. Without setsid (a
    // minimal image) the descendants snapshot is all we have.
    SearchPath own = SearchPath.ofProcess();
    Optional<Path> setsid = own.find("setsid");
    Optional<Path> kill = setsid.isPresent() ? own.find("kill") : Optional.empty();
    Optional<Path> sh = own.find("sh");
    boolean sinkable = setsid.isPresent() && sh.isPresent() && own.find("dd").isPresent()
        && own.find("cat").isPresent();
    List<String> argv = new ArrayList<>(command.size() + 1);
    setsid.ifPresent(s -> argv.add(s.toString()));
    argv.add(executable.get().toString());
    argv.addAll(command.subList(1, command.size()));

    Path stdout = Files.createTempFile("medic-process-", ".out");
    Path stderr = null;
    try {
      ProcessBuilder pb = new ProcessBuilder(argv).redirectInput(ProcessBuilder.Redirect.from(DEV_NULL));
      if (dir != null) {
        pb.directory(dir.toFile());
      }
      pb.environment().clear();
      pb.environment().putAll(environment);
      if (capture.merged()) {
        pb.redirectErrorStream(true);
      } else if (!sinkable) {
        stderr = Files.createTempFile("medic-process-", ".err");
        pb.redirectError(stderr.toFile());
      }
      if (!sinkable) {
        pb.redirectOutput(stdout.toFile());
        return new Launch(new Running(pb.start(), Optional.empty(), stdout, Optional.ofNullable(stderr),
            setsid.isPresent(), kill), null);
      }
      // The sink runs in a session of its own too, so dd and cat end with it; medic's own
      // environment, not the program's, so the program's PATH cannot pick another dd.
      ProcessBuilder sink = new ProcessBuilder(setsid.get().toString(), sh.get().toString(), "-c", SINK_SCRIPT,
          "medic-output-sink", Long.toString(capture.stdoutLimit() + 1L), stdout.toString())
          .redirectOutput(ProcessBuilder.Redirect.DISCARD)
          .redirectError(ProcessBuilder.Redirect.DISCARD);
      List<Process> pipeline = ProcessBuilder.startPipeline(List.of(pb, sink));
      return new Launch(new Running(pipeline.get(0), Optional.of(pipeline.get(1)), stdout, Optional.empty(),
          true, kill), null);
    } catch (IOException | RuntimeException e) {
      deleteQuietly(stdout);
      deleteQuietly(stderr);
      return refuse("cannot start " + program + ": " + e.getMessage());
    }
  }

  private static Launch refuse(String why) {
    return new Launch(null, Result.refused(why));
  }

  /** Runs on {@code context}'s event loop; every callback below does too. */
  private Future<Result> supervise(Vertx vertx, Context context, Running running, Duration timeout) {
    runs.add(running);
    Promise<Void> killed = Promise.promise();
    long timer = vertx.setTimer(Math.max(1, timeout.toMillis()), id ->
        context.<Void>executeBlocking(() -> {
          killTree(running);
          return null;
        }, false).onComplete(killed));
    return Future.fromCompletionStage(running.process().onExit(), context)
        .compose(exited -> {
          boolean timedOut = !vertx.cancelTimer(timer);
          // After a timeout, answer only once every kill was sent, so no caller sees a result
          // while part of the tree is still running. After a normal exit, end what it left.
          Future<Void> settled = timedOut
              ? killed.future().recover(e -> Future.succeededFuture())
              : endLeftovers(vertx, context, running);
          return settled
              .compose(v -> awaitSink(vertx, context, running))
              .compose(v -> context.executeBlocking(() -> collect(running, timedOut), false));
        })
        .onComplete(r -> runs.remove(running));
  }

  /** SIGTERM to what is left in the program's group and session; SIGKILL after {@link #GRACE}. */
  private static Future<Void> endLeftovers(Vertx vertx, Context context, Running running) {
    if (!running.leader()) {
      return Future.succeededFuture();
    }
    long pgid = running.process().pid();
    return context.executeBlocking(() -> ProcessGroup.signal(pgid, false, running.kill()), false)
        .compose(any -> {
          if (!any) {
            return Future.succeededFuture();
          }
          Promise<Void> later = Promise.promise();
          vertx.setTimer(GRACE.toMillis(), id -> context.<Void>executeBlocking(() -> {
            ProcessGroup.signal(pgid, true, running.kill());
            return null;
          }, false).onComplete(later));
          return later.future();
        })
        .recover(e -> Future.succeededFuture());
  }

  /**
   * The sink ends at the end of the pipe, once no process holds its write end. One that escaped
   * the group (a server a restart script started with {@code setsid app &}) can hold it for ever:
   * after {@link #GRACE} medic stops waiting and reads what dd wrote so far, but leaves the sink
   * running. Killing it would close the pipe's read end, and the escaped process would die of
   * SIGPIPE at its next write. dd stops at LIMIT + 1 bytes; {@code cat} discards the rest and exits
   * when the last holder closes the pipe.
   */
  private static Future<Void> awaitSink(Vertx vertx, Context context, Running running) {
    if (running.sink().isEmpty()) {
      return Future.succeededFuture();
    }
    Process sink = running.sink().get();
    Promise<Void> done = Promise.promise();
    long timer = vertx.setTimer(GRACE.toMillis(), id -> done.tryComplete());
    Future.fromCompletionStage(sink.onExit(), context).onComplete(ar -> {
      vertx.cancelTimer(timer);
      done.tryComplete();
    });
    return done.future();
  }

  /**
   * Kills the program and everything it started. The snapshot of its descendants is taken first,
   * while the program is alive: once it is dead its children are re-parented and no longer found.
   * Then SIGKILL to every process of its group and session, then the program and each process of
   * the snapshot (some may have left the group). The sink is left to read to the end of the pipe,
   * which comes once they are dead, so the output up to the kill is kept. SIGKILL because a program past its
   * deadline gets no say; a process that made itself a new session and is no longer a descendant
   * escapes all of this, as it would escape Nagios.
   */
  private static void killTree(Running running) {
    Process process = running.process();
    List<ProcessHandle> tree = process.descendants().toList();
    if (running.leader()) {
      ProcessGroup.signal(process.pid(), true, running.kill());
    }
    process.destroyForcibly();
    tree.forEach(ProcessHandle::destroyForcibly);
  }

  private Result collect(Running running, boolean timedOut) throws IOException {
    Output out;
    Output err = Output.EMPTY;
    try {
      out = head(running.stdout(), capture.stdoutLimit());
      if (running.stderrFile().isPresent()) {
        err = head(running.stderrFile().get(), capture.stderrLimit());
      } else if (!capture.merged()) {
        err = available(running.process().getErrorStream(), capture.stderrLimit());
      }
    } finally {
      deleteQuietly(running.stdout());
      deleteQuietly(running.stderrFile().orElse(null));
      closeQuietly(running.process().getErrorStream());
    }
    int exit = timedOut ? -1 : running.process().exitValue();
    return new Result(Optional.empty(), timedOut, exit, out, err);
  }

  private static Output head(Path file, int limit) throws IOException {
    byte[] bytes;
    boolean cut;
    try (InputStream in = Files.newInputStream(file)) {
      bytes = in.readNBytes(limit);
      cut = in.read() >= 0;
    }
    return output(bytes, bytes.length, cut);
  }

  /**
   * Up to {@code limit} bytes of what a pipe holds now, never waiting for more: a process that
   * escaped the group may still hold the write end open, and an end of file may never come.
   */
  private static Output available(InputStream in, int limit) {
    byte[] bytes = new byte[limit + 1];
    int n = 0;
    int ready;
    try {
      while (n < bytes.length && (ready = in.available()) > 0) {
        int got = in.read(bytes, n, Math.min(ready, bytes.length - n));
        if (got < 0) {
          break;
        }
        n += got;
      }
    } catch (IOException e) {
      // The JDK swaps the pipe for what was left in it when the process exits; a read racing
      // that swap sees a closed stream. What was read so far is what there is.
    }
    boolean cut = n > limit;
    return output(bytes, Math.min(n, limit), cut);
  }

  private static Output output(byte[] bytes, int length, boolean cut) {
    String text = new String(bytes, 0, length, StandardCharsets.UTF_8);
    if (cut) {
      int nl = text.lastIndexOf('\n');
      text = nl > 0 ? text.substring(0, nl) : text;
    }
    return new Output(text, cut);
  }

  private static void closeQuietly(InputStream in) {
    try {
      in.close();
    } catch (IOException e) {
      // Nothing left to read from it either way.
    }
  }

  private static void deleteQuietly(Path p) {
    if (p != null) {
      try {
        Files.deleteIfExists(p);
      } catch (IOException e) {
        // A leftover temp file is harmless; the result matters more.
      }
    }
  }

  @Override
  public String toString() {
    return String.join(" ", command);
  }
}
