package dev.medic.probe;

import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import dev.medic.config.Settings;
import dev.medic.probe.DnsProbe.RecordType;
import io.netty.util.NetUtil;
import java.net.IDN;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * The {@code dns} probe type: one question to one DNS server, answers checked against expected values.
 *
 * <pre>
 * name     required: the name to ask for, e.g. example.org or _dmarc.example.org
 * record   A (AAAA CNAME MX TXT)
 * server   the DNS server's IP address; default: the first nameserver of /etc/resolv.conf
 *          (read on the first run), 127.0.0.1 when it names none
 * port     53
 * expect   values that must all be among the answers: addresses for A and AAAA, host names for
 *          CNAME and MX (the exchange, without the preference), the text for TXT
 * </pre>
 */
public final class DnsProbeType implements ProbeType {

  /** One label of a host name after IDN encoding; underscores for service names (_dmarc, _domainkey). */
  private static final Pattern LABEL = Pattern.compile("[A-Za-z0-9_-]{1,63}");

  public DnsProbeType() {}

  @Override
  public String type() {
    return "dns";
  }

  @Override
  public Map<String, MeasurementSpec> measurements() {
    return Map.of("answers", MeasurementSpec.lowerIsWorse(Unit.COUNT));
  }

  @Override
  public Probe create(Settings settings, ProbeContext context) {
    String name = settings.string("name").trim();
    boolean valid = !name.isEmpty();
    if (name.isEmpty() && settings.has("name")) {
      settings.problem("name", "is empty (expected a domain name such as example.org)");
    } else if (!name.isEmpty() && !isDomainName(name)) {
      settings.problem("name", NetText.quote(name)
          + " is not a domain name (expected labels of letters, digits, dashes or underscores, e.g. example.org)");
      valid = false;
    }

    String allowed = Arrays.stream(RecordType.values()).map(Enum::name).collect(Collectors.joining(", "));
    RecordType record = RecordType.A;
    String written = settings.string("record", "A").trim().toUpperCase(Locale.ROOT);
    try {
      record = RecordType.valueOf(written);
    } catch (IllegalArgumentException e) {
      settings.problem("record", NetText.quote(written) + " is not allowed (expected one of: " + allowed + ")");
    }

    Optional<String> server = settings.optString("server").map(String::trim);
    if (server.isPresent()) {
      String bare = server.get().replaceAll("^\\[(.*)]$", "$1");
      if (!NetUtil.isValidIpV4Address(bare) && !NetUtil.isValidIpV6Address(bare)) {
        settings.problem("server", NetText.quote(server.get())
            + " is not an IP address (expected the DNS server's address, e.g. 127.0.0.53: a server given by name"
            + " would need DNS to be found)");
        valid = false;
      }
      server = Optional.of(bare);
    }
    int port = settings.integer("port", 53, 1, 65535);
    List<String> expect = expect(settings, record);
    return new DnsProbe(new DnsProbe.Config(valid, name, record, server, port, expect), context);
  }

  private static List<String> expect(Settings settings, RecordType record) {
    ConfigValue v = settings.value("expect");
    if (v != null && v.valueType() == ConfigValueType.LIST && ((List<?>) v.unwrapped()).isEmpty()) {
      settings.problem("expect", "is empty (expected at least one value, or no key)");
    }
    List<String> out = new ArrayList<>();
    for (String e : settings.strings("expect", List.of())) {
      String value = record == RecordType.TXT ? e : e.trim();
      Optional<String> wrong = switch (record) {
        case A -> NetUtil.isValidIpV4Address(value) ? Optional.empty() : Optional.of("an IPv4 address");
        case AAAA -> NetUtil.isValidIpV6Address(value) ? Optional.empty() : Optional.of("an IPv6 address");
        case CNAME, MX -> isDomainName(value) ? Optional.empty() : Optional.of("a host name");
        case TXT -> Optional.empty();
      };
      if (wrong.isPresent()) {
        settings.problem("expect", NetText.quote(value) + " is not " + wrong.get() + " (expected values of "
            + record + " records)");
      } else {
        out.add(DnsProbe.key(record, value));
      }
    }
    return List.copyOf(out);
  }

  /** A host or domain name, IDN allowed, at most 253 characters once encoded. */
  static boolean isDomainName(String name) {
    String n = name.endsWith(".") ? name.substring(0, name.length() - 1) : name;
    try {
      n = IDN.toASCII(n, IDN.ALLOW_UNASSIGNED);
    } catch (IllegalArgumentException e) {
      return false;
    }
    if (n.isEmpty() || n.length() > 253) {
      return false;
    }
    for (String label : n.split("\\.", -1)) {
      if (!LABEL.matcher(label).matches()) {
        return false;
      }
    }
    return true;
  }
}
