/**
 * Release transparency at install time. The trusted root (offline, threshold-signed keys)
 * may name a transparency log and the witnesses that vouch for it (`x-bulwark-transparency-log`).
 * Then every release file must come with a proof, published beside it as
 * `<artifact URL>.tlog-proof`: a c2sp.org/tlog-proof@v1 whose checkpoint is signed by the
 * root's log key and cosigned by k of the root's witnesses, and whose entry describes
 * exactly the signed target (path, length, sha256). A stolen targets key can list any file
 * in signed metadata, but not make it public: a release that was never logged, or logged
 * only where the witnesses did not see it, is refused before a byte of it is downloaded.
 *
 * The proof is not a TUF target: it is self-authenticating (the log key and witnesses come
 * from root), and its entry names the signed targets metadata that lists the artifact, so
 * it can only be made once that metadata is signed (docs/adr/0009-transparency-log.md).
 */
import {
  changeProofPath,
  type LogPolicy,
  logPolicyOf,
  logPolicyQuorum,
  releaseProofPath,
  TLOG_ERRORS,
  TlogError,
  type VerifiedRelease,
  verifyLogEntryProof,
  verifyReleaseProof,
} from "@bulwark/tlog";
import { DownloadHttpError, DownloadLengthMismatchError, type Root, readAll, type Updater } from "@bulwark/tuf";
import { CLIENT_ERRORS, ClientError } from "./errors.js";
import type { Release } from "./release.js";

/** Resource limits on a release's log proof. */
export interface LogProofLimits {
  /** The largest proof read: a proof is an inclusion path of at most 64 hashes and a checkpoint, a few KiB. */
  readonly maxProofBytes: number;
}

/** The default {@link LogProofLimits}: 64 KiB. */
export const LOG_PROOF_LIMITS: LogProofLimits = Object.freeze({ maxProofBytes: 64 * 1024 });

/** What a verified proof says about a release, for events and callers. */
export interface LoggedRelease {
  /** The log's origin. */
  readonly origin: string;
  /** The entry's index in the log. */
  readonly index: bigint;
  /** The size of the tree the proof's checkpoint commits to. */
  readonly size: bigint;
  /** The root's witnesses that cosigned that checkpoint, by their names in root. */
  readonly witnesses: readonly string[];
  /** How many were required. */
  readonly threshold: number;
  /** The verified proof: the logged entry and the checkpoint with its verified cosignatures. */
  readonly verified: VerifiedRelease;
}

/**
 * The log policy of the trusted root, or undefined when it has none.
 * @throws {ClientError} `CLIENT_BAD_LOG_POLICY` when the root's field does not parse:
 *   nothing can be installed then (fail closed).
 */
export function trustedLogPolicy(root: Root): LogPolicy | undefined {
  try {
    return logPolicyOf(root);
  } catch (cause) {
    if (!(cause instanceof TlogError)) throw cause;
    throw new ClientError(
      CLIENT_ERRORS.BAD_LOG_POLICY,
      `the trusted root's transparency-log policy cannot be read, so no release can be verified: ${cause.message}`,
      { cause },
    );
  }
}

function refuse(code: string, release: Release, why: string, cause?: unknown): ClientError {
  return new ClientError(
    code,
    `${release.name} ${release.version} is refused: ${why}`,
    cause === undefined ? undefined : { cause },
  );
}

/** Why a proof failed, in words that say what it means for the release. */
function reason(error: TlogError, policy: LogPolicy): string {
  switch (error.code) {
    case TLOG_ERRORS.BAD_ENTRY:
      return `its log proof is for another artifact (${error.message})`;
    case TLOG_ERRORS.WITNESS_QUORUM:
      return `its log proof is cosigned by fewer than ${policy.threshold} of the root's ${policy.witnesses.length} witnesses`;
    case TLOG_ERRORS.UNVERIFIED:
    case TLOG_ERRORS.INVALID_SIGNATURE:
      return `its log proof's checkpoint is not signed by the log key the root names (${error.message})`;
    case TLOG_ERRORS.BAD_CHECKPOINT:
      return `its log proof is not a checkpoint of ${policy.origin} (${error.message})`;
    case TLOG_ERRORS.BAD_PROOF:
      return "its log proof does not lead to the checkpoint's tree: the entry is not in that log";
    default:
      return `its log proof does not verify (${error.message})`;
  }
}

/**
 * Requires, when the trusted root has a log policy, a valid proof that `release` is in
 * the log, before anything is downloaded. Returns undefined when the root has no policy.
 *
 * @param updater refreshed: its trusted root is the one consulted, and its fetcher reads the proof.
 * @throws {ClientError} `CLIENT_NOT_IN_LOG` when there is no proof beside the release file;
 *   `CLIENT_BAD_LOG_PROOF` when the proof is oversized, malformed, for another artifact,
 *   signed by another log key or cosigned by fewer than k of the root's witnesses;
 *   `CLIENT_BAD_LOG_POLICY` (see {@link trustedLogPolicy}). A network failure is the
 *   fetcher's typed error.
 */
export async function verifyReleaseLogged(
  updater: Updater,
  release: Release,
  limits: LogProofLimits = LOG_PROOF_LIMITS,
): Promise<LoggedRelease | undefined> {
  const policy = trustedLogPolicy(updater.trustedSet.root.signed);
  if (policy === undefined) return undefined;
  const sha256 = release.target.hashes.get("sha256");
  if (sha256 === undefined)
    throw refuse(CLIENT_ERRORS.BAD_LOG_PROOF, release, "its signed target has no sha256 to log");
  const url = releaseProofPath(updater.targetUrl(release.target));
  let proof: Buffer;
  try {
    proof = await readAll(updater.fetcherInUse, url, { maxLength: limits.maxProofBytes });
  } catch (error) {
    if (error instanceof DownloadHttpError && [403, 404, 410].includes(error.status)) {
      throw refuse(
        CLIENT_ERRORS.NOT_IN_LOG,
        release,
        `it is not in the transparency log ${policy.origin}: no proof is published beside it`,
        error,
      );
    }
    if (error instanceof DownloadLengthMismatchError) {
      throw refuse(
        CLIENT_ERRORS.BAD_LOG_PROOF,
        release,
        `its log proof is over the ${limits.maxProofBytes} bytes allowed`,
        error,
      );
    }
    throw error;
  }
  let verified: VerifiedRelease;
  try {
    verified = verifyReleaseProof(proof, {
      origin: policy.origin,
      logVerifier: policy.logVerifier,
      policy: logPolicyQuorum(policy),
      target: { path: release.target.path, length: release.target.length, sha256 },
    });
  } catch (error) {
    if (!(error instanceof TlogError)) throw error;
    throw refuse(CLIENT_ERRORS.BAD_LOG_PROOF, release, reason(error, policy), error);
  }
  const cosigners = new Set(verified.checkpoint.cosignatures.map((s) => s.verifier.vkey));
  return {
    origin: policy.origin,
    index: verified.index,
    size: verified.checkpoint.checkpoint.size,
    witnesses: policy.witnesses.filter((w) => cosigners.has(w.verifier.vkey)).map((w) => w.name),
    threshold: policy.threshold,
    verified,
  };
}

/**
 * Whether a revocation of `release` may be acted on by rolling a running endpoint back.
 * Without a log policy in the trusted root, the signed metadata is enough. With one, the
 * revocation must be in the log too (`<artifact URL>.revoked.tlog-proof`, a
 * release-change entry for exactly this target, cosigned like a release): otherwise the
 * online keys alone could force chosen endpoints back to an older version unseen. Installing
 * a revoked release is refused either way; this only gates the rollback.
 * @returns undefined when the revocation may be acted on, else why not.
 * @throws {ClientError} `CLIENT_BAD_LOG_POLICY` (see {@link trustedLogPolicy}). A network
 *   failure other than "no such file" is the fetcher's typed error.
 */
export async function unloggedRevocation(
  updater: Updater,
  release: Release,
  limits: LogProofLimits = LOG_PROOF_LIMITS,
): Promise<string | undefined> {
  const policy = trustedLogPolicy(updater.trustedSet.root.signed);
  if (policy === undefined) return undefined;
  const sha256 = release.target.hashes.get("sha256");
  if (sha256 === undefined) return "its signed target has no sha256 to log";
  let proof: Buffer;
  try {
    proof = await readAll(updater.fetcherInUse, changeProofPath(updater.targetUrl(release.target), "revoke"), {
      maxLength: limits.maxProofBytes,
    });
  } catch (error) {
    if (error instanceof DownloadHttpError && [403, 404, 410].includes(error.status)) {
      return `the revocation is not in the transparency log ${policy.origin}: no proof is published beside the release`;
    }
    if (error instanceof DownloadLengthMismatchError) {
      return `the revocation's log proof is over the ${limits.maxProofBytes} bytes allowed`;
    }
    throw error;
  }
  try {
    const { entry } = verifyLogEntryProof(proof, {
      origin: policy.origin,
      logVerifier: policy.logVerifier,
      policy: logPolicyQuorum(policy),
      target: { path: release.target.path, length: release.target.length, sha256 },
    });
    if (entry.kind !== "change" || entry.entry.change.kind !== "revoke") {
      return "the revocation's log proof is for another kind of entry";
    }
    if (entry.entry.name !== release.name || entry.entry.version !== release.version) {
      return `the revocation's log proof names ${entry.entry.name} ${entry.entry.version}`;
    }
  } catch (error) {
    if (!(error instanceof TlogError)) throw error;
    return reason(error, policy).replace(/^its log proof/, "the revocation's log proof");
  }
  return undefined;
}
