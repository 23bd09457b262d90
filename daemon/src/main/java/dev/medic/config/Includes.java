package dev.medic.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigIncludeContext;
import com.typesafe.config.ConfigIncluder;
import com.typesafe.config.ConfigIncluderFile;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigOrigin;
import com.typesafe.config.ConfigOriginFactory;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueFactory;
import com.typesafe.config.ConfigValueType;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * medic's rules for {@code include}, stricter than HOCON's: a file is included relative to the
 * file that includes it, whatever the working directory (typesafe drops a relative include when
 * the main file was named without a directory); a missing file is an error with its file and
 * line (HOCON ignores it, and medic would run without half its checks because of a typo) unless
 * written {@code include "optional:conf.d/local.conf"}; and a check, action or channel defined in
 * two files is an error naming both (HOCON would merge the two silently).
 *
 * <p>One instance reads one main file: {@link #parse} it, then ask for {@link #duplicates}.
 */
final class Includes {

  static final String OPTIONAL = "optional:";
  /** Kinds of named definition that one file must own alone. */
  private static final List<String> DEFINITIONS = List.of("medic.checks", "medic.actions", "medic.notify");
  /** A key no configuration has: it marks where an included file's content landed. */
  private static final String MARK = "medic-include-mark-7f3a";

  private final Problems problems;
  private final ConfigParseOptions options;
  private final List<Inclusion> inclusions = new ArrayList<>();

  /** A file included at some point of the tree: {@code mount} is found after the parse. */
  private record Inclusion(File file, ConfigObject own, String mark) {}

  Includes(Problems problems, ConfigParseOptions options) {
    this.problems = problems;
    this.options = options;
  }

  /** The main file with every include read by medic's rules; problems go to {@code problems}. */
  Config parse(File main) {
    Config parsed = ConfigFactory.parseFile(main, options.setIncluder(new Includer(main, false, List.of())));
    Map<String, String> mounts = new LinkedHashMap<>();
    findMarks(parsed.root(), "", mounts);
    for (String mark : mounts.keySet()) {
      parsed = parsed.withoutPath(Settings.join(mounts.get(mark), mark));
    }
    reportDuplicates(main, mounts);
    return parsed;
  }

  private static void findMarks(ConfigObject o, String path, Map<String, String> mounts) {
    for (Map.Entry<String, ConfigValue> e : o.entrySet()) {
      if (e.getKey().startsWith(MARK)) {
        mounts.put(e.getKey(), path);
      } else if (e.getValue() instanceof ConfigObject child) {
        // By class, not valueType(): that throws for a value still to be resolved (${VAR}).
        findMarks(child, Settings.join(path, e.getKey()), mounts);
      }
    }
  }

  /** Each name of {@link #DEFINITIONS} defined in more than one file: a problem at the later one. */
  private void reportDuplicates(File main, Map<String, String> mounts) {
    ConfigObject mainOwn = ConfigFactory.parseFile(main, options.setIncluder(new Includer(main, true, List.of())))
        .root();
    List<Map.Entry<String, ConfigObject>> files = new ArrayList<>();
    files.add(Map.entry("", mainOwn));
    Map<ConfigObject, File> fileOf = new java.util.IdentityHashMap<>();
    fileOf.put(mainOwn, main);
    for (Inclusion i : inclusions) {
      String mount = mounts.get(i.mark());
      if (mount != null) {
        files.add(Map.entry(mount, i.own()));
        fileOf.put(i.own(), i.file());
      }
    }
    for (String kind : DEFINITIONS) {
      Map<String, ConfigOrigin> first = new LinkedHashMap<>();
      Map<String, File> firstFile = new LinkedHashMap<>();
      for (Map.Entry<String, ConfigObject> f : files) {
        Optional<ConfigObject> defs = at(f.getValue(), f.getKey(), kind);
        if (defs.isEmpty()) {
          continue;
        }
        File file = fileOf.get(f.getValue());
        for (Map.Entry<String, ConfigValue> d : defs.get().entrySet()) {
          String name = d.getKey();
          ConfigOrigin here = d.getValue().origin();
          File seen = firstFile.get(name);
          if (seen == null) {
            first.put(name, here);
            firstFile.put(name, file);
          } else if (!seen.getAbsoluteFile().equals(file.getAbsoluteFile())) {
            problems.add(here, Settings.join(kind, name), "is also defined in " + where(main, first.get(name))
                + " (HOCON would merge the two into one; expected each " + noun(kind)
                + " defined in one file: rename one, or remove one)");
          }
        }
      }
    }
  }

  private static String noun(String kind) {
    return switch (kind) {
      case "medic.checks" -> "check";
      case "medic.actions" -> "action";
      default -> "channel";
    };
  }

  /** file:line, the file relative to the main file's directory when it lies below it. */
  private static String where(File main, ConfigOrigin o) {
    String file = o.filename() != null ? o.filename() : o.description();
    java.nio.file.Path dir = main.getAbsoluteFile().toPath().getParent();
    java.nio.file.Path path = java.nio.file.Path.of(file).toAbsolutePath().normalize();
    if (dir != null && path.startsWith(dir)) {
      file = dir.relativize(path).toString();
    }
    return o.lineNumber() > 0 ? file + ":" + o.lineNumber() : file;
  }

  /**
   * The object at {@code kind} of a file whose content landed at {@code mount}; empty when the
   * file holds none, or landed inside one definition (a check assembled from a shared part is
   * one definition, not two).
   */
  private static Optional<ConfigObject> at(ConfigObject own, String mount, String kind) {
    String rest;
    if (mount.isEmpty()) {
      rest = kind;
    } else if (kind.equals(mount)) {
      return Optional.of(own);
    } else if (kind.startsWith(mount + ".")) {
      rest = kind.substring(mount.length() + 1);
    } else {
      return Optional.empty();
    }
    Config c = own.toConfig();
    try {
      return c.hasPath(rest) && c.getValue(rest).valueType() == ConfigValueType.OBJECT
          ? Optional.of(c.getObject(rest)) : Optional.empty();
    } catch (com.typesafe.config.ConfigException e) {
      return Optional.empty();
    }
  }

  /** Reads the includes of one file, relative to that file. */
  private final class Includer implements ConfigIncluder, ConfigIncluderFile {

    private final File including;
    /** Includes nothing: gives a file's own content, to see what it defines itself. */
    private final boolean hollow;
    /** The files that include this one, outermost first: an include of one of them is a cycle. */
    private final List<File> chain;
    private int scanFrom;

    Includer(File including, boolean hollow, List<File> above) {
      this.including = including;
      this.hollow = hollow;
      List<File> chain = new ArrayList<>(above);
      chain.add(including.getAbsoluteFile());
      this.chain = List.copyOf(chain);
    }

    @Override
    public ConfigIncluder withFallback(ConfigIncluder fallback) {
      return this;
    }

    @Override
    public ConfigObject include(ConfigIncludeContext context, String what) {
      return read(what);
    }

    @Override
    public ConfigObject includeFile(ConfigIncludeContext context, File what) {
      return read(what.getPath());
    }

    private ConfigObject read(String written) {
      if (hollow) {
        return ConfigFactory.empty().root();
      }
      boolean optional = written.startsWith(OPTIONAL);
      String name = optional ? written.substring(OPTIONAL.length()) : written;
      File dir = including.getAbsoluteFile().getParentFile();
      File file = new File(name).isAbsolute() ? new File(name) : new File(dir, name);
      if (!file.exists() && !name.contains(".") && new File(file.getPath() + ".conf").exists()) {
        file = new File(file.getPath() + ".conf"); // as HOCON: include "checks" reads checks.conf
      }
      ConfigOrigin at = ConfigOriginFactory.newFile(including.getPath()).withLineNumber(lineOf(written));
      if (!file.isFile() || !file.canRead()) {
        if (!optional) {
          String what = file.exists() ? "is not a readable file" : "does not exist";
          problems.add(at, "", "include \"" + written + "\": the file " + what + " (expected a readable file, a path"
              + " relative to the directory of the file that includes it; or include \"" + OPTIONAL + name
              + "\" for a file that may be absent)");
        }
        return ConfigFactory.empty().root();
      }
      File absolute = file.getAbsoluteFile();
      if (chain.contains(absolute)) {
        List<String> names = new ArrayList<>();
        for (File f : chain.subList(chain.indexOf(absolute), chain.size())) {
          names.add(f.getName());
        }
        names.add(absolute.getName());
        problems.add(at, "", "include \"" + written + "\": an include cycle " + String.join(" → ", names)
            + " (expected each file included once, by a file it does not include)");
        return ConfigFactory.empty().root();
      }
      // A syntax error in the included file propagates: it is reported with that file and line.
      ConfigObject content = ConfigFactory.parseFile(absolute,
          options.setIncluder(new Includer(absolute, false, chain))).root();
      ConfigObject own = ConfigFactory.parseFile(absolute,
          options.setIncluder(new Includer(absolute, true, chain))).root();
      String mark = MARK + "-" + inclusions.size();
      inclusions.add(new Inclusion(absolute, own, mark));
      return content.withValue(mark, ConfigValueFactory.fromAnyRef(true));
    }

    /** The line of the include statement naming {@code written}: origins of includes are not kept. */
    private int lineOf(String written) {
      try {
        List<String> lines = Files.readAllLines(including.toPath(), StandardCharsets.UTF_8);
        for (int i = scanFrom; i < lines.size(); i++) {
          String l = lines.get(i);
          if (l.contains("include") && l.contains(written)) {
            scanFrom = i + 1;
            return i + 1;
          }
        }
      } catch (IOException | RuntimeException e) {
        // no line then: the file is still named
      }
      return -1;
    }
  }
}
