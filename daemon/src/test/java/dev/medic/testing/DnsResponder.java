package dev.medic.testing;

import io.netty.util.NetUtil;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.datagram.DatagramPacket;
import io.vertx.core.datagram.DatagramSocket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A minimal authoritative DNS server over UDP on 127.0.0.1 (RFC 1035), for the records a test
 * gives it: A, AAAA, CNAME, MX, TXT. A name it has no record for at all is NXDOMAIN; a name with
 * records, but none of the type asked, is an empty NOERROR answer (NODATA) — unless it is an alias,
 * then the answer is the CNAME and the target's records, as a recursive resolver gives them.
 * Answers name their owner by a compression pointer to the question, and an MX exchange under the
 * name asked is compressed too, as real servers do.
 *
 * <p>{@link #silent} binds a port that reads queries and never answers.
 */
public final class DnsResponder {

  private static final int A = 1;
  private static final int CNAME = 5;
  private static final int MX = 15;
  private static final int TXT = 16;
  private static final int AAAA = 28;
  private static final int NXDOMAIN = 3;
  private static final int FORMERR = 1;

  /** One resource record: its type and how to write its data (a name may need compressing). */
  private record Rr(int type, String value, int preference, List<String> strings) {}

  private final Map<String, List<Rr>> zone = new ConcurrentHashMap<>();
  private final List<String> questions = new CopyOnWriteArrayList<>();
  private DatagramSocket socket;

  public static DnsResponder with() {
    return new DnsResponder();
  }

  public DnsResponder a(String name, String... addresses) {
    for (String a : addresses) {
      add(name, new Rr(A, a, 0, List.of()));
    }
    return this;
  }

  public DnsResponder aaaa(String name, String... addresses) {
    for (String a : addresses) {
      add(name, new Rr(AAAA, a, 0, List.of()));
    }
    return this;
  }

  public DnsResponder cname(String name, String target) {
    add(name, new Rr(CNAME, target, 0, List.of()));
    return this;
  }

  public DnsResponder mx(String name, int preference, String exchange) {
    add(name, new Rr(MX, exchange, preference, List.of()));
    return this;
  }

  /** One TXT record made of these character-strings. */
  public DnsResponder txt(String name, String... strings) {
    add(name, new Rr(TXT, "", 0, List.of(strings)));
    return this;
  }

  public Future<DnsResponder> start(Vertx vertx) {
    socket = vertx.createDatagramSocket();
    socket.handler(this::answer);
    return socket.listen(0, "127.0.0.1").map(s -> this);
  }

  /** A UDP port on 127.0.0.1 that takes queries and never answers. */
  public static Future<DatagramSocket> silent(Vertx vertx) {
    DatagramSocket s = vertx.createDatagramSocket();
    s.handler(packet -> { });
    return s.listen(0, "127.0.0.1");
  }

  public int port() {
    return socket.localAddress().port();
  }

  /** Questions received, as {@code name TYPE-number}: {@code alias.test 1}. */
  public List<String> questions() {
    return List.copyOf(questions);
  }

  public Future<Void> close() {
    return socket.close();
  }

  private void add(String name, Rr rr) {
    zone.computeIfAbsent(key(name), k -> new CopyOnWriteArrayList<>()).add(rr);
  }

  private static String key(String name) {
    String n = name.endsWith(".") ? name.substring(0, name.length() - 1) : name;
    return n.toLowerCase(Locale.ROOT);
  }

  private void answer(DatagramPacket packet) {
    Buffer q = packet.data();
    if (q.length() < 12 || q.getUnsignedShort(4) != 1) {
      return;
    }
    int id = q.getUnsignedShort(0);
    int flags = q.getUnsignedShort(2);
    // The question: labels up to the root, then type and class.
    List<String> labels = new ArrayList<>();
    int i = 12;
    while (i < q.length() && q.getUnsignedByte(i) != 0) {
      int len = q.getUnsignedByte(i);
      labels.add(q.getString(i + 1, i + 1 + len, StandardCharsets.US_ASCII.name()));
      i += 1 + len;
    }
    int questionEnd = i + 1 + 4;
    if (questionEnd > q.length()) {
      reply(packet, header(id, flags, FORMERR, 0), Buffer.buffer());
      return;
    }
    String name = String.join(".", labels);
    int type = q.getUnsignedShort(i + 1);
    questions.add(name + " " + type);
    Buffer question = q.getBuffer(12, questionEnd);

    List<Rr> records = zone.get(key(name));
    if (records == null) {
      reply(packet, header(id, flags, NXDOMAIN, 0).appendBuffer(question), Buffer.buffer());
      return;
    }
    Buffer answers = Buffer.buffer();
    int count = 0;
    for (Rr rr : records) {
      if (rr.type() == type) {
        writeRecord(answers, null, rr, name);
        count++;
      }
    }
    if (count == 0 && type != CNAME) {
      // An alias: the CNAME, then the target's records of the type asked (one hop is enough here).
      for (Rr rr : records) {
        if (rr.type() == CNAME) {
          writeRecord(answers, null, rr, name);
          count++;
          for (Rr target : zone.getOrDefault(key(rr.value()), List.of())) {
            if (target.type() == type) {
              writeRecord(answers, rr.value(), target, name);
              count++;
            }
          }
        }
      }
    }
    reply(packet, header(id, flags, 0, count).appendBuffer(question), answers);
  }

  private static Buffer header(int id, int queryFlags, int rcode, int answers) {
    // QR, the query's opcode and RD, AA, RA, the response code.
    int flags = 0x8000 | (queryFlags & 0x7900) | 0x0400 | 0x0080 | rcode;
    return Buffer.buffer().appendUnsignedShort(id).appendUnsignedShort(flags)
        .appendUnsignedShort(1).appendUnsignedShort(answers).appendUnsignedShort(0).appendUnsignedShort(0);
  }

  /**
   * @param owner the record's owner written out, or null for the name asked (a pointer to the question)
   * @param asked the name asked, for compressing names under it
   */
  private static void writeRecord(Buffer out, String owner, Rr rr, String asked) {
    if (owner == null) {
      out.appendUnsignedShort(0xC00C);
    } else {
      writeName(out, owner, null);
    }
    out.appendUnsignedShort(rr.type()).appendUnsignedShort(1).appendInt(60);
    Buffer data = Buffer.buffer();
    switch (rr.type()) {
      case A, AAAA -> data.appendBytes(NetUtil.createByteArrayFromIpAddressString(rr.value()));
      case CNAME -> writeName(data, rr.value(), null);
      case MX -> {
        data.appendUnsignedShort(rr.preference());
        writeName(data, rr.value(), asked);
      }
      case TXT -> {
        for (String s : rr.strings()) {
          byte[] b = s.getBytes(StandardCharsets.UTF_8);
          data.appendUnsignedByte((short) b.length).appendBytes(b);
        }
      }
      default -> throw new IllegalStateException("type " + rr.type());
    }
    out.appendUnsignedShort(data.length()).appendBuffer(data);
  }

  /** Writes {@code name} as labels; when it ends with {@code .compressAgainst}, that part as a pointer to the question. */
  private static void writeName(Buffer out, String name, String compressAgainst) {
    String n = key(name);
    String suffix = compressAgainst == null ? null : "." + key(compressAgainst);
    String head = suffix != null && n.endsWith(suffix) ? n.substring(0, n.length() - suffix.length()) : null;
    for (String label : (head != null ? head : n).split("\\.")) {
      byte[] b = label.getBytes(StandardCharsets.US_ASCII);
      out.appendUnsignedByte((short) b.length).appendBytes(b);
    }
    if (head != null) {
      out.appendUnsignedShort(0xC00C);
    } else {
      out.appendUnsignedByte((short) 0);
    }
  }

  private void reply(DatagramPacket to, Buffer header, Buffer answers) {
    socket.send(header.appendBuffer(answers), to.sender().port(), to.sender().host());
  }
}
