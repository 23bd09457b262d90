package dev.medic.bench;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Loopback stub targets, the same for every tool: {@code n} HTTP targets on 127.0.0.1, of which
 * every tenth (ids 9, 19, 29, …) is hung: it accepts, reads the request and never answers.
 * Target {@code i} is {@code http://127.0.0.1:<port(i)>/t/i}; {@value #PER_PORT} targets share a
 * port, so 10,000 targets fit in the machine's 20,000 open files (stub and tool side) while no
 * port carries more probes at once than medic's 32 pooled connections per server.
 *
 * <p>The stub is also the stopwatch, so that all tools are timed by the same code: a target's
 * probe starts when its request arrives and ends when the answer is written (healthy) or when
 * the tool closes the connection (hung: the tool gave up at its timeout). Round {@code k} is
 * over when every target has ended {@code k} probes; its wall time runs from the first request
 * of that round to that moment. It counts connections too, which shows whether a tool keeps
 * them alive.
 *
 * <p>One selector thread serves everything; 10,000 small requests a round are far below what it
 * can answer.
 */
public final class Targets implements AutoCloseable {

  /** Targets per listening port. */
  public static final int PER_PORT = 10;

  private static final byte[] OK = ("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
      + "Content-Length: 2\r\n\r\nok").getBytes(StandardCharsets.US_ASCII);
  private static final byte[] OK_CLOSE = ("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
      + "Content-Length: 2\r\nConnection: close\r\n\r\nok").getBytes(StandardCharsets.US_ASCII);

  private final int n;
  private final int[] ports;
  private final Selector selector;
  private final Thread loop;
  private volatile boolean closing;

  // Written by the selector thread only; read under the monitor.
  private final int[] started;
  private final int[] ended;
  private final List<Integer> reachedStart = new ArrayList<>();
  private final List<Integer> reachedEnd = new ArrayList<>();
  private final List<Long> roundFirstRequest = new ArrayList<>();
  private final List<Long> roundComplete = new ArrayList<>();
  private long connectionsHealthy;
  private long connectionsHung;
  private long answered;
  private long hungEnded;
  private long stray;

  private Targets(int n) throws IOException {
    this.n = n;
    this.started = new int[n];
    this.ended = new int[n];
    this.ports = new int[healthyPorts(n) + hungPorts(n)];
    this.selector = Selector.open();
    for (int p = 0; p < ports.length; p++) {
      ServerSocketChannel server = ServerSocketChannel.open();
      server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 4096);
      server.configureBlocking(false);
      server.register(selector, SelectionKey.OP_ACCEPT, isHungPort(p));
      ports[p] = ((InetSocketAddress) server.getLocalAddress()).getPort();
    }
    loop = new Thread(this::serve, "stub-targets");
    loop.setDaemon(true);
    loop.start();
  }

  /** Binds the ports and starts serving. */
  public static Targets start(int n) throws IOException {
    if (n < 10 || n % 10 != 0) {
      throw new IllegalArgumentException("n = " + n + " must be a multiple of 10 (a tenth is hung)");
    }
    return new Targets(n);
  }

  public int size() {
    return n;
  }

  public static boolean isHung(int target) {
    return target % 10 == 9;
  }

  public int hungCount() {
    return n / 10;
  }

  public String url(int target) {
    return "http://127.0.0.1:" + port(target) + "/t/" + target;
  }

  public int port(int target) {
    return ports[portIndex(target)];
  }

  public String path(int target) {
    return "/t/" + target;
  }

  // Ports hold targets that are all hung or all healthy: target i goes to port
  // (i % 10 == 9 ? hung ports : healthy ports), numbered so that neighbours share a port.
  private int portIndex(int target) {
    if (isHung(target)) {
      return healthyPorts(n) + (target / 10) / PER_PORT;
    }
    return (target - target / 10) / PER_PORT;
  }

  private static int healthyPorts(int n) {
    return (n - n / 10 + PER_PORT - 1) / PER_PORT;
  }

  private static int hungPorts(int n) {
    return (n / 10 + PER_PORT - 1) / PER_PORT;
  }

  private boolean isHungPort(int p) {
    return p >= healthyPorts(n);
  }

  /**
   * Waits until round {@code k} (from 1) is over.
   *
   * @return false when it was not over within the limit
   */
  public synchronized boolean awaitRound(int k, long limitMillis) throws InterruptedException {
    long deadline = System.currentTimeMillis() + limitMillis;
    while (roundComplete.size() < k) {
      long left = deadline - System.currentTimeMillis();
      if (left <= 0) {
        return false;
      }
      wait(left);
    }
    return true;
  }

  /** Wall time of round {@code k} (from 1), in milliseconds. */
  public synchronized double roundMillis(int k) {
    return (roundComplete.get(k - 1) - roundFirstRequest.get(k - 1)) / 1e6;
  }

  public synchronized long roundStartNanos(int k) {
    return roundFirstRequest.get(k - 1);
  }

  /** Rounds over so far. */
  public synchronized int roundsComplete() {
    return roundComplete.size();
  }

  /** Probes ended so far, all targets together. */
  public synchronized long probesEnded() {
    return answered + hungEnded;
  }

  /** Connections accepted by the healthy targets. */
  public synchronized long connectionsHealthy() {
    return connectionsHealthy;
  }

  /** Connections accepted by the hung targets. */
  public synchronized long connectionsHung() {
    return connectionsHung;
  }

  /** Requests the healthy targets answered. */
  public synchronized long answered() {
    return answered;
  }

  /** Requests for no known target (a sign of a wrong configuration). */
  public synchronized long stray() {
    return stray;
  }

  private synchronized void requestArrived(int target) {
    int c = ++started[target];
    if (reachedStart.size() < c) {
      reachedStart.add(0);
      roundFirstRequest.add(System.nanoTime());
    }
    reachedStart.set(c - 1, reachedStart.get(c - 1) + 1);
  }

  private synchronized void probeEnded(int target, boolean hung) {
    if (hung) {
      hungEnded++;
    } else {
      answered++;
    }
    int c = ++ended[target];
    if (reachedEnd.size() < c) {
      reachedEnd.add(0);
    }
    int reached = reachedEnd.get(c - 1) + 1;
    reachedEnd.set(c - 1, reached);
    if (reached == n) {
      roundComplete.add(System.nanoTime());
      notifyAll();
    }
  }

  private synchronized void accepted(boolean hung) {
    if (hung) {
      connectionsHung++;
    } else {
      connectionsHealthy++;
    }
  }

  private synchronized void strayRequest() {
    stray++;
  }

  /** What the selector keeps per connection. */
  private static final class Conn {
    final boolean hung;
    final ByteBuffer in = ByteBuffer.allocate(8192);
    /** Hung: the target whose request came in on this connection, -1 before it did. */
    int pending = -1;

    Conn(boolean hung) {
      this.hung = hung;
    }
  }

  private void serve() {
    try {
      while (!closing) {
        selector.select();
        for (SelectionKey key : selector.selectedKeys()) {
          if (!key.isValid()) {
            continue;
          }
          if (key.isAcceptable()) {
            acceptAll(key);
          } else if (key.isReadable()) {
            read(key);
          }
        }
        selector.selectedKeys().clear();
      }
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    } finally {
      for (SelectionKey k : selector.keys()) {
        try {
          k.channel().close();
        } catch (IOException ignored) {
          // closing anyway
        }
      }
      try {
        selector.close();
      } catch (IOException ignored) {
        // closing anyway
      }
    }
  }

  private void acceptAll(SelectionKey key) throws IOException {
    boolean hung = (Boolean) key.attachment();
    ServerSocketChannel server = (ServerSocketChannel) key.channel();
    SocketChannel ch;
    while ((ch = server.accept()) != null) {
      ch.configureBlocking(false);
      ch.register(selector, SelectionKey.OP_READ, new Conn(hung));
      accepted(hung);
    }
  }

  private void read(SelectionKey key) {
    SocketChannel ch = (SocketChannel) key.channel();
    Conn conn = (Conn) key.attachment();
    int read;
    try {
      if (!conn.in.hasRemaining()) {
        conn.in.clear(); // an oversized request: drop what we have, it is not ours anyway
      }
      read = ch.read(conn.in);
    } catch (IOException e) {
      read = -1; // reset by the tool
    }
    if (read < 0) {
      close(key, ch);
      if (conn.hung && conn.pending >= 0) {
        probeEnded(conn.pending, true);
      }
      return;
    }
    while (true) {
      int end = headerEnd(conn.in);
      if (end < 0) {
        return;
      }
      String head = new String(conn.in.array(), 0, end, StandardCharsets.ISO_8859_1);
      // Requests here carry no body (GET, HEAD): drop the head and look for the next one.
      conn.in.flip();
      conn.in.position(end);
      conn.in.compact();
      int target = targetOf(head);
      if (target < 0 || target >= n || isHung(target) != conn.hung) {
        strayRequest();
        if (!conn.hung) {
          target = -1;
        } else {
          continue;
        }
      }
      if (conn.hung) {
        requestArrived(target);
        conn.pending = target;
        continue; // never answered
      }
      if (target >= 0) {
        requestArrived(target);
      }
      boolean close = wantsClose(head);
      try {
        ByteBuffer out = ByteBuffer.wrap(close ? OK_CLOSE : OK);
        while (out.hasRemaining()) {
          ch.write(out); // a few bytes into an empty socket buffer
        }
      } catch (IOException e) {
        close(key, ch);
        return;
      }
      if (target >= 0) {
        probeEnded(target, false);
      }
      if (close) {
        close(key, ch);
        return;
      }
    }
  }

  private static int headerEnd(ByteBuffer in) {
    byte[] a = in.array();
    for (int i = 3; i < in.position(); i++) {
      if (a[i] == '\n' && a[i - 1] == '\r' && a[i - 2] == '\n' && a[i - 3] == '\r') {
        return i + 1;
      }
    }
    return -1;
  }

  private static int targetOf(String head) {
    int sp = head.indexOf(' ');
    int sp2 = sp < 0 ? -1 : head.indexOf(' ', sp + 1);
    if (sp2 < 0) {
      return -1;
    }
    String path = head.substring(sp + 1, sp2);
    if (!path.startsWith("/t/")) {
      return -1;
    }
    try {
      return Integer.parseInt(path.substring(3));
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  /** HTTP/1.1 keeps the connection unless asked to close it; HTTP/1.0 closes unless asked not to. */
  private static boolean wantsClose(String head) {
    String lower = head.toLowerCase(java.util.Locale.ROOT);
    String requestLine = lower.substring(0, Math.max(0, lower.indexOf('\r')));
    if (requestLine.endsWith("http/1.0")) {
      return !lower.contains("\r\nconnection: keep-alive");
    }
    return lower.contains("\r\nconnection: close");
  }

  private static void close(SelectionKey key, SocketChannel ch) {
    key.cancel();
    try {
      ch.close();
    } catch (IOException ignored) {
      // nothing left to do
    }
  }

  /** Stops serving and closes every port and connection. */
  @Override
  public void close() throws InterruptedException {
    closing = true;
    selector.wakeup();
    loop.join(5_000);
  }
}
