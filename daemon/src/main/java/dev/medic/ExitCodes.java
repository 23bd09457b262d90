package dev.medic;

/** Process exit codes of DESIGN §9 (and sysexits.h where it is silent). */
public final class ExitCodes {

  public static final int OK = 0;
  /** {@code medic probe}/{@code status} use 0..3 for the worst of ok/warning/critical/unknown. */
  public static final int UNKNOWN = 3;
  /** EX_USAGE: bad command-line arguments. Not 2, which means "critical" to Nagios-style callers. */
  public static final int USAGE = 64;
  /** EX_UNAVAILABLE: medic could not start (the API port is taken, say). */
  public static final int UNAVAILABLE = 69;
  /** EX_CONFIG: the configuration is invalid. */
  public static final int CONFIG = 78;

  private ExitCodes() {}
}
