package dev.medic.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/** Live instances of a class in this JVM, after a full GC, read with the JDK's jcmd. */
public final class HeapCount {

  private HeapCount() {}

  /** Instances of exactly {@code className} (a full GC first: jcmd GC.class_histogram does one). */
  public static long live(String className) throws IOException, InterruptedException {
    Path java = Path.of(ProcessHandle.current().info().command().orElseThrow());
    Path jcmd = java.resolveSibling("jcmd");
    Process p = new ProcessBuilder(jcmd.toString(), Long.toString(ProcessHandle.current().pid()),
        "GC.class_histogram").redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (p.waitFor() != 0) {
      throw new IOException("jcmd failed: " + out);
    }
    for (String line : out.split("\n")) {
      String[] cols = line.trim().split("\\s+");
      // "  26:   500   36000  io.vertx.core.net.impl.NetClientImpl"
      if (cols.length >= 4 && cols[3].equals(className)) {
        return Long.parseLong(cols[1]);
      }
    }
    return 0;
  }
}
