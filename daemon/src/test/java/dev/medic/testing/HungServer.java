package dev.medic.testing;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A server on 127.0.0.1 that accepts connections and never answers: the target that hangs. It
 * reads and drops what it is sent, so it can tell when a client gave up and closed its side.
 * Plain blocking sockets on daemon threads: it must not share the event loops under test.
 */
public final class HungServer implements AutoCloseable {

  private final ServerSocket server;
  private final List<Socket> sockets = new CopyOnWriteArrayList<>();
  private final CompletableFuture<Void> peerClosed = new CompletableFuture<>();

  private HungServer(ServerSocket server) {
    this.server = server;
  }

  public static HungServer start() throws IOException {
    HungServer hung = new HungServer(new ServerSocket(0, 50, InetAddress.getLoopbackAddress()));
    Thread acceptor = new Thread(hung::accept, "hung-server-" + hung.port());
    acceptor.setDaemon(true);
    acceptor.start();
    return hung;
  }

  /** A port on 127.0.0.1 where nothing listens: bound, then released. */
  public static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  public int port() {
    return server.getLocalPort();
  }

  /** How many connections were accepted so far. */
  public int accepted() {
    return sockets.size();
  }

  /** Completes when a client closes a connection it opened here. */
  public CompletableFuture<Void> peerClosed() {
    return peerClosed;
  }

  private void accept() {
    while (!server.isClosed()) {
      try {
        Socket s = server.accept();
        sockets.add(s);
        Thread reader = new Thread(() -> drain(s), "hung-server-reader-" + port());
        reader.setDaemon(true);
        reader.start();
      } catch (IOException e) {
        return;
      }
    }
  }

  private void drain(Socket s) {
    byte[] buf = new byte[4096];
    try (InputStream in = s.getInputStream()) {
      while (in.read(buf) >= 0) {
        // dropped: a hung server never answers
      }
      peerClosed.complete(null);
    } catch (IOException e) {
      // a reset by the client is a close as well, unless this server is shutting down
      if (!server.isClosed()) {
        peerClosed.complete(null);
      }
    }
  }

  @Override
  public void close() throws IOException {
    server.close();
    for (Socket s : sockets) {
      s.close();
    }
  }
}
