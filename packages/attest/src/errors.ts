import { BulwarkError } from "@bulwark/tuf";

/**
 * The stable codes of {@link AttestError}: each names what was wrong with the untrusted
 * bytes or with the evidence, never how the caller used the API (that is a `UsageError`).
 */
export type AttestErrorCode =
  /** The envelope is not DSSE JSON: missing or mistyped field, bad base64, too many signatures. */
  | "ATTEST_BAD_ENVELOPE"
  /** More bytes than the named limit allows. */
  | "ATTEST_TOO_LARGE"
  /** Fewer distinct trusted keys verified the envelope than the threshold. */
  | "ATTEST_UNSIGNED"
  /** The payload is not an in-toto Statement v1, or not the payload type expected. */
  | "ATTEST_BAD_STATEMENT"
  /** The predicate is not SLSA provenance v1 as Bulwark reads it. */
  | "ATTEST_BAD_PROVENANCE"
  /** A release policy (from root metadata) does not parse or is not satisfiable. */
  | "ATTEST_BAD_POLICY"
  /** Fewer than k independent builders attested the artifact and its source. */
  | "ATTEST_NO_QUORUM"
  /** A plug-in signer failed while signing an envelope. */
  | "ATTEST_SIGNER_FAILED";

/**
 * An attestation, envelope or policy that must not be trusted, or a quorum that was not
 * reached. Part of Bulwark's one error tree: tests assert the class and the `code`.
 */
export class AttestError extends BulwarkError {
  declare readonly code: AttestErrorCode;

  constructor(code: AttestErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}
