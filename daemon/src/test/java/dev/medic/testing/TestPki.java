package dev.medic.testing;

import io.netty.util.NetUtil;
import java.io.IOException;
import java.io.Writer;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.concurrent.atomic.AtomicLong;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A test certificate authority minted with BouncyCastle, and the server certificates it issues:
 * any validity (expired, a few days left, not yet valid) and any names. EC P-256 keys, so that a
 * test class can mint a dozen certificates in milliseconds. Files are PEM: the CA certificate
 * ({@link #caPem()}, usable as a {@code ca} file) and, per certificate, {@code NAME.pem} and its
 * PKCS#8 key {@code NAME-key.pem}, as {@link TestCertificate}s that Vert.x servers can load.
 */
public final class TestPki {

  private static final AtomicLong SERIAL = new AtomicLong(System.currentTimeMillis());

  private final Path dir;
  private final KeyPair caKeys;
  private final X509Certificate ca;
  private final Path caPem;

  private TestPki(Path dir, KeyPair caKeys, X509Certificate ca, Path caPem) {
    this.dir = dir;
    this.caKeys = caKeys;
    this.ca = ca;
    this.caPem = caPem;
  }

  /** A CA named {@code CN=medic test CA}, valid from a day ago for ten years, written to {@code dir/ca.pem}. */
  public static TestPki create(Path dir) throws IOException, GeneralSecurityException {
    KeyPair keys = keyPair();
    X500Name name = new X500Name("CN=medic test CA");
    Instant now = Instant.now();
    X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(name, serial(),
        Date.from(now.minus(Duration.ofDays(1))), Date.from(now.plus(Duration.ofDays(3650))), name, keys.getPublic());
    b.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
    b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
    X509Certificate ca = sign(b, keys.getPrivate());
    Path pem = dir.resolve("ca.pem");
    write(pem, ca);
    return new TestPki(dir, keys, ca, pem);
  }

  public Path caPem() {
    return caPem;
  }

  public X509Certificate caCertificate() {
    return ca;
  }

  /**
   * A server certificate issued by this CA.
   *
   * @param file base name of the files written: {@code file.pem}, {@code file-key.pem}
   * @param names subject alternative names: IP addresses as such, others as DNS names; the first is also the CN
   */
  public TestCertificate issue(String file, Instant notBefore, Instant notAfter, String... names)
      throws IOException, GeneralSecurityException {
    KeyPair keys = keyPair();
    X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(new X500Name("CN=medic test CA"), serial(),
        Date.from(notBefore), Date.from(notAfter), new X500Name("CN=" + names[0]), keys.getPublic());
    serverExtensions(b, names);
    return writeCertificate(file, sign(b, caKeys.getPrivate()), keys.getPrivate());
  }

  /** A self-signed server certificate for {@code names}, valid from an hour ago until {@code days} (and an hour) from now. */
  public TestCertificate selfSigned(String file, int days, String... names) throws IOException, GeneralSecurityException {
    KeyPair keys = keyPair();
    X500Name subject = new X500Name("CN=" + names[0]);
    Instant now = Instant.now();
    X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(subject, serial(),
        Date.from(now.minus(Duration.ofHours(1))), Date.from(now.plus(Duration.ofDays(days)).plus(Duration.ofHours(1))),
        subject, keys.getPublic());
    serverExtensions(b, names);
    return writeCertificate(file, sign(b, keys.getPrivate()), keys.getPrivate());
  }

  /** An issued certificate valid from a day ago until {@code days} (and an hour) from now. */
  public TestCertificate issueForDays(String file, int days, String... names) throws IOException, GeneralSecurityException {
    Instant now = Instant.now();
    // The extra hour keeps "expires in N days" stable while the test runs.
    return issue(file, now.minus(Duration.ofDays(1)), now.plus(Duration.ofDays(days)).plus(Duration.ofHours(1)), names);
  }

  /** Concatenates PEM files into one, as a fullchain.pem is made. */
  public Path concat(String file, Path... pems) throws IOException {
    Path out = dir.resolve(file);
    StringBuilder all = new StringBuilder();
    for (Path p : pems) {
      all.append(Files.readString(p));
    }
    Files.writeString(out, all);
    return out;
  }

  private static void serverExtensions(X509v3CertificateBuilder b, String... names) throws IOException {
    GeneralName[] sans = new GeneralName[names.length];
    for (int i = 0; i < names.length; i++) {
      boolean ip = NetUtil.isValidIpV4Address(names[i]) || NetUtil.isValidIpV6Address(names[i]);
      sans[i] = new GeneralName(ip ? GeneralName.iPAddress : GeneralName.dNSName, names[i]);
    }
    b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(sans));
    b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
    b.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_serverAuth));
  }

  private TestCertificate writeCertificate(String file, X509Certificate cert, PrivateKey key) throws IOException {
    Path certPem = dir.resolve(file + ".pem");
    Path keyPem = dir.resolve(file + "-key.pem");
    write(certPem, cert);
    try (Writer w = Files.newBufferedWriter(keyPem); JcaPEMWriter pem = new JcaPEMWriter(w)) {
      pem.writeObject(new JcaPKCS8Generator(key, null));
    }
    return new TestCertificate(certPem, keyPem);
  }

  private static void write(Path file, X509Certificate cert) throws IOException {
    try (Writer w = Files.newBufferedWriter(file); JcaPEMWriter pem = new JcaPEMWriter(w)) {
      pem.writeObject(cert);
    }
  }

  private static X509Certificate sign(X509v3CertificateBuilder b, PrivateKey key) throws GeneralSecurityException {
    try {
      return new JcaX509CertificateConverter().getCertificate(
          b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(key)));
    } catch (OperatorCreationException e) {
      throw new GeneralSecurityException(e);
    }
  }

  private static KeyPair keyPair() throws GeneralSecurityException {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(256);
    return g.generateKeyPair();
  }

  private static BigInteger serial() {
    return BigInteger.valueOf(SERIAL.incrementAndGet());
  }
}
