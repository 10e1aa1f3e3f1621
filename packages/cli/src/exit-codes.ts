/**
 * Exit codes of the `bulwark` command, stable for scripts and documented in `--help`.
 */
export const EXIT = {
  /** Success. */
  OK: 0,
  /** A check failed or an operation could not complete (untrusted data, I/O, a refused release). */
  FAILURE: 1,
  /** The command was misused: unknown command or option, missing argument, bad configuration. */
  USAGE: 2,
  /** Signatures are missing: a threshold needs keys that are not here (sign offline, then import). */
  NEEDS_SIGNATURES: 3,
  /** Another `bulwark` process holds the repository's lock. */
  LOCKED: 4,
  /**
   * An incident, not an outage: a witness holds a checkpoint signed with the log key that this
   * log never produced (TLOG_SPLIT_VIEW): the log key was used elsewhere.
   */
  LOG_KEY_INCIDENT: 5,
  /** `repo refresh`: metadata was re-signed and published (0 means nothing needed doing). */
  REFRESHED: 10,
  /**
   * `agent --once`, `agent status`: the endpoint runs a version the vendor revoked, and the
   * update metadata is stale or expired, so it can neither roll back nor update.
   */
  RUNNING_REVOKED: 11,
  /** `scan`: findings a person should look at (high or medium); nothing that blocks. */
  SCAN_REVIEW: 12,
  /** `scan`: a critical finding or the 3CX shape: do not publish or install this release. */
  SCAN_BLOCK: 13,
  /** Interrupted by SIGINT (Ctrl+C) before anything was changed (128 + 2, as shells report it). */
  SIGINT: 130,
  /** Stopped by SIGTERM before anything was changed (128 + 15). */
  SIGTERM: 143,
} as const;

/** The exit codes as documented in the top-level help. */
export const EXIT_CODES_HELP = `Exit codes:
  0   success (for \`repo refresh\`: nothing needed re-signing)
  1   a check failed or the operation could not complete
  2   usage error: unknown command or option, missing argument, bad configuration
  3   signatures missing: sign offline with \`bulwark sign\`, then \`bulwark repo import\`
  4   the repository is locked by another bulwark process
  5   incident: a witness holds a checkpoint signed with the log key that this log never produced
  10  \`repo refresh\` re-signed and published metadata
  11  \`agent\`: running a version the vendor revoked, on stale metadata (docs/agent.md)
  12  \`scan\`: verdict review (high or medium findings)
  13  \`scan\`: verdict block (a critical finding); \`repo publish --scan\` refused the release
  130 interrupted (Ctrl+C, SIGINT) at a safe point: nothing was changed (a second Ctrl+C stops at once)
  143 stopped by SIGTERM at a safe point: nothing was changed`;
