/**
 * Checking the proof that an entry was recorded (a c2sp.org/tlog-proof@v1 text from
 * {@link Trail.proof}) offline: the trail key's signature on the checkpoint, the witnesses
 * a policy asks for, and the entry's inclusion under the checkpoint's root. The proof's
 * `extra` data is the entry itself, so a proof that verifies authenticates its entry.
 */
import {
  type NoteVerifier,
  type PolicyComponent,
  parseTlogProof,
  TLOG_ERRORS,
  TlogError,
  type VerifiedCheckpoint,
  verifyTlogProof,
} from "@bulwark/tlog";
import { parseTrailEntry, type TrailEntry } from "./entry.js";
import { TRAIL_ERRORS, TrailError } from "./errors.js";

/** Whom a proof's checker trusts. */
export interface VerifyTrailProofOptions {
  /** The trail's origin line. */
  readonly origin: string;
  /** The trail key's verifier. */
  readonly verifier: NoteVerifier;
  /** Witnesses whose cosignatures the checkpoint needs (default: none). */
  readonly policy?: PolicyComponent;
}

/** What a verified entry proof establishes. */
export interface VerifiedTrailEntry {
  readonly index: bigint;
  readonly entry: TrailEntry;
  readonly checkpoint: VerifiedCheckpoint;
}

/**
 * Verifies the proof that an entry was recorded in the trail.
 * @throws {TrailError} TRAIL_BAD_PROOF (a malformed proof, one without an entry, or an
 *   entry not under the root), TRAIL_BAD_CHECKPOINT (signature, origin, witnesses),
 *   TRAIL_BAD_ENTRY (an entry that is not a valid trail entry).
 */
export function verifyTrailEntryProof(text: string | Uint8Array, options: VerifyTrailProofOptions): VerifiedTrailEntry {
  try {
    const proof = parseTlogProof(text);
    if (proof.extra === undefined) throw new TrailError(TRAIL_ERRORS.BAD_PROOF, "the proof carries no trail entry");
    const verified = verifyTlogProof(proof, proof.extra, {
      origin: options.origin,
      logVerifier: options.verifier,
      ...(options.policy === undefined ? {} : { policy: options.policy }),
    });
    return { index: proof.index, entry: parseTrailEntry(proof.extra), checkpoint: verified.checkpoint };
  } catch (error) {
    if (!(error instanceof TlogError)) throw error;
    const proofError = error.code === TLOG_ERRORS.BAD_PROOF || error.code === TLOG_ERRORS.MALFORMED_PROOF;
    throw new TrailError(
      proofError ? TRAIL_ERRORS.BAD_PROOF : TRAIL_ERRORS.BAD_CHECKPOINT,
      `the trail proof does not verify: ${error.message}`,
      { cause: error },
    );
  }
}
