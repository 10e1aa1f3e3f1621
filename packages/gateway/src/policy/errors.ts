/**
 * Errors of the gateway's policy engine, on Bulwark's one error tree. A policy document that
 * does not check is a `ConfigError` (code `POLICY_INVALID`); everything the engine refuses to
 * record (an approval by someone who is not an approver, twice by the same one, for a blocked
 * release) is a {@link PolicyError} with one of the stable {@link POLICY_ERRORS} codes.
 */
import { BulwarkError } from "@bulwark/tuf";

/** The stable codes of {@link PolicyError} (and of a policy document that does not check). */
export const POLICY_ERRORS = {
  /** The policy document does not match its schema, or names an approver not in the approvers table. */
  INVALID: "POLICY_INVALID",
  /** No policy was saved yet: nothing can be approved. */
  NONE: "POLICY_NONE",
  /** The approver id is not in the approvers table (or was removed from it). */
  UNKNOWN_APPROVER: "POLICY_UNKNOWN_APPROVER",
  /** The approver exists but the policy does not list them for this source and ring. */
  NOT_AN_APPROVER: "POLICY_NOT_AN_APPROVER",
  /** The same approver already decided on this release for this ring. */
  DUPLICATE_APPROVAL: "POLICY_DUPLICATE_APPROVAL",
  /** The release is blocked (by state, hash or signer): it cannot be approved. */
  RELEASE_BLOCKED: "POLICY_RELEASE_BLOCKED",
  /** No release has that id. */
  UNKNOWN_RELEASE: "POLICY_UNKNOWN_RELEASE",
  /** No source has that name. */
  UNKNOWN_SOURCE: "POLICY_UNKNOWN_SOURCE",
  /** The policy has no ring of that name. */
  UNKNOWN_RING: "POLICY_UNKNOWN_RING",
  /** A freeze is already in force. */
  ALREADY_FROZEN: "POLICY_ALREADY_FROZEN",
  /** No freeze is in force. */
  NOT_FROZEN: "POLICY_NOT_FROZEN",
  /** An approver with that id already exists. */
  DUPLICATE_APPROVER: "POLICY_DUPLICATE_APPROVER",
} as const;

/** One of {@link POLICY_ERRORS}. */
export type PolicyErrorCode = (typeof POLICY_ERRORS)[keyof typeof POLICY_ERRORS];

/** Something the policy engine refuses to record, with the reason in `code`. */
export class PolicyError extends BulwarkError {
  constructor(code: PolicyErrorCode, message: string, options?: { cause?: unknown; hint?: string | undefined }) {
    super(code, message, options);
  }
}
