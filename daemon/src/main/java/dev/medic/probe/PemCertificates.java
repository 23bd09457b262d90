package dev.medic.probe;

import java.io.ByteArrayInputStream;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The certificates in PEM text, in file order. Only {@code CERTIFICATE} blocks are read: a file
 * that also holds the private key (a combined {@code .pem}) or openssl's "Bag Attributes" lines
 * is read as well, where the JDK's own PEM reader would stop at the first foreign block.
 */
final class PemCertificates {

  private static final Pattern BLOCK = Pattern.compile(
      "-----BEGIN CERTIFICATE-----([A-Za-z0-9+/=\\s]*?)-----END CERTIFICATE-----");

  private PemCertificates() {}

  /**
   * @return the certificates found; empty when the text holds none
   * @throws CertificateException when a CERTIFICATE block is not a certificate, naming which one
   */
  static List<X509Certificate> parse(String pem) throws CertificateException {
    CertificateFactory factory = CertificateFactory.getInstance("X.509");
    List<X509Certificate> out = new ArrayList<>();
    Matcher m = BLOCK.matcher(pem);
    while (m.find()) {
      byte[] der;
      try {
        der = Base64.getMimeDecoder().decode(m.group(1));
      } catch (IllegalArgumentException e) {
        throw new CertificateException("certificate " + (out.size() + 1) + " is not valid base64");
      }
      try {
        out.add((X509Certificate) factory.generateCertificate(new ByteArrayInputStream(der)));
      } catch (CertificateException e) {
        throw new CertificateException("certificate " + (out.size() + 1) + " cannot be parsed: " + e.getMessage(), e);
      }
    }
    return out;
  }
}
