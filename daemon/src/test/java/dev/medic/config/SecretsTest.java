package dev.medic.config;

import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigRenderOptions;
import com.typesafe.config.ConfigValue;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class SecretsTest {

  private static Config masked(String hocon) {
    ConfigValue v = Secrets.mask(ConfigFactory.parseString(hocon).root());
    return ((ConfigObject) v).toConfig();
  }

  @ParameterizedTest(name = "{0} is masked")
  @CsvSource(delimiter = '|', textBlock = """
      password = "hunter2"                  | password
      db-password = "hunter2"               | db-password
      passwd = "hunter2"                    | passwd
      token = "s3cr3t-token"                | token
      MEDIC_TOKEN = "s3cr3t-token"          | MEDIC_TOKEN
      secret = "x"                          | secret
      client-secret = "x"                   | client-secret
      Authorization = "Bearer abc123"       | Authorization
      api-key = "k"                         | api-key
      apikey = "k"                          | apikey
      credentials = "user:pw"               | credentials
      cookie = "session=1"                  | cookie
      password = 12345                      | password
      headers { Authorization = "Basic x" } | headers.Authorization
      headers { X-Api-Token = "t" }         | headers.X-Api-Token
      env { DB_PASSWORD = "p" }             | env.DB_PASSWORD
      env { PIN_SECRET = 1234 }             | env.PIN_SECRET
      smtp { password = "p" }               | smtp.password
      token { value = "t" }                 | token.value
      """)
  void valuesOfSecretKeysAreMasked(String hocon, String path) {
    assertThat(masked(hocon).getValue(path).unwrapped()).isEqualTo(Secrets.MASK);
  }

  @ParameterizedTest(name = "{0} is kept")
  @CsvSource(delimiter = '|', textBlock = """
      port = 5432                        | port      | 5432
      enabled = true                     | enabled   | true
      token-required = false             | token-required | false
      timeout = 5s                       | timeout   | 5s
      host = "127.0.0.1"                 | host      | 127.0.0.1
      path = "/var/lib/medic"            | path      | /var/lib/medic
      url = "http://127.0.0.1:3000/health" | url     | http://127.0.0.1:3000/health
      uri = "postgresql://medic@db/app"  | uri       | postgresql://medic@db/app
      headers { Host = "app.internal" }  | headers.Host | app.internal
      headers { X-Custom = "anything" }  | headers.X-Custom | anything
      env { LC_ALL = "C.UTF-8" }         | env.LC_ALL | C.UTF-8
      env { RETRIES = 3 }                | env.RETRIES | 3
      """)
  void otherValuesAreKept(String hocon, String path, String expected) {
    assertThat(String.valueOf(masked(hocon).getValue(path).unwrapped())).isEqualTo(expected);
  }

  @ParameterizedTest(name = "{0} secret: {1}")
  @CsvSource(delimiter = '|', textBlock = """
      Authorization         | true
      authorization         | true
      Proxy-Authorization   | true
      Cookie                | true
      Set-Cookie            | true
      X-Api-Token           | true
      X-Auth-Token          | true
      GITHUB_TOKEN          | true
      token-file            | true
      DB_PASSWORD           | true
      PGPASSWORD            | true
      passwd                | true
      ssh-passphrase        | true
      REDIS_PASS            | true
      pass                  | true
      MYSQL_PWD             | true
      client-secret         | true
      AWS_SECRET_ACCESS_KEY | true
      credentials           | true
      GOOGLE_APPLICATION_CREDENTIALS | true
      api-key               | true
      apikey                | true
      API_KEY               | true
      x-apikey              | true
      private-key           | true
      PRIVATE_KEY           | true
      X-Api-Key             | true
      X-Functions-Key       | true
      STRIPE_KEY            | true
      X-Auth                | true
      REDIS_AUTH            | true
      Host                  | false
      LC_ALL                | false
      LANG                  | false
      PATH                  | false
      HOME                  | false
      PWD                   | false
      TZ                    | false
      User-Agent            | false
      Accept                | false
      Content-Type          | false
      X-Request-Id          | false
      X-Forwarded-For       | false
      X-Trace               | false
      DATABASE_URL          | false
      RETRIES               | false
      key                   | false
      key-prefix            | false
      evicted-keys          | false
      bypass                | false
      passive               | false
      compass               | false
      author                | false
      authority             | false
      monkey                | false
      url                   | false
      user                  | false
      """)
  void secretNames(String name, boolean secret) {
    assertThat(Secrets.isSecretName(name)).isEqualTo(secret);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', textBlock = """
      Bearer eyJhbGciOiJIUzI1NiJ9.e30.abc | Bearer ****
      Basic dXNlcjpwdw==                  | Basic ****
      Basic health check                  | Basic health check
      bearer                              | bearer
      """)
  void credentialsWrittenAsAValueAreMaskedWhateverTheKey(String value, String expected) {
    assertThat(masked("headers { X-Upstream = \"" + value + "\" }").getString("headers.X-Upstream"))
        .isEqualTo(expected);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', textBlock = """
      postgresql://medic:hunter2@127.0.0.1:5432/app       | postgresql://medic:****@127.0.0.1:5432/app
      redis://:s3cret@127.0.0.1:6379/0                    | redis://:****@127.0.0.1:6379/0
      https://user:pa55@example.org/x                     | https://user:****@example.org/x
      https://example.org/hook?token=abc&x=1              | https://example.org/hook?token=****&x=1
      https://example.org/hook?x=1&password=abc           | https://example.org/hook?x=1&password=****
      https://example.org/hook?access_token=abc           | https://example.org/hook?access_token=****
      https://example.org/hook?api_key=abc&x=1            | https://example.org/hook?api_key=****&x=1
      https://bucket.example.org/o?X-Amz-Signature=abc    | https://bucket.example.org/o?X-Amz-Signature=****
      http://127.0.0.1:3000/health                        | http://127.0.0.1:3000/health
      https://example.org/search?q=tokens                 | https://example.org/search?q=tokens
      connect to postgresql://u:p@db/app failed           | connect to postgresql://u:****@db/app failed
      """)
  void uriCredentialsAreMasked(String uri, String expected) {
    assertThat(Secrets.maskUri(uri)).isEqualTo(expected);
    assertThat(masked("uri = \"" + uri + "\"").getString("uri")).isEqualTo(expected);
  }

  @Test
  void urisInListsAreMaskedToo() {
    Config c = masked("targets = [\"redis://:pw@a:6379\", \"http://b/health\"]");

    assertThat(c.getStringList("targets")).containsExactly("redis://:****@a:6379", "http://b/health");
  }

  @Test
  void argumentsAfterSecretFlagsAreMasked() {
    Config c = masked("command = [\"/usr/bin/tool\", \"--password\", \"hunter2\", \"--token=abc\", \"-p\", \"pw\","
        + " \"--verbose\", \"file.txt\"]");

    assertThat(c.getStringList("command")).containsExactly("/usr/bin/tool", "--password", "****", "--token=****",
        "-p", "****", "--verbose", "file.txt");
  }

  @Test
  void webhookUrlsWhosePathIsTheSecretAreMasked() {
    assertThat(Secrets.maskUri("https://hooks.slack.com/services/T000/B000/XXXXSECRET"))
        .isEqualTo("https://hooks.slack.com/****");
    assertThat(Secrets.maskUri("https://discord.com/api/webhooks/123/abcSECRET"))
        .doesNotContain("abcSECRET");
  }

  @Test
  void theMaskedValueRendersWithoutAnySecret() {
    String rendered = Secrets.mask(ConfigFactory.parseString("""
        type = http
        url = "https://medic:pw-in-url@example.org/health?token=tok-in-query"
        headers { Authorization = "Bearer abc123", X-Trace = "on" }
        expect { status = [200, 204] }
        timeout = 2s
        """).root()).render(ConfigRenderOptions.concise());

    assertThat(rendered).doesNotContain("pw-in-url", "tok-in-query", "abc123")
        .contains("\"type\":\"http\"", "[200,204]", "\"timeout\":\"2s\"", "\"X-Trace\":\"on\"");
  }
}
