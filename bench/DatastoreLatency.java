import dev.medic.config.Settings;
import dev.medic.probe.PostgresProbe;
import dev.medic.probe.PostgresProbeType;
import dev.medic.probe.Probe;
import dev.medic.probe.ProbeContext;
import dev.medic.probe.ProbeResult;
import dev.medic.probe.ProbeType;
import dev.medic.probe.RedisProbeType;
import dev.medic.testing.TestPostgres;
import dev.medic.testing.TestRedis;
import dev.medic.testing.TestSettings;
import io.vertx.core.Vertx;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.reflect.Field;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;

/**
 * Latency of the postgres and redis probes, for bench/datastores.sh, which measures raw clients
 * (psql, pgbench, redis-cli) against the same embedded servers. Prints "PG <port>", "REDIS <port>"
 * and "SQL <file>" (the probe's activity query, for pgbench), then its own measurements, then
 * "DONE"; stops the servers at the end of its standard input.
 *
 * <p>Each probe is measured twice: kept (one probe, its connection reused, as medic runs it) and
 * fresh (a new probe per run, so connecting and logging in are included, as in one psql call).
 * The latency is the probe's own (ProbeResult.latency), taken on the event loop.
 */
public class DatastoreLatency {

  public static void main(String[] args) throws Exception {
    int runs = args.length > 0 ? Integer.parseInt(args[0]) : 200;
    TestPostgres pg = TestPostgres.start();
    TestRedis redis = TestRedis.start();
    Vertx vertx = Vertx.vertx();
    try {
      Field f = PostgresProbe.class.getDeclaredField("ACTIVITY_QUERY");
      f.setAccessible(true);
      Path sql = Files.createTempFile("activity", ".sql");
      sql.toFile().deleteOnExit();
      Files.writeString(sql, "SELECT 1;\n" + ((String) f.get(null)).replace('\n', ' ') + ";\n");
      System.out.println("PG " + pg.port());
      System.out.println("REDIS " + redis.port());
      System.out.println("SQL " + sql);
      measure(vertx, "postgres", new PostgresProbeType(), "uri = \"" + pg.uri() + "\"", runs);
      measure(vertx, "redis", new RedisProbeType(), "uri = \"" + redis.uri() + "\"", runs);
      System.out.println("DONE");
      System.out.flush();
      new BufferedReader(new InputStreamReader(System.in)).lines().forEach(l -> { });
    } finally {
      vertx.close().await();
      redis.close();
      pg.close();
    }
  }

  private static void measure(Vertx vertx, String name, ProbeType type, String hocon, int runs) {
    Probe kept = probe(vertx, type, hocon);
    for (int i = 0; i < 200; i++) { // warm-up: JIT, pools
      kept.run().await();
    }
    List<Double> keptMs = new ArrayList<>();
    for (int i = 0; i < runs; i++) {
      keptMs.add(ms(kept.run().await()));
    }
    kept.close().await();
    List<Double> freshMs = new ArrayList<>();
    for (int i = 0; i < runs / 4 + 20; i++) {
      Probe fresh = probe(vertx, type, hocon);
      double ms = ms(fresh.run().await());
      fresh.close().await();
      if (i >= 20) { // the first few warm up the connect path
        freshMs.add(ms);
      }
    }
    System.out.println(line(name + " probe, kept connection", keptMs));
    System.out.println(line(name + " probe, new connection", freshMs));
  }

  private static Probe probe(Vertx vertx, ProbeType type, String hocon) {
    Settings s = TestSettings.of(hocon);
    return type.create(s, new ProbeContext(vertx, "bench", Duration.ofSeconds(5), () -> { }));
  }

  private static double ms(ProbeResult r) {
    if (!r.status().label().equals("ok")) {
      throw new IllegalStateException(r.message());
    }
    return r.latency().toNanos() / 1e6;
  }

  private static String line(String what, List<Double> ms) {
    Collections.sort(ms);
    return String.format(Locale.ROOT, "%-36s median %.3f ms  p90 %.3f ms  (%d runs)", what,
        ms.get(ms.size() / 2), ms.get((int) (ms.size() * 0.9)), ms.size());
  }
}
