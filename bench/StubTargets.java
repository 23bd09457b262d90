import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;

/**
 * Loopback stub targets for the benchmarks: one healthy HTTP server (any path answers 200 "ok")
 * and, optionally, a port that accepts connections and never answers. Prints the two ports and
 * runs until killed. Run with `java bench/StubTargets.java [hung]`.
 */
public class StubTargets {
  public static void main(String[] args) throws Exception {
    HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 1024);
    byte[] body = "ok".getBytes(StandardCharsets.UTF_8);
    server.createContext("/", ex -> {
      ex.getRequestBody().readAllBytes();
      ex.sendResponseHeaders(200, body.length);
      ex.getResponseBody().write(body);
      ex.close();
    });
    server.setExecutor(Executors.newFixedThreadPool(4));
    server.start();
    ServerSocket hung = new ServerSocket(0, 4096, java.net.InetAddress.getLoopbackAddress());
    List<Socket> held = new ArrayList<>();
    Thread acceptor = new Thread(() -> {
      while (true) {
        try {
          held.add(hung.accept()); // accept and never answer
        } catch (Exception e) {
          return;
        }
      }
    });
    acceptor.setDaemon(true);
    acceptor.start();
    System.out.println(server.getAddress().getPort() + " " + hung.getLocalPort());
    System.out.flush();
    Thread.currentThread().join();
  }
}
