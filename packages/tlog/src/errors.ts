/**
 * Errors of the transparency-log package, on Bulwark's one error tree (STYLE rule 3).
 *
 * {@link TlogError} is the "untrusted bytes did not check out" branch: a malformed note,
 * a signature that fails, a proof that does not lead to the signed root. Misuse of the
 * API (an entry too large for a bundle, a bad option) throws the shared
 * {@link UsageError} with code `TLOG_USAGE`; local I/O failures throw {@link StorageError}.
 */
import { BulwarkError, UsageError } from "@bulwark/tuf";

/** Stable codes of {@link TlogError}. Tests assert these. */
export const TLOG_ERRORS = {
  /** A signed note that does not follow c2sp.org/signed-note framing. */
  MALFORMED_NOTE: "TLOG_MALFORMED_NOTE",
  /** A note with no verified signature from a trusted key. */
  UNVERIFIED: "TLOG_UNVERIFIED",
  /** A trusted key's signature on a note failed to verify: the whole note is rejected. */
  INVALID_SIGNATURE: "TLOG_INVALID_SIGNATURE",
  /** Two trusted keys share a name and key ID, and the note carries a signature for them. */
  AMBIGUOUS_KEY: "TLOG_AMBIGUOUS_KEY",
  /** A verifier key (vkey) or signer key (skey) that does not parse or whose key ID is wrong. */
  BAD_KEY: "TLOG_BAD_KEY",
  /** A checkpoint body that does not parse, or a checkpoint that is not for the expected log. */
  BAD_CHECKPOINT: "TLOG_BAD_CHECKPOINT",
  /** A cosignature line that is not a tlog-cosignature/v1 timestamped signature. */
  BAD_COSIGNATURE: "TLOG_BAD_COSIGNATURE",
  /** A witness policy that does not parse, or a checkpoint that does not satisfy it. */
  BAD_POLICY: "TLOG_BAD_POLICY",
  /** Fewer verified witness cosignatures than the policy requires. */
  WITNESS_QUORUM: "TLOG_WITNESS_QUORUM",
  /** An inclusion or consistency proof that is malformed or does not lead to the signed root. */
  BAD_PROOF: "TLOG_BAD_PROOF",
  /** A tlog-proof text (c2sp.org/tlog-proof) that does not parse. */
  MALFORMED_PROOF: "TLOG_MALFORMED_PROOF",
  /** A tile or entry-bundle path that is not in the c2sp.org/tlog-tiles syntax. */
  BAD_TILE_PATH: "TLOG_BAD_TILE_PATH",
  /** Tile or entry-bundle bytes of the wrong size, or hashes that disagree with the checkpoint. */
  BAD_TILE: "TLOG_BAD_TILE",
  /** A tile, bundle or checkpoint the tree needs is missing from the store. */
  MISSING_TILE: "TLOG_MISSING_TILE",
  /** A release entry (release-entry.ts) that does not parse or is not in canonical form. */
  BAD_ENTRY: "TLOG_BAD_ENTRY",
  /** A c2sp.org/tlog-witness request or response body that does not follow the spec's syntax. */
  MALFORMED_REQUEST: "TLOG_MALFORMED_REQUEST",
  /** A checkpoint for an origin the witness does not know. */
  UNKNOWN_LOG: "TLOG_UNKNOWN_LOG",
  /** The old size of an add-checkpoint request is not the size the witness last cosigned. */
  STALE_SIZE: "TLOG_STALE_SIZE",
  /**
   * Two checkpoints of one log with the same size and different roots: a fork or split view.
   * From a log's side (the witness client), a witness holding a tree this log never
   * produced: the log key was used elsewhere, an incident rather than an outage.
   */
  SPLIT_VIEW: "TLOG_SPLIT_VIEW",
  /** A witness that could not be reached, timed out, or answered outside the protocol. */
  WITNESS_FAILED: "TLOG_WITNESS_FAILED",
  /**
   * A checkpoint whose tree cannot be read from the log's public URL (tiles or entries
   * missing, unreachable, over a limit, or leading to another root): a witness that checks
   * data availability refuses to cosign it, since its entries would stay invisible.
   */
  DATA_UNAVAILABLE: "TLOG_DATA_UNAVAILABLE",
} as const;

/** One of the {@link TLOG_ERRORS} codes. */
export type TlogErrorCode = (typeof TLOG_ERRORS)[keyof typeof TLOG_ERRORS];

/** Untrusted log data (a note, key, checkpoint, tile or proof) that must not be trusted. */
export class TlogError extends BulwarkError {
  declare readonly code: TlogErrorCode;

  constructor(code: TlogErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

/** Code of the {@link UsageError}s this package throws. */
export const TLOG_USAGE = "TLOG_USAGE";

/** The caller misused a tlog API (not a data error). */
export function usageError(message: string, cause?: unknown): UsageError {
  return new UsageError(message, cause === undefined ? { code: TLOG_USAGE } : { code: TLOG_USAGE, cause });
}
