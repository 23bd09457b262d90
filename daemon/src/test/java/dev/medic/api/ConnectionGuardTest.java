package dev.medic.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The connection limit in force and where the descriptor limit comes from; the keep-alive interval. */
class ConnectionGuardTest {

  @ParameterizedTest(name = "max-connections {0}, RLIMIT_NOFILE {1} → {2}")
  @CsvSource(textBlock = """
      256, 512,     128
      256, 1024,    256
      256, 65536,   256
      1000, 65536,  1000
      256, 20,      8
      256, ,        256
      4, 512,       4
      """)
  void theLimitLeavesProbesThreeQuartersOfTheDescriptors(int configured, Long nofile, int expected) {
    OptionalLong limit = nofile == null ? OptionalLong.empty() : OptionalLong.of(nofile);
    assertThat(ConnectionGuard.connectionLimit(configured, limit)).isEqualTo(expected);
  }

  @Test
  void theSoftOpenFileLimitIsReadFromProcSelfLimits() {
    List<String> limits = List.of(
        "Limit                     Soft Limit           Hard Limit           Units     ",
        "Max processes             95282                95282                processes ",
        "Max open files            512                  4096                 files     ");
    assertThat(ConnectionGuard.openFileLimit(limits)).hasValue(512);
    assertThat(ConnectionGuard.openFileLimit(List.of("Max open files            unlimited            unlimited            files")))
        .isEmpty();
    assertThat(ConnectionGuard.openFileLimit(List.of())).isEmpty();
    // This machine's own file parses (Linux).
    assertThat(ConnectionGuard.openFileLimit()).isPresent();
  }

  @ParameterizedTest(name = "idle-timeout {0} ms → keep-alive every {1} ms")
  @CsvSource(textBlock = """
      60000,  15000
      30000,  10000
      600,    200
      2,      1
      """)
  void aHealthyStreamIsNeverIdleForLong(long idleMs, long keepaliveMs) {
    assertThat(EventStream.keepaliveMillis(idleMs)).isEqualTo(keepaliveMs);
  }
}
