package dev.medic.process;

import java.io.File;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The processes of one process group or session, found in {@code /proc} and signalled one by one,
 * plus one kill(2) on the group through the {@code kill} binary when there is one (it also reaches
 * a process forked between the scan and the signal). Blocking: call from a worker. A scan reads
 * one small file per process of the host: a few milliseconds, once per run.
 *
 * <p>The id is the pid of a program medic started with {@code setsid}: its group and its session
 * carry that id for as long as any member lives, even after the leader was reaped. Members that
 * made a new session of their own are not found: nothing names them any more. The id could name
 * someone else's group only if the kernel handed the reaped leader's pid to a new session leader
 * in the moment between the exit and the scan; pids are handed out in order, so that takes a
 * wrap-around of the pid space in that moment.
 */
final class ProcessGroup {

  private static final Path PROC = Path.of("/proc");
  private static final File DEV_NULL = new File("/dev/null");

  private ProcessGroup() {}

  /**
   * Sends SIGTERM, or SIGKILL when {@code force}, to every live process whose group or session is
   * {@code id}.
   *
   * @return whether any was found
   */
  static boolean signal(long id, boolean force, Optional<Path> kill) {
    List<ProcessHandle> members = members(id);
    if (members.isEmpty()) {
      return false; // and no kill(2) on a group id that may already name someone else's group
    }
    // kill(2) on -id reaches the process group only: sent when a member of that group (not just
    // of the session) was alive a moment ago, so the id still names the group medic started.
    if (members.stream().anyMatch(m -> inGroup(m.pid(), id))) {
      kill.ifPresent(k -> signalGroup(k, id, force));
    }
    members.forEach(force ? ProcessHandle::destroyForcibly : ProcessHandle::destroy);
    return true;
  }

  /** Live (not zombie) processes whose process group or session id is {@code id}. */
  static List<ProcessHandle> members(long id) {
    List<ProcessHandle> found = new ArrayList<>();
    try (DirectoryStream<Path> dirs = Files.newDirectoryStream(PROC, "[0-9]*")) {
      for (Path dir : dirs) {
        String stat;
        try {
          stat = Files.readString(dir.resolve("stat"));
        } catch (IOException | RuntimeException e) {
          continue; // it ended while we looked
        }
        // pid (comm) state ppid pgrp session ...; comm may hold spaces and parentheses.
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        if (f.length > 3 && !f[0].equals("Z") && (f[2].equals(Long.toString(id)) || f[3].equals(Long.toString(id)))) {
          ProcessHandle.of(Long.parseLong(dir.getFileName().toString())).ifPresent(found::add);
        }
      }
    } catch (IOException | RuntimeException e) {
      // No /proc (not Linux): the kill binary and the descendants snapshot are what is left.
    }
    return found;
  }

  /** Whether {@code pid} is alive (not a zombie) and its process group is {@code pgid}. */
  static boolean inGroup(long pid, long pgid) {
    try {
      String stat = Files.readString(PROC.resolve(Long.toString(pid)).resolve("stat"));
      String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      return f.length > 2 && !f[0].equals("Z") && f[2].equals(Long.toString(pgid));
    } catch (IOException | RuntimeException e) {
      return false;
    }
  }

  private static void signalGroup(Path kill, long pgid, boolean force) {
    try {
      Process k = new ProcessBuilder(kill.toString(), "-s", force ? "KILL" : "TERM", "--", "-" + pgid)
          .redirectInput(ProcessBuilder.Redirect.from(DEV_NULL))
          .redirectOutput(ProcessBuilder.Redirect.DISCARD)
          .redirectError(ProcessBuilder.Redirect.DISCARD)
          .start();
      // kill(1) returns at once (with an error when the group is gone); the bound only guards
      // against a broken binary.
      if (!k.waitFor(2, TimeUnit.SECONDS)) {
        k.destroyForcibly();
      }
    } catch (IOException e) {
      // The scan of /proc still reached the members.
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
