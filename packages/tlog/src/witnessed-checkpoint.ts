/**
 * A checkpoint a client can trust: signed by the log and cosigned by enough witnesses to
 * satisfy its witness policy (k of n, in groups). The witnesses' keys come from the policy;
 * cosignatures by other keys are ignored, a failing one by a policy key rejects the note.
 */
import { type VerifiedCheckpoint, verifyCheckpoint } from "./checkpoint.js";
import { TLOG_ERRORS, TlogError } from "./errors.js";
import type { NoteVerifier } from "./note-key.js";
import { isSatisfied, type PolicyComponent, policyVerifiers } from "./witness-policy.js";

/** Whom to trust for a witnessed checkpoint. */
export interface WitnessedCheckpointOptions {
  readonly origin: string;
  readonly logVerifier: NoteVerifier;
  /** The policy the cosignatures must satisfy. */
  readonly policy: PolicyComponent;
}

/**
 * Verifies the log's signature and origin, then the witness policy.
 * @throws {TlogError} as {@link verifyCheckpoint}, and TLOG_WITNESS_QUORUM naming how many
 *   witnesses cosigned.
 */
export function verifyWitnessedCheckpoint(
  note: Uint8Array | string,
  options: WitnessedCheckpointOptions,
): VerifiedCheckpoint {
  const { origin, logVerifier, policy } = options;
  const verified = verifyCheckpoint(note, { origin, logVerifier, witnesses: policyVerifiers(policy) });
  const cosigners = verified.cosignatures.map((s) => s.verifier);
  if (!isSatisfied(policy, cosigners)) {
    throw new TlogError(
      TLOG_ERRORS.WITNESS_QUORUM,
      `${cosigners.length} witness cosignature(s) verified: the witness policy is not satisfied`,
    );
  }
  return verified;
}
