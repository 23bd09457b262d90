package dev.medic.testing;

import com.typesafe.config.ConfigUtil;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.Collection;
import java.util.stream.Collectors;

/** Executable shell scripts written by tests, and HOCON quoting for the paths and lists they use. */
public final class Scripts {

  private Scripts() {}

  /** Writes {@code #!/bin/sh} and {@code body} to {@code file} and makes it executable. */
  public static Path write(Path file, String body) throws IOException {
    Files.writeString(file, "#!/bin/sh\n" + body);
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
    return file;
  }

  public static String quote(String s) {
    return ConfigUtil.quoteString(s);
  }

  /** A HOCON list of quoted strings. */
  public static String list(String... items) {
    return list(Arrays.asList(items));
  }

  public static String list(Collection<String> items) {
    return items.stream().map(ConfigUtil::quoteString).collect(Collectors.joining(", ", "[", "]"));
  }
}
