package dev.medic.testing;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * Debian's headless Chromium, driven the way an operator's browser would load a page: the
 * command line's {@code --dump-dom} and {@code --screenshot}, and a DevTools-protocol session for
 * real mouse clicks and answering {@code prompt()}. Every process it starts is ended by
 * {@link Session#close()} or before the one-shot methods return. Loopback only.
 */
public final class Chromium {

  /** The flags the machine notes give: no sandbox as root, and no background traffic at all. */
  static final List<String> FLAGS = List.of("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
      "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
      "--disable-extensions", "--disable-default-apps", "--hide-scrollbars", "--window-size=1400,900");

  private final Path executable;
  private final Path scratch;

  private Chromium(Path executable, Path scratch) {
    this.executable = executable;
    this.scratch = scratch;
  }

  /** Chromium at {@code $CHROMIUM}, {@code /usr/bin/chromium} or on PATH; an error naming the fix if none. */
  public static Chromium find(Path scratch) {
    List<Path> candidates = new ArrayList<>();
    String env = System.getenv("CHROMIUM");
    if (env != null && !env.isBlank()) {
      candidates.add(Path.of(env));
    }
    candidates.add(Path.of("/usr/bin/chromium"));
    for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
      if (!dir.isEmpty()) {
        candidates.add(Path.of(dir, "chromium"));
      }
    }
    for (Path p : candidates) {
      if (Files.isExecutable(p)) {
        return new Chromium(p, scratch);
      }
    }
    throw new AssertionError("Chromium is needed for the status page test: apt-get install chromium"
        + " (.ci/run installs it), or set CHROMIUM to its path");
  }

  private List<String> command(String... extra) throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add(executable.toString());
    cmd.addAll(FLAGS);
    // A new empty profile each time: nothing carries over between runs.
    cmd.add("--user-data-dir=" + Files.createTempDirectory(scratch, "chromium-profile"));
    cmd.addAll(List.of(extra));
    return cmd;
  }

  /** The DOM after the page's inline scripts ran at load. */
  public String dumpDom(String url) throws Exception {
    Path out = Files.createTempFile(scratch, "dom", ".html");
    run(new ProcessBuilder(command("--dump-dom", url)).redirectOutput(out.toFile()));
    return Files.readString(out, StandardCharsets.UTF_8);
  }

  /** A PNG of the page as loaded, written to {@code png}. */
  public void screenshot(String url, Path png) throws Exception {
    run(new ProcessBuilder(command("--screenshot=" + png.toAbsolutePath(), url)));
  }

  private void run(ProcessBuilder pb) throws Exception {
    Path log = Files.createTempFile(scratch, "chromium", ".log");
    Process p = pb.redirectError(log.toFile()).start();
    try {
      if (!p.waitFor(60, TimeUnit.SECONDS)) {
        throw new AssertionError("Chromium did not finish within 60 s:\n" + Files.readString(log));
      }
      if (p.exitValue() != 0) {
        throw new AssertionError("Chromium exited " + p.exitValue() + ":\n" + Files.readString(log));
      }
    } finally {
      kill(p);
    }
  }

  private static void kill(Process p) throws InterruptedException {
    p.descendants().forEach(ProcessHandle::destroy);
    p.destroy();
    if (!p.waitFor(10, TimeUnit.SECONDS)) {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
  }

  /** Opens {@code url} in a browser driven over the DevTools protocol. */
  public Session open(String url) throws Exception {
    Process p = new ProcessBuilder(command("--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0", url))
        .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    try {
      // Chromium prints "DevTools listening on ws://127.0.0.1:PORT/devtools/browser/ID" on stderr.
      BufferedReader err = new BufferedReader(new InputStreamReader(p.getErrorStream(), StandardCharsets.UTF_8));
      CompletableFuture<Integer> port = new CompletableFuture<>();
      Thread reader = new Thread(() -> {
        try {
          for (String line; (line = err.readLine()) != null; ) {
            int at = line.indexOf("DevTools listening on ws://127.0.0.1:");
            if (at >= 0) {
              String rest = line.substring(at + "DevTools listening on ws://127.0.0.1:".length());
              port.complete(Integer.parseInt(rest.substring(0, rest.indexOf('/'))));
            }
          }
        } catch (IOException | RuntimeException e) {
          port.completeExceptionally(e);
        }
        port.completeExceptionally(new IllegalStateException("Chromium ended without a DevTools port"));
      }, "chromium-stderr");
      reader.setDaemon(true);
      reader.start();
      int devtools = port.get(30, TimeUnit.SECONDS);
      HttpClient http = HttpClient.newHttpClient();
      String pageWs = null;
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
      while (pageWs == null && System.nanoTime() < deadline) {
        JsonArray targets = new JsonArray(http.send(HttpRequest.newBuilder(
            URI.create("http://127.0.0.1:" + devtools + "/json/list")).build(), HttpResponse.BodyHandlers.ofString()).body());
        for (Object t : targets) {
          JsonObject target = (JsonObject) t;
          if ("page".equals(target.getString("type"))) {
            pageWs = target.getString("webSocketDebuggerUrl");
          }
        }
        if (pageWs == null) {
          Thread.sleep(100);
        }
      }
      if (pageWs == null) {
        throw new AssertionError("Chromium showed no page target");
      }
      return new Session(p, http, URI.create(pageWs));
    } catch (Exception | AssertionError e) {
      kill(p);
      throw e;
    }
  }

  /** One page under DevTools control: commands, events, clicks, script. */
  public static final class Session implements AutoCloseable {

    private final Process process;
    private final WebSocket ws;
    private final AtomicInteger ids = new AtomicInteger();
    private final Map<Integer, CompletableFuture<JsonObject>> pending = new ConcurrentHashMap<>();
    private final Map<String, Consumer<JsonObject>> events = new ConcurrentHashMap<>();

    private Session(Process process, HttpClient http, URI page) throws Exception {
      this.process = process;
      this.ws = http.newWebSocketBuilder().buildAsync(page, new WebSocket.Listener() {
        private final StringBuilder partial = new StringBuilder();

        @Override
        public CompletionStage<?> onText(WebSocket socket, CharSequence data, boolean last) {
          partial.append(data);
          if (last) {
            JsonObject msg = new JsonObject(partial.toString());
            partial.setLength(0);
            if (msg.containsKey("id")) {
              CompletableFuture<JsonObject> f = pending.remove(msg.getInteger("id"));
              if (f != null) {
                f.complete(msg);
              }
            } else {
              Consumer<JsonObject> handler = events.get(msg.getString("method"));
              if (handler != null) {
                handler.accept(msg.getJsonObject("params", new JsonObject()));
              }
            }
          }
          socket.request(1);
          return null;
        }
      }).get(20, TimeUnit.SECONDS);
    }

    /** Sends a command without waiting: for use inside event handlers. */
    public CompletableFuture<JsonObject> send(String method, JsonObject params) {
      int id = ids.incrementAndGet();
      CompletableFuture<JsonObject> f = new CompletableFuture<>();
      pending.put(id, f);
      ws.sendText(new JsonObject().put("id", id).put("method", method).put("params", params).encode(), true);
      return f;
    }

    /** Sends a command and returns its result; an error answer fails the test. */
    public JsonObject call(String method, JsonObject params) throws Exception {
      JsonObject answer = send(method, params).get(30, TimeUnit.SECONDS);
      if (answer.containsKey("error")) {
        throw new AssertionError(method + " failed: " + answer.getJsonObject("error").encode());
      }
      return answer.getJsonObject("result", new JsonObject());
    }

    public void on(String event, Consumer<JsonObject> handler) {
      events.put(event, handler);
    }

    /** The value of a script expression (awaited if it is a promise). */
    public Object eval(String expression) throws Exception {
      JsonObject r = call("Runtime.evaluate", new JsonObject().put("expression", expression)
          .put("returnByValue", true).put("awaitPromise", true));
      if (r.containsKey("exceptionDetails")) {
        throw new AssertionError("script failed: " + expression + ": " + r.getJsonObject("exceptionDetails").encode());
      }
      return r.getJsonObject("result").getValue("value");
    }

    /** Waits until a script expression is true; fails naming it and what the page showed. */
    public void waitFor(String expression, Duration limit) throws Exception {
      long deadline = System.nanoTime() + limit.toNanos();
      while (!Boolean.TRUE.equals(eval("Boolean(" + expression + ")"))) {
        if (System.nanoTime() > deadline) {
          throw new AssertionError("page never satisfied: " + expression + "\npage text:\n"
              + eval("document.body.innerText"));
        }
        Thread.sleep(50);
      }
    }

    /**
     * A real mouse click in the middle of the element: pressed and released through the input
     * pipeline, as a person would. Does not wait for what the click starts (a prompt may be open).
     */
    public void click(String selector) throws Exception {
      Object found = eval("(() => { const e = document.querySelector(" + quote(selector) + ");"
          + " if (!e) return null; e.scrollIntoView({block: 'center'}); const r = e.getBoundingClientRect();"
          + " return JSON.stringify({x: r.x + r.width / 2, y: r.y + r.height / 2}); })()");
      if (found == null) {
        throw new AssertionError("nothing to click at " + selector + "\npage text:\n" + eval("document.body.innerText"));
      }
      JsonObject box = new JsonObject(found.toString());
      JsonObject at = new JsonObject().put("x", box.getDouble("x")).put("y", box.getDouble("y"))
          .put("button", "left").put("clickCount", 1);
      call("Input.dispatchMouseEvent", at.copy().put("type", "mouseMoved"));
      call("Input.dispatchMouseEvent", at.copy().put("type", "mousePressed"));
      // Released without waiting: the handler may open a prompt that blocks the page until answered.
      send("Input.dispatchMouseEvent", at.copy().put("type", "mouseReleased"));
    }

    /** {@code s} as a JavaScript string literal. */
    static String quote(String s) {
      String array = new JsonArray().add(s).encode();
      return array.substring(1, array.length() - 1);
    }

    /** A PNG of the whole page. */
    public byte[] screenshot() throws Exception {
      JsonObject r = call("Page.captureScreenshot", new JsonObject().put("format", "png")
          .put("captureBeyondViewport", true));
      return java.util.Base64.getDecoder().decode(r.getString("data"));
    }

    @Override
    public void close() throws Exception {
      try {
        ws.sendClose(WebSocket.NORMAL_CLOSURE, "done").get(5, TimeUnit.SECONDS);
      } catch (Exception ignored) {
        // the browser is ended below either way
      } finally {
        kill(process);
      }
    }
  }
}
