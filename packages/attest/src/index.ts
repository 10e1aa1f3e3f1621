/**
 * @bulwark/attest — verified builds: DSSE v1 envelopes, in-toto Statement v1 with SLSA
 * provenance v1, and the k-of-n builder-quorum policy enforced at publish and at install.
 */
export { decodeBase64, encodeBase64 } from "./base64.js";
export { attestationBundlePath, formatAttestationBundle, splitAttestationBundle } from "./bundle.js";
export { type DigestSet, isLowerHex } from "./digest-set.js";
export {
  ENVELOPE_LIMITS,
  type Envelope,
  type EnvelopeLimits,
  type EnvelopeSignature,
  envelopeFromJSON,
  envelopeToJSON,
  parseEnvelope,
  serializeEnvelope,
  signEnvelope,
  type VerifiedEnvelope,
  verifiedKeyIds,
  verifyEnvelope,
} from "./envelope.js";
export { AttestError, type AttestErrorCode } from "./errors.js";
export { DSSE_VERSION, pae } from "./pae.js";
export {
  type BuilderPolicy,
  NO_POLICIES,
  policyForProduct,
  policyFromJSON,
  policyToJSON,
  type QuorumRequirements,
  RELEASE_POLICY_FIELD,
  type ReleasePolicies,
  type ReleasePolicy,
  releasePoliciesJson,
  releasePoliciesJsonIn,
  releasePoliciesOf,
  releasePolicyFromJSON,
  releasePolicyToJSON,
  writeReleasePolicies,
} from "./policy.js";
export {
  buildProvenance,
  checkSourceDigest,
  type Provenance,
  type ProvenanceInput,
  provenanceFromJSON,
  type ResourceDescriptor,
  releaseVersionClaims,
  SLSA_PROVENANCE_V1,
  type SourceDigest,
  type SourceReference,
  sourceMismatch,
  type VersionClaim,
  versionMismatch,
} from "./provenance.js";
export {
  type ArtifactRef,
  type Disagreement,
  describeQuorum,
  type InvalidAttestation,
  QuorumError,
  type QuorumOptions,
  type QuorumResult,
  requireQuorum,
  verifyQuorum,
} from "./quorum.js";
export { keyFingerprint, verifySignature } from "./signature.js";
export {
  buildStatement,
  IN_TOTO_PAYLOAD_TYPE,
  parseStatement,
  STATEMENT_TYPE_V1,
  type Statement,
  type StatementInput,
  type Subject,
  serializeStatement,
  statementFromJSON,
  statementToJSON,
  subjectsWithSha256,
} from "./statement.js";
