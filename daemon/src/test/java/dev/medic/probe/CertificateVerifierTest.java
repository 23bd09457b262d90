package dev.medic.probe;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Host name matching; chains, dates and trust are tested against real servers in {@link TlsProbeTest}. */
class CertificateVerifierTest {

  @ParameterizedTest(name = "{0} vs {1} -> {2}")
  @CsvSource({
      "www.example.org,       www.example.org,    true",
      "WWW.Example.ORG,       www.example.org.,   true",
      "*.example.org,         www.example.org,    true",
      "*.example.org,         example.org,        false",
      "*.example.org,         a.b.example.org,    false",
      "*.example.org,         .example.org,       false",
      "*.org,                 example.org,        false",
      "f*.example.org,        foo.example.org,    false",
      "www.*.org,             www.example.org,    false",
      "xn--bcher-kva.example, bücher.example,     true",
      "www.example.org,       www.example.net,    false",
  })
  void hostNamesMatchWithTheUsualWildcardRule(String pattern, String host, boolean matches) {
    assertThat(CertificateVerifier.matchesDns(pattern, host)).isEqualTo(matches);
  }
}
