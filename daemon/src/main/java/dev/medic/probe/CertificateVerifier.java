package dev.medic.probe;

import io.netty.util.NetUtil;
import java.net.IDN;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CertPathBuilderException;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateParsingException;
import java.security.cert.PKIXBuilderParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509CertSelector;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Date;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;
import javax.net.ssl.CertPathTrustManagerParameters;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;
import javax.security.auth.x500.X500Principal;

/**
 * Judges a certificate chain as a TLS client would — dates, a path to a trusted CA, the host
 * name — but reports every finding instead of failing at the first, so that an expired or
 * untrusted chain can still be read and described. No I/O: callers load the trust anchors (the
 * system store is a file) off the event loop and pass them in.
 *
 * <p>Trust is judged apart from the dates: the path is validated at a moment when every presented
 * certificate is valid, if there is one, so an expired certificate from a trusted CA reads
 * "expired" and "chain trusted" rather than only "validity check failed". Revocation (CRL, OCSP) is
 * not checked: it needs network access the probe does not make.
 */
final class CertificateVerifier {

  /** SAN entry types of {@link X509Certificate#getSubjectAlternativeNames()}. */
  private static final int SAN_DNS = 2;
  private static final int SAN_IP = 7;

  /** Names listed in a mismatch message; a CDN certificate may carry hundreds. */
  private static final int NAMES_SHOWN = 5;

  private CertificateVerifier() {}

  /**
   * What one chain showed.
   *
   * @param chain as presented (leaf first) or as read from the file
   * @param earliest index of the certificate that expires first (the leaf on a tie)
   * @param notYetValid index of a certificate whose validity has not started, or -1
   * @param untrusted why no path to a trusted CA was found; empty when one was
   * @param nameMismatch what did not match; empty when the name matched or was not checked
   * @param nameChecked whether a name was given to check
   */
  record Findings(
      List<X509Certificate> chain,
      int earliest,
      int notYetValid,
      Optional<String> untrusted,
      Optional<String> nameMismatch,
      boolean nameChecked) {

    X509Certificate earliestCertificate() {
      return chain.get(earliest);
    }

    Instant expiresAt() {
      return earliestCertificate().getNotAfter().toInstant();
    }
  }

  static Findings verify(List<X509Certificate> chain, Set<TrustAnchor> anchors, Optional<String> name, Instant now) {
    if (chain.isEmpty()) {
      throw new IllegalArgumentException("no certificate to verify");
    }
    int earliest = 0;
    int notYetValid = -1;
    for (int i = 0; i < chain.size(); i++) {
      X509Certificate c = chain.get(i);
      if (c.getNotAfter().before(chain.get(earliest).getNotAfter())) {
        earliest = i;
      }
      if (notYetValid < 0 && c.getNotBefore().toInstant().isAfter(now)) {
        notYetValid = i;
      }
    }
    return new Findings(List.copyOf(chain), earliest, notYetValid, untrusted(chain, anchors, now),
        name.flatMap(n -> nameMismatch(chain.get(0), n)), name.isPresent());
  }

  /** Why {@code chain} has no path to one of {@code anchors}, or empty when it has one. */
  static Optional<String> untrusted(List<X509Certificate> chain, Set<TrustAnchor> anchors, Instant now) {
    if (anchors.isEmpty()) {
      return Optional.of("no trusted CA certificates to check against");
    }
    try {
      PKIXBuilderParameters params = new PKIXBuilderParameters(anchors, new X509CertSelector());
      params.setRevocationEnabled(false);
      params.setDate(Date.from(validationMoment(chain, now)));
      TrustManagerFactory factory = TrustManagerFactory.getInstance("PKIX");
      factory.init(new CertPathTrustManagerParameters(params));
      // "UNKNOWN": no key-usage rule tied to a key exchange (as for TLS 1.3); extended key usage
      // (serverAuth) and the JDK's disabled algorithms are still enforced.
      trustManager(factory.getTrustManagers()).checkServerTrusted(chain.toArray(X509Certificate[]::new), "UNKNOWN");
      return Optional.empty();
    } catch (CertificateException e) {
      return Optional.of(reason(e));
    } catch (GeneralSecurityException e) {
      return Optional.of("cannot be checked: " + e.getMessage());
    }
  }

  /** Now when every certificate is valid now, else a moment when all are, if there is one. */
  private static Instant validationMoment(List<X509Certificate> chain, Instant now) {
    Instant lastStart = Instant.MIN;
    Instant firstEnd = Instant.MAX;
    for (X509Certificate c : chain) {
      Instant start = c.getNotBefore().toInstant();
      Instant end = c.getNotAfter().toInstant();
      lastStart = start.isAfter(lastStart) ? start : lastStart;
      firstEnd = end.isBefore(firstEnd) ? end : firstEnd;
    }
    boolean validNow = !now.isBefore(lastStart) && !now.isAfter(firstEnd);
    if (validNow || !lastStart.isBefore(firstEnd)) {
      return now;
    }
    return lastStart.plus(Duration.between(lastStart, firstEnd).dividedBy(2));
  }

  private static String reason(CertificateException e) {
    for (Throwable c = e; c != null; c = c.getCause() == c ? null : c.getCause()) {
      if (c instanceof CertPathBuilderException
          || String.valueOf(c.getMessage()).contains("unable to find valid certification path")) {
        return "no path to a trusted CA";
      }
      if (c instanceof CertPathValidatorException v && v.getMessage() != null) {
        return v.getMessage();
      }
    }
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    return root.getMessage() != null ? root.getMessage() : root.getClass().getSimpleName();
  }

  /**
   * Whether the certificate is for {@code name}: an IP address against the IP address entries of
   * the subject alternative names; a host name against the DNS entries (or, when there are none,
   * the subject's CN, as the JDK does), with the usual wildcard rule: {@code *.example.org}
   * matches exactly one more label ({@code www.example.org}, not {@code example.org} or
   * {@code a.b.example.org}), and never a bare public suffix such as {@code *.org}.
   *
   * @return what did not match, or empty when the name matched
   */
  static Optional<String> nameMismatch(X509Certificate leaf, String name) {
    List<String> dns = new ArrayList<>();
    List<String> ips = new ArrayList<>();
    try {
      Collection<List<?>> sans = leaf.getSubjectAlternativeNames();
      if (sans != null) {
        for (List<?> san : sans) {
          if (san.size() >= 2 && san.get(0) instanceof Integer type && san.get(1) instanceof String value) {
            if (type == SAN_DNS) {
              dns.add(value);
            } else if (type == SAN_IP) {
              ips.add(value);
            }
          }
        }
      }
    } catch (CertificateParsingException e) {
      return Optional.of("subject alternative names cannot be read: " + e.getMessage());
    }
    String bare = name.startsWith("[") && name.endsWith("]") ? name.substring(1, name.length() - 1) : name;
    byte[] ip = NetUtil.createByteArrayFromIpAddressString(bare);
    boolean matched;
    List<String> candidates;
    if (ip != null) {
      matched = ips.stream().anyMatch(v -> Arrays.equals(ip, NetUtil.createByteArrayFromIpAddressString(v)));
      candidates = ips;
    } else {
      candidates = dns.isEmpty() ? commonName(leaf.getSubjectX500Principal()).stream().toList() : dns;
      matched = candidates.stream().anyMatch(pattern -> matchesDns(pattern, name));
    }
    if (matched) {
      return Optional.empty();
    }
    Set<String> shown = new LinkedHashSet<>(dns);
    shown.addAll(ips);
    if (shown.isEmpty()) {
      commonName(leaf.getSubjectX500Principal()).ifPresent(shown::add);
    }
    String names = shown.isEmpty() ? "none" : String.join(", ", shown.stream().limit(NAMES_SHOWN).toList())
        + (shown.size() > NAMES_SHOWN ? ", … (" + shown.size() + " in all)" : "");
    return Optional.of(name + " is not among the certificate's names (" + names + ")");
  }

  /** RFC 6125 host name matching with a left-most whole-label wildcard only. */
  static boolean matchesDns(String pattern, String host) {
    String p = normalise(pattern);
    String h = normalise(host);
    if (!p.startsWith("*.")) {
      return p.equals(h);
    }
    String suffix = p.substring(1);
    if (suffix.indexOf('.', 1) < 0 || !h.endsWith(suffix)) {
      return false;
    }
    String label = h.substring(0, h.length() - suffix.length());
    return !label.isEmpty() && label.indexOf('.') < 0;
  }

  private static String normalise(String name) {
    String n = name.endsWith(".") ? name.substring(0, name.length() - 1) : name;
    try {
      n = IDN.toASCII(n, IDN.ALLOW_UNASSIGNED);
    } catch (IllegalArgumentException e) {
      // not an IDN-encodable name: compared as written
    }
    return n.toLowerCase(Locale.ROOT);
  }

  /** The most specific CN of a distinguished name. */
  static Optional<String> commonName(X500Principal principal) {
    try {
      List<Rdn> rdns = new LdapName(principal.getName(X500Principal.RFC2253)).getRdns();
      for (int i = rdns.size() - 1; i >= 0; i--) {
        if (rdns.get(i).getType().equalsIgnoreCase("CN")) {
          return Optional.of(String.valueOf(rdns.get(i).getValue()));
        }
      }
    } catch (InvalidNameException e) {
      // no CN to offer
    }
    return Optional.empty();
  }

  /** {@code CN=example.org} when the name has a CN, else the whole distinguished name. */
  static String shortName(X500Principal principal) {
    return commonName(principal).map(cn -> "CN=" + cn).orElseGet(() -> principal.getName(X500Principal.RFC2253));
  }

  /** Trust anchors made of the given CA certificates (a {@code ca} file). */
  static Set<TrustAnchor> anchors(Collection<X509Certificate> cas) {
    Set<TrustAnchor> out = new LinkedHashSet<>();
    for (X509Certificate c : cas) {
      out.add(new TrustAnchor(c, null));
    }
    return out;
  }

  /**
   * The JDK's default trust anchors ({@code javax.net.ssl.trustStore}, else {@code cacerts}).
   * Reads a file: call it off the event loop.
   */
  static Set<TrustAnchor> systemAnchors() throws GeneralSecurityException {
    TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    factory.init((KeyStore) null);
    return anchors(Arrays.asList(trustManager(factory.getTrustManagers()).getAcceptedIssuers()));
  }

  private static X509TrustManager trustManager(TrustManager[] managers) throws GeneralSecurityException {
    for (TrustManager m : managers) {
      if (m instanceof X509TrustManager x) {
        return x;
      }
    }
    throw new GeneralSecurityException("the JDK offers no X.509 trust manager");
  }
}
