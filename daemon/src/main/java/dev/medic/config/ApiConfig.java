package dev.medic.config;

import java.util.Optional;

/** Where the HTTP API listens and the token its control endpoints require (never printed). */
public record ApiConfig(String host, int port, Optional<String> token) {

  @Override
  public String toString() {
    return "ApiConfig[host=" + host + ", port=" + port + ", token=" + (token.isPresent() ? "****" : "none") + "]";
  }
}
