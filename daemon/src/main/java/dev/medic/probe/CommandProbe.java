package dev.medic.probe;

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
import java.util.concurrent.TimeUnit;

/**
 * Runs a Nagios plugin without a shell and maps its exit status 0/1/2/3 to ok/warning/critical/
 * unknown.
 *
 * <p>No thread waits for the command: output goes to temporary files rather than pipes, the exit
 * arrives through {@link Process#onExit()}, and the deadline is a Vert.x timer. Worker threads
 * are used only for the short steps: looking up and starting the program, killing it, reading at
 * most {@value #OUTPUT_LIMIT} bytes of output. So a hundred slow plugins hold no worker pool
 * hostage, and a plugin that leaves a background child holding its stdout cannot keep the
 * probe waiting for an end of file, as it would with a pipe.
 *
 * <p>On the deadline the whole process tree is killed; see {@link #killTree}.
 */
final class CommandProbe implements Probe {

  /** Output read back from the plugin; Nagios itself keeps far less. */
  static final int OUTPUT_LIMIT = 64 * 1024;
  private static final int STDERR_LIMIT = 4 * 1024;
  /** The message goes into /status, logs and notifications: a long first line is cut here. */
  private static final int MESSAGE_LIMIT = 1024;
  private static final File DEV_NULL = new File("/dev/null");

  private final Vertx vertx;
  private final String checkName;
  private final Duration timeout;
  private final List<String> command;
  private final Map<String, String> env;
  private final String workdir;

  CommandProbe(ProbeContext context, List<String> command, Map<String, String> env, String workdir) {
    this.vertx = context.vertx();
    this.checkName = context.checkName();
    this.timeout = context.timeout();
    this.command = List.copyOf(command);
    this.env = Map.copyOf(env);
    this.workdir = workdir;
  }

  /** A started command: the process, where its output goes, and how to reach its descendants. */
  private record Running(Process process, Path stdout, Path stderr, Optional<Path> groupKill) {}

  /** Either a started command or the result that says why it could not start. */
  private record Launch(Running running, ProbeResult refusal) {}

  @Override
  public Future<ProbeResult> run() {
    Context context = vertx.getOrCreateContext();
    return context.<Launch>executeBlocking(this::launch, false)
        .compose(launch -> launch.refusal() != null
            ? Future.succeededFuture(launch.refusal())
            : supervise(context, launch.running()));
  }

  private Launch launch() throws IOException {
    Path dir = workdir == null ? null : Path.of(workdir);
    if (dir != null && !Files.isDirectory(dir)) {
      return refuse("workdir " + workdir + " is not a directory");
    }
    String program = command.get(0);
    SearchPath search = SearchPath.of(env.getOrDefault("PATH", System.getenv("PATH")));
    Optional<Path> executable = search.find(program, dir);
    if (executable.isEmpty()) {
      if (program.contains("/")) {
        Path p = dir == null ? Path.of(program) : dir.resolve(program);
        return refuse(Files.exists(p) ? program + " is not an executable file" : program + " does not exist");
      }
      return refuse("command not found: " + program + " (searched PATH " + search + ")");
    }

    // A new session makes the plugin the leader of its own process group, so one kill(2) on the
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

    Path stdout = Files.createTempFile("medic-command-", ".out");
    Path stderr = null;
    try {
      stderr = Files.createTempFile("medic-command-", ".err");
      ProcessBuilder pb = new ProcessBuilder(argv)
          .redirectInput(ProcessBuilder.Redirect.from(DEV_NULL))
          .redirectOutput(stdout.toFile())
          .redirectError(stderr.toFile());
      if (dir != null) {
        pb.directory(dir.toFile());
      }
      pb.environment().putAll(env);
      return new Launch(new Running(pb.start(), stdout, stderr, kill), null);
    } catch (IOException | RuntimeException e) {
      deleteQuietly(stdout);
      deleteQuietly(stderr);
      return refuse("cannot start " + program + ": " + e.getMessage());
    }
  }

  /** The plugin could not be run at all: medic cannot judge the target, so unknown. */
  private static Launch refuse(String why) {
    return new Launch(null, ProbeResult.unknown(why));
  }

  /** Runs on {@code context}'s event loop; every callback below does too. */
  private Future<ProbeResult> supervise(Context context, Running running) {
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
   * Kills the plugin and everything it started. The snapshot of its descendants is taken first,
   * while the plugin is alive: once it is dead its children are re-parented and no longer found.
   * Then one SIGKILL to its process group, then the plugin and each process of the snapshot (some
   * may have left the group). SIGKILL because a plugin past its deadline gets no say; a process
   * that made itself a new session escapes all of this, as it would escape Nagios.
   */
  private void killTree(Running running) {
    Process process = running.process();
    List<ProcessHandle> tree = process.descendants().toList();
    if (running.groupKill().isPresent() && process.isAlive()) {
      signalGroup(running.groupKill().get(), process.pid());
    }
    process.destroyForcibly();
    tree.forEach(ProcessHandle::destroyForcibly);
  }

  private void signalGroup(Path kill, long pgid) {
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

  private ProbeResult collect(Running running, boolean timedOut) throws IOException {
    String out;
    String err;
    try {
      out = head(running.stdout(), OUTPUT_LIMIT);
      err = head(running.stderr(), STDERR_LIMIT);
    } finally {
      deleteQuietly(running.stdout());
      deleteQuietly(running.stderr());
    }
    if (timedOut) {
      return ProbeResult.critical("timed out after " + Unit.SECONDS.format(timeout.toMillis() / 1000.0));
    }
    int exit = running.process().exitValue();
    PluginOutput output = PluginOutput.parse(out);
    String text = shorten(output.message());
    String errLine = shorten(err.strip().lines().findFirst().orElse(""));
    if (exit >= 0 && exit <= 3) {
      String message = !text.isEmpty() ? text
          : errLine.isEmpty() ? "no output (exit status " + exit + ")"
          : "no output (exit status " + exit + "); stderr: " + errLine;
      return ProbeResult.of(Status.fromExitCode(exit), message, output.measurements());
    }
    // Java reports death by signal N as 128 + N; a shell reports a killed child the same way.
    String why = exit > 128 && exit < 128 + 65
        ? "exit status " + exit + " (killed by signal " + (exit - 128) + "?)"
        : "exit status " + exit + " (a plugin exits 0 to 3)";
    String detail = !text.isEmpty() ? text : errLine;
    return ProbeResult.of(Status.UNKNOWN, detail.isEmpty() ? why : why + ": " + detail, output.measurements());
  }

  /**
   * The first {@code limit} bytes as text. When cut, the last partial line is dropped so a
   * half-written perfdata item is not read as a whole one.
   */
  private static String head(Path file, int limit) throws IOException {
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
    return text;
  }

  /** Control characters would garble logs and terminals; a long line is cut. */
  private static String shorten(String s) {
    String printable = s.replaceAll("\\p{Cntrl}", " ").strip();
    return printable.length() <= MESSAGE_LIMIT ? printable : printable.substring(0, MESSAGE_LIMIT - 1) + "…";
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
    return "command probe of check " + checkName + ": " + command;
  }
}
