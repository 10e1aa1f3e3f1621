/**
 * The errors of @bulwark/publisher: one class with a stable `code` and, where there is an
 * obvious next step, a `hint`. No exit codes: a face (the CLI, a server) maps codes to its
 * own answers in one place. {@link PUBLISHER_USAGE_CODES} lists the codes that mean the
 * caller's input or configuration is wrong rather than that the operation failed.
 */
import { BulwarkError } from "@bulwark/tuf";

/** A publisher operation was refused or failed. */
export class PublisherError extends BulwarkError {}

/** Codes of {@link PublisherError}. */
export const PUBLISHER_ERRORS = {
  /** bulwark.json does not parse or a field is wrong. */
  BAD_CONFIG: "BAD_CONFIG",
  /** A duration is not like `7d`, `12h` or `2w`. */
  BAD_DURATION: "BAD_DURATION",
  /** A key type or scheme Bulwark cannot use. */
  UNSUPPORTED_KEY: "UNSUPPORTED_KEY",
  /** A public key file holds no usable public key. */
  BAD_PUBLIC_KEY: "BAD_PUBLIC_KEY",
  /** An operation needs a passphrase and the caller gave no way to get one. */
  NO_PASSPHRASE: "NO_PASSPHRASE",
  /** A passphrase shorter than {@link MIN_PASSPHRASE_LENGTH} characters. */
  WEAK_PASSPHRASE: "WEAK_PASSPHRASE",
  /** A key file bulwark.json (or a log or witness folder) names cannot be read. */
  MISSING_KEY: "MISSING_KEY",
  /** A key file holds another key than the one the metadata lists. */
  FOREIGN_KEY: "FOREIGN_KEY",
  /** A key that the role, or the repository's metadata, does not list. */
  UNKNOWN_KEY: "UNKNOWN_KEY",
  /** A key ID prefix that matches several keys. */
  AMBIGUOUS_KEY: "AMBIGUOUS_KEY",
  /** A role has several keys and the one to replace was not named. */
  WHICH_KEY: "WHICH_KEY",
  /** An external signer command failed or answered a bad signature. */
  EXTERNAL_SIGNER: "EXTERNAL_SIGNER",
  /** The caller aborted the operation (`options.signal`) at a point where nothing was changed yet. */
  INTERRUPTED: "INTERRUPTED",
  /** Another process holds the repository's (or log's) lock. */
  LOCKED: "LOCKED",
  /** The folder holds no bulwark.json. */
  NOT_A_REPOSITORY: "NOT_A_REPOSITORY",
  /** `initRepository` on a folder that already holds one. */
  ALREADY_A_REPOSITORY: "ALREADY_A_REPOSITORY",
  /** Nothing was published yet. */
  NOT_PUBLISHED: "NOT_PUBLISHED",
  /** The published state names a file that is missing. */
  BROKEN_REPOSITORY: "BROKEN_REPOSITORY",
  /**
   * A file of the repository folder does not parse or verify (published metadata, the staged
   * working state): the error names it; `bulwark repo repair` rebuilds from the last good state.
   */
  CORRUPT_FILE: "CORRUPT_FILE",
  /** `repo repair` found no good published state to rebuild from (a root needs its offline keys). */
  UNREPAIRABLE: "UNREPAIRABLE",
  /** A release file is not a regular file. */
  NOT_A_FILE: "NOT_A_FILE",
  /** A release file cannot be read. */
  READ_FAILED: "READ_FAILED",
  /** A release gate (`repo publish --scan`) refused a staged release file, and nobody overrode it. */
  RELEASE_GATE_REFUSED: "RELEASE_GATE_REFUSED",
  /** A target's bytes are nowhere in the repository folder. */
  TARGET_MISSING: "TARGET_MISSING",
  /** A staged release file was removed before publishing. */
  STAGED_FILE_MISSING: "STAGED_FILE_MISSING",
  /** A staged release file changed since it was added. */
  STAGED_FILE_CHANGED: "STAGED_FILE_CHANGED",
  /** `refreshRepository` with staged changes it would publish by surprise. */
  STAGED_CHANGES: "STAGED_CHANGES",
  /** Publishing under an expired root. */
  ROOT_EXPIRED: "ROOT_EXPIRED",
  /** A target path that is not safe for every client. */
  BAD_TARGET_PATH: "BAD_TARGET_PATH",
  /** A release name that is not letters, digits, `.`, `_`, `-`. */
  BAD_NAME: "BAD_NAME",
  /** A release version that is not semver. */
  BAD_VERSION: "BAD_VERSION",
  /** A release channel that is not lowercase letters, digits and `-`. */
  BAD_CHANNEL: "BAD_CHANNEL",
  /** A release platform that is not lowercase letters, digits, `_` and `-`. */
  BAD_PLATFORM: "BAD_PLATFORM",
  /** A rollout percentage outside 0..100. */
  BAD_PERCENT: "BAD_PERCENT",
  /** A target path already released with other bytes. */
  ALREADY_RELEASED: "ALREADY_RELEASED",
  /** NAME@VERSION is not released here. */
  NO_SUCH_RELEASE: "NO_SUCH_RELEASE",
  /** A published release asked to be unstaged: clients may have it; revoke it instead. */
  RELEASE_PUBLISHED: "RELEASE_PUBLISHED",
  /** Attestations given for a product the root has no release policy for. */
  NO_RELEASE_POLICY: "NO_RELEASE_POLICY",
  /** The release policy requires a source digest and none was given. */
  SOURCE_DIGEST_REQUIRED: "SOURCE_DIGEST_REQUIRED",
  /** An attestation file cannot be read. */
  NO_SUCH_ATTESTATION: "NO_SUCH_ATTESTATION",
  /** A release policy that would not parse back. */
  BAD_POLICY: "BAD_POLICY",
  /** A builder key that is also a repository key. */
  BUILDER_KEY_IS_REPOSITORY_KEY: "BUILDER_KEY_IS_REPOSITORY_KEY",
  /** The root's transparency-log policy does not parse. */
  BAD_LOG_POLICY: "BAD_LOG_POLICY",
  /** The root requires a log and bulwark.json names no log folder. */
  NO_RELEASE_LOG: "NO_RELEASE_LOG",
  /** A command that needs the root's log policy, under a root without one. */
  NO_LOG_POLICY: "NO_LOG_POLICY",
  /** Listed releases lack attestations that satisfy a new release policy (verified builds). */
  UNATTESTED_RELEASES: "UNATTESTED_RELEASES",
  /** bulwark.json's log folder is not the root's log. */
  LOG_MISMATCH: "LOG_MISMATCH",
  /** A release entry could not be made (its role was not signed). */
  LOG_ENTRY_FAILED: "LOG_ENTRY_FAILED",
  /** A log verifier key that does not parse. */
  BAD_VKEY: "BAD_VKEY",
  /** A log given by URL or plain folder, without its verifier key. */
  LOG_VKEY_REQUIRED: "LOG_VKEY_REQUIRED",
  /** The folder is not a log folder. */
  NOT_A_LOG: "NOT_A_LOG",
  /** log.json does not parse. */
  BAD_LOG_CONFIG: "BAD_LOG_CONFIG",
  /** The folder holds no readable witness.json. */
  NOT_A_WITNESS: "NOT_A_WITNESS",
  /** witness.json does not parse. */
  BAD_WITNESS_CONFIG: "BAD_WITNESS_CONFIG",
  /** A witness policy file cannot be read. */
  MISSING_POLICY: "MISSING_POLICY",
  /** Root signatures to import, and root has no staged change. */
  NO_STAGED_ROOT: "NO_STAGED_ROOT",
  /** A file to import is not root metadata. */
  BAD_ROOT_FILE: "BAD_ROOT_FILE",
  /** A signed root whose signed part is not the staged root's. */
  ROOT_MISMATCH: "ROOT_MISMATCH",
  /** A root signature that does not verify. */
  BAD_SIGNATURE: "BAD_SIGNATURE",
  /** The repository has no such role. */
  UNKNOWN_ROLE: "UNKNOWN_ROLE",
  /** A role name that cannot name a delegated role. */
  BAD_ROLE_NAME: "BAD_ROLE_NAME",
  /** A delegated role of that name exists. */
  ROLE_EXISTS: "ROLE_EXISTS",
  /** A key already signs the role. */
  KEY_IN_ROLE: "KEY_IN_ROLE",
  /** A threshold the role's keys could never meet. */
  BAD_THRESHOLD: "BAD_THRESHOLD",
  /** Revoking would leave fewer keys than the threshold. */
  BELOW_THRESHOLD: "BELOW_THRESHOLD",
  /** A policy change would replace an online key that is held elsewhere (an external signer, offline). */
  ONLINE_KEY_ELSEWHERE: "ONLINE_KEY_ELSEWHERE",
  /** An offline key for a role other than root, which an offline key can never sign. */
  OFFLINE_NOT_ROOT: "OFFLINE_NOT_ROOT",
  /** An electron-builder output folder without an update feed (`latest*.yml`). */
  NO_ELECTRON_FEED: "NO_ELECTRON_FEED",
  /** An electron-builder update feed (or builder-effective-config.yaml) that does not parse or validate. */
  BAD_ELECTRON_FEED: "BAD_ELECTRON_FEED",
  /** An installer an electron-builder feed lists is not in the folder. */
  ELECTRON_FILE_MISSING: "ELECTRON_FILE_MISSING",
  /** An installer whose sha512 or size is not what its electron-builder feed says. */
  ELECTRON_CHECKSUM_MISMATCH: "ELECTRON_CHECKSUM_MISMATCH",
} as const;

/** The codes that mean the caller's input or configuration is wrong (a CLI's usage error, an HTTP 400). */
export const PUBLISHER_USAGE_CODES: ReadonlySet<string> = new Set([
  PUBLISHER_ERRORS.BAD_CONFIG,
  PUBLISHER_ERRORS.BAD_DURATION,
  PUBLISHER_ERRORS.NO_ELECTRON_FEED,
  PUBLISHER_ERRORS.BAD_ELECTRON_FEED,
  PUBLISHER_ERRORS.ELECTRON_FILE_MISSING,
  PUBLISHER_ERRORS.ELECTRON_CHECKSUM_MISMATCH,
  PUBLISHER_ERRORS.UNSUPPORTED_KEY,
  PUBLISHER_ERRORS.BAD_PUBLIC_KEY,
  PUBLISHER_ERRORS.NO_PASSPHRASE,
  PUBLISHER_ERRORS.WEAK_PASSPHRASE,
  PUBLISHER_ERRORS.NOT_A_REPOSITORY,
  PUBLISHER_ERRORS.ALREADY_A_REPOSITORY,
  PUBLISHER_ERRORS.NOT_A_FILE,
  PUBLISHER_ERRORS.BAD_TARGET_PATH,
  PUBLISHER_ERRORS.BAD_NAME,
  PUBLISHER_ERRORS.BAD_VERSION,
  PUBLISHER_ERRORS.BAD_CHANNEL,
  PUBLISHER_ERRORS.BAD_PLATFORM,
  PUBLISHER_ERRORS.BAD_PERCENT,
  PUBLISHER_ERRORS.OFFLINE_NOT_ROOT,
  PUBLISHER_ERRORS.RELEASE_PUBLISHED,
  PUBLISHER_ERRORS.NO_RELEASE_POLICY,
  PUBLISHER_ERRORS.SOURCE_DIGEST_REQUIRED,
  PUBLISHER_ERRORS.NO_SUCH_ATTESTATION,
  PUBLISHER_ERRORS.BAD_POLICY,
  PUBLISHER_ERRORS.BUILDER_KEY_IS_REPOSITORY_KEY,
  PUBLISHER_ERRORS.NO_RELEASE_LOG,
  PUBLISHER_ERRORS.NO_LOG_POLICY,
  PUBLISHER_ERRORS.LOG_MISMATCH,
  PUBLISHER_ERRORS.BAD_VKEY,
  PUBLISHER_ERRORS.LOG_VKEY_REQUIRED,
  PUBLISHER_ERRORS.NOT_A_LOG,
  PUBLISHER_ERRORS.BAD_LOG_CONFIG,
  PUBLISHER_ERRORS.NOT_A_WITNESS,
  PUBLISHER_ERRORS.BAD_WITNESS_CONFIG,
  PUBLISHER_ERRORS.MISSING_POLICY,
  PUBLISHER_ERRORS.NO_STAGED_ROOT,
  PUBLISHER_ERRORS.UNKNOWN_KEY,
  PUBLISHER_ERRORS.AMBIGUOUS_KEY,
  PUBLISHER_ERRORS.WHICH_KEY,
  PUBLISHER_ERRORS.UNKNOWN_ROLE,
  PUBLISHER_ERRORS.BAD_ROLE_NAME,
  PUBLISHER_ERRORS.ROLE_EXISTS,
  PUBLISHER_ERRORS.KEY_IN_ROLE,
  PUBLISHER_ERRORS.BAD_THRESHOLD,
  PUBLISHER_ERRORS.BELOW_THRESHOLD,
  PUBLISHER_ERRORS.ONLINE_KEY_ELSEWHERE,
]);
