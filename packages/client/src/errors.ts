import { BulwarkError } from "@bulwark/tuf";

/** An update-client failure, with a stable code, and for some codes a hint at what to do. */
export class ClientError extends BulwarkError {}

/** Codes of {@link ClientError}. */
export const CLIENT_ERRORS = {
  /** The release index is malformed or inconsistent with the signed targets. */
  BAD_INDEX: "CLIENT_BAD_INDEX",
  /** The release is for another platform. */
  PLATFORM_MISMATCH: "CLIENT_PLATFORM_MISMATCH",
  /**
   * The release was revoked by the vendor (kill switch), now or when this client saw it
   * last: a revocation the client once saw stays in force (un-revoked release).
   */
  REVOKED: "CLIENT_RELEASE_REVOKED",
  /** The installer command failed. */
  INSTALL_FAILED: "CLIENT_INSTALL_FAILED",
  /** The health check failed or timed out; the previous version was restored. */
  HEALTH_CHECK_FAILED: "CLIENT_HEALTH_CHECK_FAILED",
  /** No version to roll back to. */
  NOTHING_TO_ROLL_BACK_TO: "CLIENT_NOTHING_TO_ROLL_BACK_TO",
  /** Another update of this data directory is running. */
  BUSY: "CLIENT_BUSY",
  /** An install or rollback was asked of a client configured without an install strategy. */
  NO_INSTALLER: "CLIENT_NO_INSTALLER",
  /**
   * The release offered earlier is no longer what the signed metadata lists (withdrawn, or
   * its signed entry changed): nothing is downloaded; check again.
   */
  RELEASE_WITHDRAWN: "CLIENT_RELEASE_WITHDRAWN",
  /**
   * The root's release policy asks for k independent builders, and fewer attest this
   * release's bytes from its source (or its attestations are missing, malformed or over
   * the limits). The message names who agreed and who disagreed.
   */
  NO_BUILD_QUORUM: "CLIENT_NO_BUILD_QUORUM",
  /** The trusted root carries a release policy this client cannot read: nothing installs. */
  BAD_RELEASE_POLICY: "CLIENT_BAD_RELEASE_POLICY",
  /**
   * The root requires a transparency log, and no proof that this release is in it is
   * published beside the release file: a release nobody can see, refused.
   */
  NOT_IN_LOG: "CLIENT_NOT_IN_LOG",
  /**
   * The release's log proof does not verify: malformed or oversized, for another artifact,
   * signed by another log key, or cosigned by fewer than k of the root's witnesses.
   */
  BAD_LOG_PROOF: "CLIENT_BAD_LOG_PROOF",
  /** The trusted root carries a transparency-log policy this client cannot read: nothing installs. */
  BAD_LOG_POLICY: "CLIENT_BAD_LOG_POLICY",
  /**
   * After refresh, the trusted root lacks a policy the app requires (`requirePolicies`) or
   * is older than `minRootVersion`: its next version may have been withheld (a CDN that
   * answers 404), so nothing is offered or installed. The error's hint says what to do.
   */
  OUTDATED_ROOT: "CLIENT_OUTDATED_ROOT",
  /**
   * The version running is one this client saw revoked, and refreshing the metadata fails
   * (typically on expired metadata: a CDN that keeps serving what it served before the
   * revocation), so the client can neither roll it back nor update it. The `cause` is the
   * refresh error. Surface it loudly: the endpoint runs what its vendor revoked.
   */
  RUNNING_REVOKED: "CLIENT_RUNNING_REVOKED",
  /** A TAP 4 map file (or the map in an agent configuration) is malformed; the message names the field. */
  BAD_MAP_FILE: "CLIENT_BAD_MAP_FILE",
  /**
   * TAP 4: fewer than the mapping's threshold of repositories list the target with the same
   * length, hashes and release (name, version, channel, platform, source): a release one
   * party signed and the other never did. Nothing is downloaded; the error
   * ({@link NoConsensusError}) names the repositories that agreed and what each one listed.
   */
  NO_CONSENSUS: "CLIENT_NO_CONSENSUS",
} as const;
