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
import java.util.concurrent.TimeUnit;

/**
 * An external program run once, without a shell, to its exit or to a deadline, whichever comes
 * first; the result carries its exit status and the head of its output.
 *
 * <p>No thread waits for the program: output goes to temporary files rather than pipes, the exit
 * arrives through {@link Process#onExit()}, and the deadline is a Vert.x timer. Worker threads
 * are used only for the short steps: looking up and starting the program, killing it, reading
 * the head of its output. So a hundred slow programs hold no worker pool hostage, and a program
 * that leaves a background child holding its stdout cannot keep the caller waiting for an end of
 * file, as it would with a pipe.
 *
 * <p>On the deadline the whole process tree is killed; see {@link #killTree}. The result is
 * given only after every kill was sent.
 *
 * <p>Instances are immutable and start nothing until {@link #run}; one may be run many times.
 */
public final class BoundedProcess {

  private static final File DEV_NULL = new File("/dev/null");

  private final List<String> command;
  private final Map<String, String> environment;
  private final Optional<Path> workdir;
  private final Capture capture;

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
   * @param stdoutLimit bytes of stdout kept; the rest is written to disk but never read
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

  /** A started program: the process, where its output goes, and how to reach its descendants. */
  private record Running(Process process, Path stdout, Optional<Path> stderr, Optional<Path> groupKill) {}

  /** Either a started program or the result that says why it could not start. */
  private record Launch(Running running, Result refusal) {}

  /**
   * Starts the program and completes when it has exited, or when {@code timeout} has passed and
   * its whole tree has been killed. Never fails for anything the program does; a failed future
   * means medic itself could not do its part (no temporary file, a read error).
   */
  public Future<Result> run(Vertx vertx, Duration timeout) {
    Context context = vertx.getOrCreateContext();
    return context.<Launch>executeBlocking(this::launch, false)
        .compose(launch -> launch.refusal() != null
            ? Future.succeededFuture(launch.refusal())
            : supervise(vertx, context, launch.running(), timeout));
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

    // A new session makes the program the leader of its own process group, so one kill(2) on the
    // group on timeout reaches every process it started, also those orphaned by a parent that
    // exited (invisible to ProcessHandle.descendants()) and those forked after we looked. A JVM
    // child is never a group leader, so setsid execs in place and the pid we hold is the group
    // id. Without setsid or kill (a minimal image) the descendants snapshot is all we have.
    SearchPath own = SearchPath.ofProcess();
    Optional<Path> setsid = own.find("setsid");
    Optional<Path> kill = setsid.isPresent() ? own.find("kill") : Optional.empty();
    List<String> argv = new ArrayList<>(command.size() + 1);
    if (kill.isPresent()) {
      argv.add(setsid.get().toString());
    }
    argv.add(executable.get().toString());
    argv.addAll(command.subList(1, command.size()));

    Path stdout = Files.createTempFile("medic-process-", ".out");
    Path stderr = null;
    try {
      ProcessBuilder pb = new ProcessBuilder(argv)
          .redirectInput(ProcessBuilder.Redirect.from(DEV_NULL))
          .redirectOutput(stdout.toFile());
      if (capture.merged()) {
        pb.redirectErrorStream(true);
      } else {
        stderr = Files.createTempFile("medic-process-", ".err");
        pb.redirectError(stderr.toFile());
      }
      if (dir != null) {
        pb.directory(dir.toFile());
      }
      pb.environment().clear();
      pb.environment().putAll(environment);
      return new Launch(new Running(pb.start(), stdout, Optional.ofNullable(stderr), kill), null);
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
          // while part of the tree is still running.
          Future<Void> settled = timedOut
              ? killed.future().recover(e -> Future.succeededFuture())
              : Future.succeededFuture();
          return settled.compose(v -> context.executeBlocking(() -> collect(running, timedOut), false));
        });
  }

  /**
   * Kills the program and everything it started. The snapshot of its descendants is taken first,
   * while the program is alive: once it is dead its children are re-parented and no longer found.
   * Then one SIGKILL to its process group, then the program and each process of the snapshot (some
   * may have left the group). SIGKILL because a program past its deadline gets no say; a process
   * that made itself a new session escapes all of this, as it would escape Nagios.
   */
  private static void killTree(Running running) {
    Process process = running.process();
    List<ProcessHandle> tree = process.descendants().toList();
    if (running.groupKill().isPresent() && process.isAlive()) {
      signalGroup(running.groupKill().get(), process.pid());
    }
    process.destroyForcibly();
    tree.forEach(ProcessHandle::destroyForcibly);
  }

  private static void signalGroup(Path kill, long pgid) {
    try {
      Process k = new ProcessBuilder(kill.toString(), "-s", "KILL", "--", "-" + pgid)
          .redirectInput(ProcessBuilder.Redirect.from(DEV_NULL))
          .redirectOutput(ProcessBuilder.Redirect.DISCARD)
          .redirectError(ProcessBuilder.Redirect.DISCARD)
          .start();
      // kill(1) returns at once; the bound only guards against a broken binary.
      if (!k.waitFor(2, TimeUnit.SECONDS)) {
        k.destroyForcibly();
      }
    } catch (IOException e) {
      // The descendants snapshot still gets killed.
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private Result collect(Running running, boolean timedOut) throws IOException {
    Output out;
    Output err = Output.EMPTY;
    try {
      out = head(running.stdout(), capture.stdoutLimit());
      if (running.stderr().isPresent()) {
        err = head(running.stderr().get(), capture.stderrLimit());
      }
    } finally {
      deleteQuietly(running.stdout());
      deleteQuietly(running.stderr().orElse(null));
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
    String text = new String(bytes, StandardCharsets.UTF_8);
    if (cut) {
      int nl = text.lastIndexOf('\n');
      text = nl > 0 ? text.substring(0, nl) : text;
    }
    return new Output(text, cut);
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
