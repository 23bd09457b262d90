package dev.medic.config;

import com.typesafe.config.ConfigList;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueFactory;
import com.typesafe.config.ConfigValueType;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Masks secrets before anything configured is printed: values of keys, headers and environment
 * variables whose name says they hold a secret ({@link #isSecretName}), credentials written as a
 * value ({@code Bearer …}), and the password part of URIs ({@code postgresql://medic:****@db/app}).
 * Everything else stays visible: a plan that hides {@code Host} or {@code LC_ALL} cannot be checked.
 */
public final class Secrets {

  public static final String MASK = "****";
  /** Words that make a name secret wherever they appear in it: {@code DB_PASSWORD}, {@code X-Api-Token}. */
  private static final Pattern SECRET_WORD = Pattern.compile(
      "(?i).*(password|passwd|passphrase|token|secret|credential|authorization|api[-_]?key|private[-_]?key).*");
  /**
   * Words, between {@code - _ .}, that are secret only as a whole word, so that {@code bypass},
   * {@code PWD} (the working directory) and {@code key-prefix} stay visible: {@code pass} anywhere
   * ({@code REDIS_PASS}); {@code cookie} or {@code auth} last ({@code Set-Cookie}, {@code X-Auth});
   * {@code key} or {@code pwd} last after another word ({@code X-Functions-Key}, {@code MYSQL_PWD}).
   */
  private static final Pattern SECRET_SEGMENT =
      Pattern.compile("(?i)(.*[-_.])?pass([-_.].*)?|(.*[-_.])?(cookie|auth)|.+[-_.](key|pwd)");
  /** A value that is a credential whatever its key is called: {@code Authorization}'s schemes. */
  private static final Pattern CREDENTIAL_VALUE =
      Pattern.compile("(?i)(bearer|basic|digest|negotiate)\\s+[A-Za-z0-9._~+/=-]{6,}");
  private static final Pattern URI_PASSWORD = Pattern.compile("([a-zA-Z][a-zA-Z0-9+.-]*://[^:/@\\s]*):([^@\\s]*)@");
  /** A query parameter whose name holds a secret word: token, access_token, api_key, X-Amz-Signature. */
  private static final Pattern URI_QUERY_SECRET =
      Pattern.compile("(?i)([?&][\\w.-]*(?:pass|token|secret|key|sig|auth)[\\w.-]*=)[^&#\\s]*");

  private static final Pattern SECRET_FLAG =
      Pattern.compile("(?i)(-p|--?[a-z-]*(password|passwd|pass|token|secret|api-?key|auth)[a-z-]*)");
  private static final Pattern SECRET_FLAG_INLINE =
      Pattern.compile("(?i)--?[a-z-]*(password|passwd|pass|token|secret|api-?key|auth)[a-z-]*=.+");
  /** Webhook URLs whose path is the credential (Slack, Discord, Teams, Mattermost hooks). */
  private static final Pattern WEBHOOK_PATH =
      Pattern.compile("(?i)(https?://[^/\\s]*(hooks\\.slack\\.com|discord(app)?\\.com/api/webhooks|webhook\\.office\\.com"
          + "|/hooks)/)[^\\s?#]+");

  private Secrets() {}

  /**
   * Whether a key, a header or an environment variable of this name holds a secret, ignoring case:
   * a name containing {@code authorization} ({@code Proxy-Authorization} too), {@code token},
   * {@code password}, {@code passwd}, {@code passphrase}, {@code secret}, {@code credential},
   * {@code api-key}/{@code apikey}/{@code api_key} or {@code private-key}; or with the word
   * {@code pass}; or ending in the word {@code cookie} ({@code Set-Cookie}), {@code auth},
   * {@code key} ({@code X-Api-Key}, {@code STRIPE_KEY}) or {@code pwd} ({@code MYSQL_PWD}).
   * Not secret: {@code Host}, {@code LC_ALL}, {@code User-Agent}, {@code PWD}, {@code key-prefix}.
   */
  public static boolean isSecretName(String name) {
    return SECRET_WORD.matcher(name).matches() || SECRET_SEGMENT.matcher(name).matches();
  }

  /** A copy of {@code value} with secrets masked, ready to render. */
  public static ConfigValue mask(ConfigValue value) {
    return mask(value, false);
  }

  /** A string with any URI credentials masked, for messages that quote a target. */
  public static String maskUri(String s) {
    s = WEBHOOK_PATH.matcher(s).replaceAll("$1" + MASK);
    String out = URI_PASSWORD.matcher(s).replaceAll("$1:" + MASK + "@");
    return URI_QUERY_SECRET.matcher(out).replaceAll("$1" + MASK);
  }

  private static final Pattern URL_PATH = Pattern.compile("([a-zA-Z][a-zA-Z0-9+.-]*://[^/?#\\s]*)/[^?#\\s]+");

  /**
   * A copy of a channel's or an action's settings with the path of every {@code url} masked
   * ({@code https://hooks.slack.com/****}): for an incoming webhook the path is the credential, and
   * nothing says which paths are. Then {@link #mask} for the rest.
   */
  public static ConfigValue maskWithUrlPaths(ConfigValue value) {
    return mask(urlPaths(value, false));
  }

  private static ConfigValue urlPaths(ConfigValue value, boolean url) {
    return switch (value.valueType()) {
      case OBJECT -> {
        Map<String, Object> out = new LinkedHashMap<>();
        for (Map.Entry<String, ConfigValue> e : ((ConfigObject) value).entrySet()) {
          String key = e.getKey().toLowerCase(Locale.ROOT);
          out.put(e.getKey(), urlPaths(e.getValue(), key.equals("url") || key.endsWith("-url") || key.equals("urls")));
        }
        yield ConfigValueFactory.fromMap(out, value.origin().description());
      }
      case LIST -> {
        List<Object> out = new ArrayList<>();
        for (ConfigValue item : (ConfigList) value) {
          out.add(urlPaths(item, url));
        }
        yield ConfigValueFactory.fromIterable(out, value.origin().description());
      }
      case STRING -> url
          ? ConfigValueFactory.fromAnyRef(URL_PATH.matcher((String) value.unwrapped()).replaceAll("$1/" + MASK),
              value.origin().description())
          : value;
      default -> value;
    };
  }

  private static String maskValue(String s) {
    Matcher credential = CREDENTIAL_VALUE.matcher(s.strip());
    return credential.matches() ? credential.group(1) + " " + MASK : maskUri(s);
  }

  private static ConfigValue mask(ConfigValue value, boolean secret) {
    return switch (value.valueType()) {
      case OBJECT -> {
        Map<String, Object> out = new LinkedHashMap<>();
        for (Map.Entry<String, ConfigValue> e : ((ConfigObject) value).entrySet()) {
          out.put(e.getKey(), mask(e.getValue(), secret || isSecretName(e.getKey())));
        }
        yield ConfigValueFactory.fromMap(out, value.origin().description());
      }
      case LIST -> {
        List<Object> out = new ArrayList<>();
        boolean afterSecretFlag = false;
        for (ConfigValue item : (ConfigList) value) {
          // An argument vector: the word after --password, -p, --token … is the secret itself,
          // and --password=x carries it inline.
          String text = item.valueType() == ConfigValueType.STRING ? (String) item.unwrapped() : "";
          if (SECRET_FLAG_INLINE.matcher(text).matches()) {
            out.add(ConfigValueFactory.fromAnyRef(text.substring(0, text.indexOf('=') + 1) + MASK));
          } else {
            out.add(mask(item, secret || afterSecretFlag));
          }
          afterSecretFlag = SECRET_FLAG.matcher(text).matches();
        }
        yield ConfigValueFactory.fromIterable(out, value.origin().description());
      }
      case STRING -> ConfigValueFactory.fromAnyRef(
          secret ? MASK : maskValue((String) value.unwrapped()), value.origin().description());
      case NULL -> value;
      default -> secret && value.valueType() != ConfigValueType.BOOLEAN
          ? ConfigValueFactory.fromAnyRef(MASK) : value;
    };
  }
}
