package dev.medic.config;

import java.time.Duration;
import java.util.Optional;

/**
 * Where the HTTP API listens, the token its control endpoints require (never printed), and the
 * limits that keep clients from taking medic's memory or descriptors (docs/api.md "Limits").
 *
 * @param idleTimeout a connection that reads and writes nothing for this long is closed
 * @param headerTimeout how long a client has to send a whole request (headers and body), counted
 *     from the connection's start or the end of the previous answer; a slowloris trickling one
 *     byte at a time is closed at this deadline
 * @param maxConnections the configured cap on concurrent API connections; the limit in force is
 *     also bounded by the process's descriptor limit (see {@code ApiVerticle})
 * @param maxEventClients how many {@code /events} streams may be open at once; more answer 503
 * @param eventsBacklog how many events a {@code /events} client may fall behind (once its write
 *     queue is full) before it is dropped
 */
public record ApiConfig(String host, int port, Optional<String> token, Duration idleTimeout, Duration headerTimeout,
    int maxConnections, int maxEventClients, int eventsBacklog) {

  public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofSeconds(60);
  public static final Duration DEFAULT_HEADER_TIMEOUT = Duration.ofSeconds(10);
  public static final int DEFAULT_MAX_CONNECTIONS = 256;
  public static final int DEFAULT_MAX_EVENT_CLIENTS = 32;
  public static final int DEFAULT_EVENTS_BACKLOG = 256;

  /** The defaults for every limit (tests and embedded use). */
  public ApiConfig(String host, int port, Optional<String> token) {
    this(host, port, token, DEFAULT_IDLE_TIMEOUT, DEFAULT_HEADER_TIMEOUT, DEFAULT_MAX_CONNECTIONS,
        DEFAULT_MAX_EVENT_CLIENTS, DEFAULT_EVENTS_BACKLOG);
  }

  @Override
  public String toString() {
    return "ApiConfig[host=" + host + ", port=" + port + ", token=" + (token.isPresent() ? "****" : "none")
        + ", idleTimeout=" + idleTimeout + ", headerTimeout=" + headerTimeout + ", maxConnections=" + maxConnections
        + ", maxEventClients=" + maxEventClients + ", eventsBacklog=" + eventsBacklog + "]";
  }
}
