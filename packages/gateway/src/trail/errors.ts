/**
 * Errors of the gateway's audit trail, on Bulwark's one error tree (STYLE rule 3).
 *
 * {@link TrailError} says the trail's bytes did not check out: an entry that does not parse,
 * a checkpoint that does not verify, tiles that were damaged. {@link TrailEntryError} names
 * the first entry at fault: a malformed entry, or the proof that the trail was changed after
 * it was recorded (rewritten, dropped or reordered entries, a forked history). Misuse of the API throws the shared {@link UsageError} with code `TRAIL_USAGE`.
 */
import { BulwarkError, UsageError } from "@bulwark/tuf";

/** Stable codes of {@link TrailError} and {@link TrailEntryError}. Tests assert these. */
export const TRAIL_ERRORS = {
  /** An entry that is not the canonical JSON of a valid `bulwark.dev/gateway-trail@v1` entry. */
  BAD_ENTRY: "TRAIL_BAD_ENTRY",
  /** A checkpoint that is missing, not signed by the trail key, for another origin, or short of witnesses. */
  BAD_CHECKPOINT: "TRAIL_BAD_CHECKPOINT",
  /** An inclusion proof that does not parse or does not lead to its signed checkpoint. */
  BAD_PROOF: "TRAIL_BAD_PROOF",
  /** An entry whose bytes differ from the ones the trail recorded at that index. */
  ENTRY_REWRITTEN: "TRAIL_ENTRY_REWRITTEN",
  /** An entry missing from the trail: the entries after it moved up by one, or the trail shrank. */
  ENTRY_DROPPED: "TRAIL_ENTRY_DROPPED",
  /** Two neighbouring entries swapped. */
  ENTRIES_REORDERED: "TRAIL_ENTRIES_REORDERED",
  /** A tile or entry bundle that is missing, truncated, or does not hash to the checkpoint. */
  DAMAGED: "TRAIL_DAMAGED",
  /**
   * A signed checkpoint that does not extend one a monitor kept: the trail key signed two
   * histories (a split view, or a rewrite signed again by whoever holds the key).
   */
  FORKED: "TRAIL_FORKED",
} as const;

/** One of the {@link TRAIL_ERRORS} codes. */
export type TrailErrorCode = (typeof TRAIL_ERRORS)[keyof typeof TRAIL_ERRORS];

/** Trail data (an entry, a checkpoint, a tile, a proof) that must not be trusted. */
export class TrailError extends BulwarkError {
  declare readonly code: TrailErrorCode;

  constructor(code: TrailErrorCode, message: string, options?: { cause?: unknown; hint?: string }) {
    super(code, message, options);
  }
}

/** How a forked history differs from the one a monitor kept, at {@link TrailEntryError.index}. */
export type TrailChange = "rewritten" | "dropped" | "reordered";

/** A trail error about one entry: malformed, or changed after it was recorded. */
export class TrailEntryError extends TrailError {
  constructor(
    code: TrailErrorCode,
    /** The index of the first entry at fault (for a reordered pair: the first of the two). */
    readonly index: bigint,
    message: string,
    /** For TRAIL_FORKED: what happened to the entry at `index` in the new history. */
    readonly change?: TrailChange,
    options?: { cause?: unknown },
  ) {
    super(code, message, {
      ...options,
      hint: "keep the trail folder and the monitor's state as evidence, and investigate the gateway",
    });
  }
}

/** Code of the {@link UsageError}s of the trail. */
export const TRAIL_USAGE = "TRAIL_USAGE";

/** The caller misused a trail API (not a data error). */
export function usageError(message: string, cause?: unknown): UsageError {
  return new UsageError(message, cause === undefined ? { code: TRAIL_USAGE } : { code: TRAIL_USAGE, cause });
}
