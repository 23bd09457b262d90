package dev.medic.probe;

import io.netty.resolver.dns.DnsNameResolverTimeoutException;
import io.netty.util.NetUtil;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.dns.DnsClient;
import io.vertx.core.dns.DnsClientOptions;
import io.vertx.core.dns.DnsException;
import io.vertx.core.dns.DnsResponseCode;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;

/**
 * Asks one DNS server for one name and record type per run and checks that the expected values
 * are among the answers.
 *
 * <p>Every outcome of the server is a result, never a failed future: NXDOMAIN, another error code,
 * no record of the type, no answer within the timeout, an expected value missing are all
 * {@code critical}. A name that is an alias is followed through its CNAME records (at most
 * {@value #MAX_ALIASES}), as a resolver would: the Vert.x client keeps only the records owned by
 * the name asked for, which for an alias are none of the addresses.
 *
 * <p>The server, when not configured, is the first {@code nameserver} of {@code /etc/resolv.conf},
 * read on the first run (off the event loop, where the Vert.x client is also made, since making it
 * reads {@code /etc/hosts}).
 */
public final class DnsProbe implements Probe {

  /** How many CNAME records are followed before giving up: resolvers stop at about this many. */
  static final int MAX_ALIASES = 8;

  /** Answers listed in a message; the rest are counted. */
  private static final int SHOWN = 5;

  static final String RESOLV_CONF = "/etc/resolv.conf";
  static final String FALLBACK_SERVER = "127.0.0.1";

  private final Config config;
  private final Vertx vertx;
  private final Duration timeout;
  private Resolver resolver;
  private boolean closed;

  DnsProbe(Config config, ProbeContext context) {
    this.config = config;
    this.vertx = context.vertx();
    this.timeout = context.timeout();
  }

  /** The record types this probe asks for. */
  enum RecordType { A, AAAA, CNAME, MX, TXT }

  /**
   * One dns check, validated.
   *
   * @param valid false when the name was missing or wrong; such a probe reports {@code unknown}
   * @param server an IP address; empty: the first nameserver of {@code /etc/resolv.conf}
   * @param expect values that must all be among the answers, as {@link #key} compares them
   */
  record Config(boolean valid, String name, RecordType record, Optional<String> server, int port, List<String> expect) {}

  /** The client for the server this probe asks. */
  private record Resolver(DnsClient client, String server) {

    String serverPort(int port) {
      return (server.contains(":") ? "[" + server + "]" : server) + ":" + port;
    }
  }

  /** One answer as shown in messages and as compared with {@code expect}. */
  record Value(String shown, String key) {}

  @Override
  public Future<ProbeResult> run() {
    if (!config.valid()) {
      return Future.succeededFuture(ProbeResult.unknown("name or server is not valid (run medic check for the cause)"));
    }
    return OneContext.run(vertx, this::ask);
  }


  @Override
  public synchronized Future<Void> close() {
    closed = true;
    Resolver r = resolver;
    resolver = null;
    return r == null ? Future.succeededFuture() : r.client().close();
  }

  /** The answers to the question, and the aliases followed to get them. */
  private record Answer(List<Value> values, List<String> aliases) {}

  private Future<ProbeResult> ask() {
    long start = System.nanoTime();
    long timeoutMs = Math.max(1, timeout.toMillis());
    Promise<ProbeResult> result = Promise.promise();
    String[] asked = {config.name() + " " + config.record() + " at " + config.server().orElse("the system resolver")
        + ":" + config.port()};
    // A backstop: the client's own query timeout normally answers first, with the same words.
    long timer = vertx.setTimer(timeoutMs, id -> result.tryComplete(
        critical(asked[0] + ": no answer within " + NetText.duration(timeout), start)));

    resolver()
        .compose(r -> {
          asked[0] = config.name() + " " + config.record() + " at " + r.serverPort(config.port());
          return lookup(r.client(), config.name(), new ArrayList<>());
        })
        .onComplete(ar -> {
          vertx.cancelTimer(timer);
          result.tryComplete(ar.succeeded()
              ? judge(asked[0], ar.result(), NetText.since(start))
              : failure(asked[0], ar.cause(), start));
        });
    return result.future();
  }

  /** Asks for {@code name}; when it has no record of the type, follows its CNAME, if any. */
  private Future<Answer> lookup(DnsClient client, String name, List<String> aliases) {
    return query(client, name).compose(values -> {
      if (!values.isEmpty() || config.record() == RecordType.CNAME || aliases.size() >= MAX_ALIASES) {
        return Future.succeededFuture(new Answer(values, aliases));
      }
      return client.resolveCNAME(name).compose(targets -> {
        if (targets.isEmpty()) {
          return Future.succeededFuture(new Answer(values, aliases));
        }
        aliases.add(targets.get(0));
        return lookup(client, targets.get(0), aliases);
      });
    });
  }

  private Future<List<Value>> query(DnsClient client, String name) {
    return switch (config.record()) {
      case A -> client.resolveA(name).map(l -> values(l, DnsProbe::address));
      case AAAA -> client.resolveAAAA(name).map(l -> values(l, DnsProbe::address));
      case CNAME -> client.resolveCNAME(name).map(l -> values(l, n -> new Value(n, hostKey(n))));
      case MX -> client.resolveMX(name).map(l -> l.stream()
          .map(mx -> new Value(mx.priority() + " " + mx.name(), hostKey(mx.name()))).toList());
      case TXT -> client.resolveTXT(name).map(l -> values(l, t -> new Value(NetText.quote(t), t)));
    };
  }

  private static List<Value> values(List<String> raw, java.util.function.Function<String, Value> f) {
    return raw.stream().map(f).toList();
  }

  private static Value address(String a) {
    String shown = addressKey(a);
    return new Value(shown, shown);
  }

  /**
   * How a value is compared with {@code expect} for a record type: addresses in their compressed
   * form ({@code 2001:db8::1}), host names in lower case without the trailing dot, text as is.
   */
  static String key(RecordType type, String value) {
    return switch (type) {
      case A, AAAA -> addressKey(value);
      case CNAME, MX -> hostKey(value);
      case TXT -> value;
    };
  }

  private static String addressKey(String address) {
    InetAddress parsed = NetUtil.createInetAddressFromIpAddressString(address);
    return parsed == null ? address : NetUtil.toAddressString(parsed);
  }

  private static String hostKey(String host) {
    String h = host.endsWith(".") ? host.substring(0, host.length() - 1) : host;
    return h.toLowerCase(Locale.ROOT);
  }

  private ProbeResult judge(String asked, Answer answer, Duration latency) {
    List<Value> values = answer.values();
    String via = answer.aliases().isEmpty() ? "" : " via CNAME " + String.join(" → ", answer.aliases());
    Map<String, Measurement> count = Map.of("answers", Measurement.count(values.size()));
    if (values.isEmpty()) {
      return ProbeResult.of(Status.CRITICAL, asked + via + ": no " + config.record() + " record (the name exists)", count)
          .withLatency(latency);
    }
    List<String> keys = values.stream().map(Value::key).toList();
    List<String> missing = config.expect().stream().filter(e -> !keys.contains(e)).toList();
    if (!missing.isEmpty()) {
      String list = missing.stream().map(k -> config.record() == RecordType.TXT ? NetText.quote(k) : k)
          .collect(Collectors.joining(", "));
      return ProbeResult.of(Status.CRITICAL, asked + via + ": missing " + list + " (got " + shown(values) + ")", count)
          .withLatency(latency);
    }
    return ProbeResult.of(Status.OK, asked + via + " in " + NetText.millis(latency) + ": " + shown(values), count)
        .withLatency(latency);
  }

  private static String shown(List<Value> values) {
    String list = values.stream().limit(SHOWN).map(Value::shown).collect(Collectors.joining(", "));
    return values.size() > SHOWN ? list + " and " + (values.size() - SHOWN) + " more" : list;
  }

  private ProbeResult failure(String asked, Throwable cause, long start) {
    if (cause instanceof DnsException dns) {
      DnsResponseCode code = dns.code();
      String what = code == DnsResponseCode.NXDOMAIN ? "NXDOMAIN (the name does not exist)" : "answered " + code.name();
      return ProbeResult.of(Status.CRITICAL, asked + ": " + what, Map.of("answers", Measurement.count(0)))
          .withLatency(NetText.since(start));
    }
    if (cause instanceof DnsNameResolverTimeoutException || cause instanceof TimeoutException) {
      return critical(asked + ": no answer within " + NetText.duration(timeout), start);
    }
    String message = cause.getMessage();
    return critical(asked + ": " + cause.getClass().getSimpleName()
        + (message == null || message.isBlank() ? "" : " " + message), start);
  }

  private static ProbeResult critical(String message, long startNanos) {
    return ProbeResult.critical(message).withLatency(NetText.since(startNanos));
  }

  /** The client, made on the first run off the event loop: the default server is read from a file. */
  private synchronized Future<Resolver> resolver() {
    if (resolver != null) {
      return Future.succeededFuture(resolver);
    }
    return vertx.executeBlocking(() -> {
      String server = config.server().orElseGet(DnsProbe::systemNameserver);
      DnsClient client = vertx.createDnsClient(new DnsClientOptions()
          .setHost(server)
          .setPort(config.port())
          .setQueryTimeout(Math.max(1, timeout.toMillis())));
      synchronized (this) {
        if (closed) {
          client.close();
          throw new IllegalStateException("the probe was closed");
        }
        if (resolver == null) {
          resolver = new Resolver(client, server);
        } else {
          client.close();
        }
        return resolver;
      }
    }, false);
  }

  private static String systemNameserver() {
    try {
      return firstNameserver(Files.readAllLines(Path.of(RESOLV_CONF), StandardCharsets.UTF_8)).orElse(FALLBACK_SERVER);
    } catch (IOException | RuntimeException e) {
      return FALLBACK_SERVER;
    }
  }

  /**
   * The first {@code nameserver} line of resolv.conf text that names an IP address; a scope
   * ({@code fe80::1%eth0}) is dropped.
   */
  static Optional<String> firstNameserver(List<String> lines) {
    for (String line : lines) {
      String[] f = line.trim().split("\\s+");
      if (f.length >= 2 && f[0].equals("nameserver")) {
        String address = f[1].contains("%") ? f[1].substring(0, f[1].indexOf('%')) : f[1];
        if (NetUtil.isValidIpV4Address(address) || NetUtil.isValidIpV6Address(address)) {
          return Optional.of(address);
        }
      }
    }
    return Optional.empty();
  }
}
