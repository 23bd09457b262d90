package dev.medic.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** What the run ran on, as JSON for bench/results/machine.json. */
final class Machine {

  private Machine() {}

  static String describe(String started, String ended, List<String> medicOpts, List<String> skipped) {
    StringBuilder b = new StringBuilder("{\n");
    field(b, "started", started);
    field(b, "ended", ended);
    field(b, "cores", Integer.toString(Runtime.getRuntime().availableProcessors()));
    field(b, "memory", first("/proc/meminfo", "MemTotal:"));
    field(b, "cpu", first("/proc/cpuinfo", "model name"));
    field(b, "kernel", run("uname", "-r"));
    field(b, "java", System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version"));
    field(b, "medic_java_options", String.join(" ", medicOpts));
    field(b, "monit", run("dpkg-query", "-W", "-f", "${Version}", "monit"));
    field(b, "prometheus-blackbox-exporter", run("dpkg-query", "-W", "-f", "${Version}", "prometheus-blackbox-exporter"));
    field(b, "redis-server", run("dpkg-query", "-W", "-f", "${Version}", "redis-server"));
    field(b, "loadavg_at_end", read("/proc/loadavg"));
    b.append("  \"skipped\": [");
    for (int i = 0; i < skipped.size(); i++) {
      b.append(i == 0 ? "" : ", ").append(quote(skipped.get(i)));
    }
    b.append("]\n}\n");
    return b.toString();
  }

  private static void field(StringBuilder b, String key, String value) {
    b.append("  ").append(quote(key)).append(": ").append(quote(value)).append(",\n");
  }

  private static String quote(String s) {
    return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", " ").trim() + "\"";
  }

  private static String first(String file, String prefix) {
    try {
      return Files.readAllLines(Path.of(file)).stream().filter(l -> l.startsWith(prefix))
          .map(l -> l.substring(l.indexOf(':') + 1).trim()).findFirst().orElse("");
    } catch (IOException e) {
      return "";
    }
  }

  private static String read(String file) {
    try {
      return Files.readString(Path.of(file)).trim();
    } catch (IOException e) {
      return "";
    }
  }

  private static String run(String... command) {
    try {
      Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
      p.waitFor();
      return out;
    } catch (IOException e) {
      return "";
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "";
    }
  }
}
