import { BulwarkError, type Key, UsageError } from "@bulwark/tuf";
import { type EnvelopeLimits, parseEnvelope, verifiedKeyIds } from "./envelope.js";
import { AttestError } from "./errors.js";
import type { ReleasePolicy } from "./policy.js";
import {
  checkSourceDigest,
  type Provenance,
  provenanceFromJSON,
  SLSA_PROVENANCE_V1,
  type SourceDigest,
  sourceMismatch,
  versionMismatch,
} from "./provenance.js";
import { quote } from "./quote.js";
import { keyFingerprint } from "./signature.js";
import { IN_TOTO_PAYLOAD_TYPE, parseStatement, type Statement, type Subject, subjectsWithSha256 } from "./statement.js";

/** The artifact a quorum is asked about: its file name and SHA-256 (hex), and its release. */
export interface ArtifactRef {
  /** The release file's name (the basename of its target path, as `bulwark attest` names the subject). */
  readonly name: string;
  readonly sha256: string;
  /**
   * The signed release version. When given, an attestation counts only when it binds this
   * release, not only these bytes: a subject with this sha256 is named {@link name}, and
   * the provenance claims this version and no other (`externalParameters.version`, or a
   * tag it built: see `releaseVersionClaims`). Without it, an old attested build
   * relabelled as a new version would count; clients always give it.
   */
  readonly version?: string;
}

/** A builder that attested, but not this artifact from this source. */
export interface Disagreement {
  readonly builderId: string;
  readonly reason: string;
}

/** An attestation that could not count for any builder. */
export interface InvalidAttestation {
  /** Its position in the list given to {@link verifyQuorum}. */
  readonly index: number;
  readonly reason: string;
  /** Builders whose keys verified it (empty when none did). */
  readonly signedBy: readonly string[];
}

/** The outcome of {@link verifyQuorum}; `ok` exactly when `agreeing.length >= threshold`. */
export interface QuorumResult {
  readonly ok: boolean;
  readonly threshold: number;
  /** Builders (policy order) with at least one attestation of this artifact and source. */
  readonly agreeing: readonly string[];
  /** Builders whose attestations all named something else, with why. */
  readonly disagreeing: readonly Disagreement[];
  /** Builders with no attestation verified by their keys at all. */
  readonly absent: readonly string[];
  readonly invalid: readonly InvalidAttestation[];
}

/** Options of {@link verifyQuorum}. */
export interface QuorumOptions {
  /** Limits for each envelope; {@link ENVELOPE_LIMITS} by default. */
  readonly limits?: Partial<EnvelopeLimits>;
}

/** The policy's keys, indexed by key material, with who owns each. */
interface KeyIndex {
  /** Key material → a key, for verification (labels are fingerprints). */
  readonly byFingerprint: Map<string, Key>;
  /** Key material → the builder IDs that list it. */
  readonly owners: Map<string, string[]>;
  /** Builder IDs in policy order, each once. */
  readonly builderIds: string[];
}

function indexKeys(policy: ReleasePolicy): KeyIndex {
  const byFingerprint = new Map<string, Key>();
  const owners = new Map<string, string[]>();
  const builderIds: string[] = [];
  // A builder listed twice is one builder (its keys merged): builder IDs count once.
  for (const builder of policy.builders) {
    if (!builderIds.includes(builder.id)) builderIds.push(builder.id);
    for (const key of builder.keys.values()) {
      const fingerprint = keyFingerprint(key);
      if (fingerprint === undefined) continue; // an unusable key verifies nothing
      if (!byFingerprint.has(fingerprint)) byFingerprint.set(fingerprint, key);
      const list = owners.get(fingerprint) ?? [];
      if (!list.includes(builder.id)) list.push(builder.id);
      owners.set(fingerprint, list);
    }
  }
  return { byFingerprint, owners, builderIds };
}

function short(hex: string): string {
  return hex.length > 16 ? `${hex.slice(0, 12)}…` : hex;
}

function describeSubjects(statement: Statement): string {
  const shown = statement.subject.slice(0, 3).map((s) => {
    const sha = s.digest.get("sha256");
    const digest =
      sha === undefined
        ? `no sha256 (${[...s.digest.keys()].slice(0, 5).map(quote).join(", ")})`
        : `sha256 ${short(sha)}`;
    return s.name === undefined ? digest : `${quote(s.name)} ${digest}`;
  });
  const more = statement.subject.length > 3 ? ` and ${statement.subject.length - 3} more` : "";
  return `${shown.join(", ")}${more}`;
}

/** Why a builder's verified provenance does not count for this release, or undefined. */
function mismatch(
  builderId: string,
  statement: Statement,
  provenance: Provenance,
  artifact: ArtifactRef,
  source: SourceDigest | undefined,
): string | undefined {
  if (provenance.builderId !== builderId) return `its provenance names builder ${quote(provenance.builderId)}`;
  const subjects = subjectsWithSha256(statement, artifact.sha256);
  if (subjects.length === 0) {
    return `it attests another artifact: ${describeSubjects(statement)}, not sha256 ${short(artifact.sha256)}`;
  }
  if (artifact.version !== undefined) {
    const why = releaseMismatch(subjects, provenance, artifact.name, artifact.version);
    if (why !== undefined) return why;
  }
  return source === undefined ? undefined : sourceMismatch(provenance.source, source);
}

/**
 * Why these bytes' attestation does not bind the release `name` `version`, or undefined:
 * the same bytes under another file name or version are another release (relabelled release).
 */
function releaseMismatch(
  subjects: readonly Subject[],
  provenance: Provenance,
  name: string,
  version: string,
): string | undefined {
  if (!subjects.some((s) => s.name === name)) {
    const names = subjects.slice(0, 3).map((s) => (s.name === undefined ? "nothing" : quote(s.name)));
    return `its subject is named ${names.join(", ")}, not ${quote(name)}`;
  }
  return versionMismatch(provenance, version);
}

/** One attestation, authenticated and parsed, or why it cannot count. */
type Reading =
  | { readonly ok: true; readonly statement: Statement; readonly provenance: Provenance; readonly signedBy: string[] }
  | { readonly ok: false; readonly reason: string; readonly signedBy: string[] };

function reasonOf(error: unknown): string {
  if (error instanceof BulwarkError) return error.message;
  return `unexpected ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`;
}

/** Which builders' keys (each key owned by exactly one builder) verified the envelope. */
function signers(fingerprints: readonly string[], keys: KeyIndex): { signedBy: string[]; shared: string[] } {
  const signedBy: string[] = [];
  const shared: string[] = [];
  for (const fingerprint of fingerprints) {
    const owners = keys.owners.get(fingerprint) ?? [];
    const [only] = owners;
    // A key listed under two builder IDs identifies neither: it counts for none.
    if (owners.length !== 1 || only === undefined) shared.push(...owners);
    else if (!signedBy.includes(only)) signedBy.push(only);
  }
  return { signedBy, shared };
}

/** Authenticates, then parses one attestation (DSSE: verify first, then parse the payload). */
function readAttestation(bytes: Uint8Array, keys: KeyIndex, limits: Partial<EnvelopeLimits>): Reading {
  let signedBy: string[] = [];
  try {
    if (!(bytes instanceof Uint8Array)) return { ok: false, reason: "the attestation is not bytes", signedBy };
    const envelope = parseEnvelope(bytes, limits);
    const verified = signers(verifiedKeyIds(envelope, keys.byFingerprint), keys);
    signedBy = verified.signedBy;
    if (signedBy.length === 0) {
      const reason =
        verified.shared.length === 0
          ? "it is signed by no builder key in the policy"
          : `it is signed only by a key listed under several builders (${[...new Set(verified.shared)].join(", ")}), which counts for none`;
      return { ok: false, reason, signedBy };
    }
    // DSSE protocol.md, verification steps 4 and 5: refuse an unsupported payload type,
    // and only then parse the body according to its type.
    if (envelope.payloadType !== IN_TOTO_PAYLOAD_TYPE) {
      return { ok: false, reason: `its payloadType is ${quote(envelope.payloadType)}`, signedBy };
    }
    const statement = parseStatement(envelope.payload);
    if (statement.predicateType !== SLSA_PROVENANCE_V1) {
      const reason = `its predicateType is ${quote(statement.predicateType)}, not SLSA provenance v1`;
      return { ok: false, reason, signedBy };
    }
    return { ok: true, statement, provenance: provenanceFromJSON(statement.predicate), signedBy };
  } catch (error) {
    return { ok: false, reason: reasonOf(error), signedBy };
  }
}

function checkArguments(
  policy: ReleasePolicy,
  artifact: ArtifactRef,
  sourceDigest: SourceDigest | undefined,
): { sha256: string; source: SourceDigest | undefined } {
  if (!Number.isSafeInteger(policy.threshold) || policy.threshold < 1) {
    throw new UsageError(`a builder threshold must be an integer >= 1, got ${policy.threshold}`, {
      code: "ATTEST_USAGE",
    });
  }
  const sha256 = typeof artifact.sha256 === "string" ? artifact.sha256.toLowerCase() : "";
  if (!/^[0-9a-f]{64}$/.test(sha256)) {
    throw new UsageError("artifact.sha256 must be 64 hex characters", { code: "ATTEST_USAGE" });
  }
  if (artifact.version !== undefined && (typeof artifact.version !== "string" || artifact.version.length === 0)) {
    throw new UsageError("artifact.version must be a non-empty string when given", { code: "ATTEST_USAGE" });
  }
  if (policy.require.sourceDigest && sourceDigest === undefined) {
    throw new UsageError("the policy requires a source digest, and none was given", { code: "ATTEST_USAGE" });
  }
  return { sha256, source: sourceDigest === undefined ? undefined : checkSourceDigest(sourceDigest) };
}

/**
 * Counts the independent builders that attest `artifact` built from `sourceDigest`.
 *
 * Each attestation is a DSSE envelope of an in-toto Statement v1 with a SLSA provenance
 * v1 predicate. It counts for a builder when that builder's key verified it, its
 * provenance names that builder, a subject's sha256 is the artifact's, (when the artifact
 * names its release version) that subject is named as the artifact and the provenance
 * claims that version and no other, and (when given or required) its source digest is the
 * expected one. A builder counts once however
 * many attestations or policy entries it has; a key listed under two builders counts
 * for neither, so no key ever counts twice. Keys not in the policy (rotated out) count
 * for nothing. Malformed, oversized and unsigned envelopes become `invalid` entries:
 * nothing about the attestations makes this throw.
 *
 * @throws {UsageError} only for a caller's mistake: a threshold < 1, an artifact digest
 * that is not hex, an empty release version, or a required source digest that was not given.
 */
export function verifyQuorum(
  policy: ReleasePolicy,
  artifact: ArtifactRef,
  sourceDigest: SourceDigest | undefined,
  attestations: readonly Uint8Array[],
  options: QuorumOptions = {},
): QuorumResult {
  const { sha256, source } = checkArguments(policy, artifact, sourceDigest);
  const target: ArtifactRef = { ...artifact, sha256 };
  const keys = indexKeys(policy);
  const agreed = new Set<string>();
  const reasons = new Map<string, string[]>();
  const invalid: InvalidAttestation[] = [];
  const note = (builderId: string, reason: string) =>
    reasons.set(builderId, [...(reasons.get(builderId) ?? []), reason]);

  attestations.forEach((bytes, index) => {
    const reading = readAttestation(bytes, keys, options.limits ?? {});
    if (!reading.ok) {
      invalid.push({ index, reason: reading.reason, signedBy: reading.signedBy });
      for (const builderId of reading.signedBy) note(builderId, `attestation ${index} is unusable: ${reading.reason}`);
      return;
    }
    for (const builderId of reading.signedBy) {
      const why = mismatch(builderId, reading.statement, reading.provenance, target, source);
      if (why === undefined) agreed.add(builderId);
      else note(builderId, `attestation ${index}: ${why}`);
    }
  });

  const agreeing = keys.builderIds.filter((id) => agreed.has(id));
  const disagreeing = keys.builderIds
    .filter((id) => !agreed.has(id) && reasons.has(id))
    .map((builderId) => ({ builderId, reason: (reasons.get(builderId) ?? []).join("; ") }));
  const absent = keys.builderIds.filter((id) => !agreed.has(id) && !reasons.has(id));
  return {
    ok: agreeing.length >= policy.threshold,
    threshold: policy.threshold,
    agreeing,
    disagreeing,
    absent,
    invalid,
  };
}

/** The error {@link requireQuorum} throws, carrying the full result for display. */
export class QuorumError extends AttestError {
  constructor(
    message: string,
    readonly result: QuorumResult,
  ) {
    super("ATTEST_NO_QUORUM", message);
  }
}

/** A one-paragraph account of a quorum result, naming every builder. */
export function describeQuorum(artifact: ArtifactRef, result: QuorumResult): string {
  const parts = [
    `${artifact.name} (sha256 ${short(artifact.sha256.toLowerCase())}) is attested by ${result.agreeing.length} of the ${result.threshold} independent builders required`,
    `agreed: ${result.agreeing.length === 0 ? "none" : result.agreeing.join(", ")}`,
  ];
  if (result.disagreeing.length > 0) {
    parts.push(`disagreed: ${result.disagreeing.map((d) => `${d.builderId} (${d.reason})`).join(", ")}`);
  }
  if (result.absent.length > 0) parts.push(`no attestation from: ${result.absent.join(", ")}`);
  if (result.invalid.length > 0) {
    parts.push(`invalid: ${result.invalid.map((i) => `attestation ${i.index} (${i.reason})`).join(", ")}`);
  }
  return parts.join("; ");
}

/**
 * {@link verifyQuorum}, failing closed: returns the result only when the quorum is met.
 * @throws {QuorumError} `ATTEST_NO_QUORUM`, naming which builders agreed and which
 * disagreed, and why.
 * @throws {UsageError} as {@link verifyQuorum} does.
 */
export function requireQuorum(
  policy: ReleasePolicy,
  artifact: ArtifactRef,
  sourceDigest: SourceDigest | undefined,
  attestations: readonly Uint8Array[],
  options: QuorumOptions = {},
): QuorumResult {
  const result = verifyQuorum(policy, artifact, sourceDigest, attestations, options);
  if (!result.ok) throw new QuorumError(describeQuorum(artifact, result), result);
  return result;
}
