import { isJsonObject, type JsonObject, type JsonValue, UsageError } from "@bulwark/tuf";
import { type DigestSet, digestSetToJSON, isLowerHex, readDigestSet, toDigestSet } from "./digest-set.js";
import { AttestError } from "./errors.js";
import { quote } from "./quote.js";

/** The SLSA provenance predicateType this package reads and writes. */
export const SLSA_PROVENANCE_V1 = "https://slsa.dev/provenance/v1";

/** A SLSA/in-toto ResourceDescriptor, as far as Bulwark reads one. */
export interface ResourceDescriptor {
  readonly name?: string;
  readonly uri?: string;
  readonly digest?: DigestSet;
}

/** Where the build's source came from: a repository URI and its commit digest. */
export interface SourceReference {
  readonly uri?: string;
  readonly digest: DigestSet;
}

/**
 * The parts of a SLSA provenance v1 predicate that Bulwark needs. The full predicate
 * stays available in the Statement; unknown fields are ignored (in-toto parsing rules).
 */
export interface Provenance {
  /** `buildDefinition.buildType`: the template of the build, a URI. */
  readonly buildType: string;
  /** `runDetails.builder.id`: the builder's identity, a URI. */
  readonly builderId: string;
  readonly externalParameters: JsonObject;
  readonly resolvedDependencies: readonly ResourceDescriptor[];
  /** `runDetails.metadata`, when present. */
  readonly metadata: { readonly invocationId?: string; readonly startedOn?: string; readonly finishedOn?: string };
  /**
   * The source the build claims: `externalParameters.source` when it is a descriptor
   * with a digest, else `resolvedDependencies[0]` when it has a digest, else undefined.
   */
  readonly source: SourceReference | undefined;
}

/** A release version a provenance claims, and where it says so. */
export interface VersionClaim {
  /** The version, with a tag's leading `v` removed (`refs/tags/v1.2.0` claims `1.2.0`). */
  readonly version: string;
  /** Where: `externalParameters.version`, or the field holding the tag ref. */
  readonly from: string;
  /** The tag ref itself, when the claim is a tag. */
  readonly ref?: string;
}

/** What a builder gives {@link buildProvenance}. */
export interface ProvenanceInput {
  readonly buildType: string;
  readonly builderId: string;
  /** Written as `resolvedDependencies[0]`, the SLSA convention for the source. */
  readonly source: {
    readonly uri: string;
    readonly digest: DigestSet | Readonly<Record<string, string>>;
  };
  readonly externalParameters?: JsonObject;
  readonly internalParameters?: JsonObject;
  /**
   * The release version built, written as `externalParameters.version`: it binds the
   * attestation to that release (see {@link releaseVersionClaims}).
   */
  readonly version?: string;
  readonly metadata?: { readonly invocationId?: string; readonly startedOn?: string; readonly finishedOn?: string };
}

function bad(message: string): never {
  throw new AttestError("ATTEST_BAD_PROVENANCE", message);
}

function object(parent: JsonObject, name: string, where: string): JsonObject {
  const v = parent[name];
  if (!Object.hasOwn(parent, name) || !isJsonObject(v)) return bad(`${where}.${name} must be an object`);
  return v;
}

function nonEmptyString(parent: JsonObject, name: string, where: string): string {
  const v = parent[name];
  if (!Object.hasOwn(parent, name) || typeof v !== "string" || v.length === 0) {
    return bad(`${where}.${name} must be a non-empty string`);
  }
  return v;
}

function optionalString(parent: JsonObject, name: string, where: string): string | undefined {
  if (!Object.hasOwn(parent, name)) return undefined;
  const v = parent[name];
  if (typeof v !== "string") return bad(`${where}.${name} must be a string`);
  return v;
}

function readDescriptor(value: JsonValue | undefined, where: string): ResourceDescriptor {
  if (!isJsonObject(value)) return bad(`${where} must be an object`);
  const name = optionalString(value, "name", where);
  const uri = optionalString(value, "uri", where);
  let digest: DigestSet | undefined;
  if (Object.hasOwn(value, "digest")) {
    const read = readDigestSet(value.digest, `${where}.digest`);
    if (typeof read === "string") return bad(read);
    digest = read;
  }
  // ResourceDescriptor: at least one of uri, digest or content.
  if (uri === undefined && digest === undefined && !Object.hasOwn(value, "content")) {
    return bad(`${where} must have a uri, a digest or content`);
  }
  return {
    ...(name === undefined ? {} : { name }),
    ...(uri === undefined ? {} : { uri }),
    ...(digest === undefined ? {} : { digest }),
  };
}

function sameDigests(a: DigestSet, b: DigestSet): boolean {
  return a.size === b.size && [...a].every(([alg, hex]) => b.get(alg) === hex);
}

/**
 * Reads a SLSA provenance v1 predicate strictly where Bulwark depends on it:
 * `buildDefinition.buildType`, `externalParameters` (an object),
 * `resolvedDependencies` (descriptors), `runDetails.builder.id`, `runDetails.metadata`.
 * When the source is named in both `externalParameters.source` and
 * `resolvedDependencies[0]`, the two must agree.
 *
 * @throws {AttestError} `ATTEST_BAD_PROVENANCE` naming the bad field.
 */
export function provenanceFromJSON(predicate: JsonValue | undefined): Provenance {
  if (!isJsonObject(predicate)) return bad("the provenance predicate must be an object");
  const where = "predicate";
  const definition = object(predicate, "buildDefinition", where);
  const buildType = nonEmptyString(definition, "buildType", `${where}.buildDefinition`);
  const externalParameters = object(definition, "externalParameters", `${where}.buildDefinition`);
  if (Object.hasOwn(definition, "internalParameters")) {
    object(definition, "internalParameters", `${where}.buildDefinition`);
  }
  let resolvedDependencies: ResourceDescriptor[] = [];
  if (Object.hasOwn(definition, "resolvedDependencies")) {
    const list = definition.resolvedDependencies;
    if (!Array.isArray(list)) return bad(`${where}.buildDefinition.resolvedDependencies must be an array`);
    resolvedDependencies = list.map((d, i) => readDescriptor(d, `${where}.buildDefinition.resolvedDependencies[${i}]`));
  }
  const run = object(predicate, "runDetails", where);
  const builder = object(run, "builder", `${where}.runDetails`);
  const builderId = nonEmptyString(builder, "id", `${where}.runDetails.builder`);
  let metadata: Provenance["metadata"] = {};
  if (Object.hasOwn(run, "metadata")) {
    const m = object(run, "metadata", `${where}.runDetails`);
    const w = `${where}.runDetails.metadata`;
    const invocationId = optionalString(m, "invocationId", w);
    const startedOn = optionalString(m, "startedOn", w);
    const finishedOn = optionalString(m, "finishedOn", w);
    metadata = {
      ...(invocationId === undefined ? {} : { invocationId }),
      ...(startedOn === undefined ? {} : { startedOn }),
      ...(finishedOn === undefined ? {} : { finishedOn }),
    };
  }
  const source = readSource(externalParameters, resolvedDependencies);
  return { buildType, builderId, externalParameters, resolvedDependencies, metadata, source };
}

function readSource(
  externalParameters: JsonObject,
  resolvedDependencies: readonly ResourceDescriptor[],
): SourceReference | undefined {
  // Build types define their own externalParameters: only a descriptor with a digest
  // under "source" is read as the source; anything else there is the build type's own.
  let fromParameters: ResourceDescriptor | undefined;
  const declared = Object.hasOwn(externalParameters, "source") ? externalParameters.source : undefined;
  if (isJsonObject(declared) && Object.hasOwn(declared, "digest")) {
    fromParameters = readDescriptor(declared, "predicate.buildDefinition.externalParameters.source");
  }
  const first = resolvedDependencies[0];
  const a = fromParameters?.digest === undefined ? undefined : toSource(fromParameters);
  const b = first?.digest === undefined ? undefined : toSource(first);
  if (a !== undefined && b !== undefined) {
    // Two claims about the source must be one claim, or the attestation is ambiguous.
    if (!sameDigests(a.digest, b.digest) || (a.uri !== undefined && b.uri !== undefined && a.uri !== b.uri)) {
      return bad(
        "externalParameters.source and resolvedDependencies[0] name different sources: the provenance is ambiguous",
      );
    }
  }
  return a ?? b;
}

function toSource(d: ResourceDescriptor): SourceReference | undefined {
  if (d.digest === undefined) return undefined;
  return d.uri === undefined ? { digest: d.digest } : { uri: d.uri, digest: d.digest };
}

/**
 * A SLSA provenance v1 predicate for a Bulwark builder: the source repository and
 * commit go in `resolvedDependencies[0]`, the SLSA convention.
 * @throws {UsageError} when a value would not survive {@link provenanceFromJSON}.
 */
export function buildProvenance(input: ProvenanceInput): JsonObject {
  const externalParameters: JsonObject = { ...input.externalParameters };
  if (input.version !== undefined) {
    const given = externalParameters.version;
    if (given !== undefined && given !== input.version) {
      throw new UsageError("externalParameters.version and version disagree", { code: "ATTEST_USAGE" });
    }
    if (input.version.length === 0) throw new UsageError("version must not be empty", { code: "ATTEST_USAGE" });
    externalParameters.version = input.version;
  }
  const definition: JsonObject = { buildType: input.buildType, externalParameters };
  if (input.internalParameters !== undefined) definition.internalParameters = input.internalParameters;
  definition.resolvedDependencies = [
    { uri: input.source.uri, digest: digestSetToJSON(toDigestSet(input.source.digest)) },
  ];
  const run: JsonObject = { builder: { id: input.builderId } };
  if (input.metadata !== undefined) run.metadata = { ...input.metadata };
  const predicate: JsonObject = { buildDefinition: definition, runDetails: run };
  try {
    provenanceFromJSON(predicate);
  } catch (cause) {
    if (cause instanceof AttestError) throw new UsageError(cause.message, { cause, code: "ATTEST_USAGE" });
    throw cause;
  }
  return predicate;
}

const TAG_PREFIX = "refs/tags/";

/** The git ref at the end of a source URI (`git+https://host/repo@refs/tags/v1.2.0`), or undefined. */
function uriRef(uri: string | undefined): string | undefined {
  if (uri === undefined) return undefined;
  const at = uri.lastIndexOf("@");
  const ref = at === -1 ? "" : uri.slice(at + 1);
  return ref.startsWith("refs/") ? ref : undefined;
}

function stringAt(value: JsonValue | undefined, name: string): JsonValue | undefined {
  return isJsonObject(value) && Object.hasOwn(value, name) ? value[name] : undefined;
}

/**
 * Every release version a provenance claims: `externalParameters.version` (written by
 * {@link buildProvenance} from `version`), and each git tag the build says it built, read
 * from `externalParameters.ref`, `externalParameters.workflow.ref` (GitHub Actions) and the
 * `@ref` suffix of the source URI (the SLSA convention). A tag names the version it spells,
 * without a leading `v`. Branch refs and other fields claim nothing. A claim that is not a
 * string is returned as the empty version, which matches no release: fail closed.
 */
export function releaseVersionClaims(provenance: Provenance): VersionClaim[] {
  const claims: VersionClaim[] = [];
  const parameters = provenance.externalParameters;
  if (Object.hasOwn(parameters, "version")) {
    const version = parameters.version;
    const claimed = typeof version === "string" ? version : "";
    claims.push({ version: claimed, from: "externalParameters.version" });
  }
  const refs: Array<[string, JsonValue | undefined]> = [
    ["externalParameters.ref", stringAt(parameters, "ref")],
    ["externalParameters.workflow.ref", stringAt(stringAt(parameters, "workflow"), "ref")],
    ["the source URI", uriRef(provenance.source?.uri)],
  ];
  for (const [from, ref] of refs) {
    if (typeof ref !== "string" || !ref.startsWith(TAG_PREFIX)) continue;
    const tag = ref.slice(TAG_PREFIX.length);
    claims.push({ version: /^v\d/.test(tag) ? tag.slice(1) : tag, from, ref });
  }
  return claims;
}

/**
 * Checks that a provenance binds the release `version`: it claims at least one version
 * (see {@link releaseVersionClaims}) and every claim is that version. Returns undefined
 * when it does, else the reason it does not.
 */
export function versionMismatch(provenance: Provenance, version: string): string | undefined {
  const claims = releaseVersionClaims(provenance);
  if (claims.length === 0) {
    return `its provenance binds no release version (no externalParameters.version, no tag built), so it cannot attest version ${version}`;
  }
  const other = claims.find((c) => c.version !== version);
  if (other === undefined) return undefined;
  if (other.ref === undefined) {
    return other.version === ""
      ? `its ${other.from} is not a version string, so it cannot attest version ${version}`
      : `it attests version ${quote(other.version)}, not ${version}`;
  }
  return `it attests version ${quote(other.version)} (${other.from} names tag ${quote(other.ref)}), not ${version}`;
}

/** The digest of the source a release was built from, as a verifier expects it. */
export interface SourceDigest {
  /** `sha1` for a SHA-1 git commit, `sha256` for a SHA-256 one (or a source archive). */
  readonly alg: "sha1" | "sha256";
  /** Lowercase hex. */
  readonly hex: string;
}

const SOURCE_HEX_LENGTH = { sha1: 40, sha256: 64 } as const;

/**
 * Checks a caller's expected source digest.
 * @throws {UsageError} for an unknown algorithm or a value that is not hex of its length.
 */
export function checkSourceDigest(expected: SourceDigest): SourceDigest {
  const length = Object.hasOwn(SOURCE_HEX_LENGTH, expected.alg) ? SOURCE_HEX_LENGTH[expected.alg] : undefined;
  const hex = typeof expected.hex === "string" ? expected.hex.toLowerCase() : "";
  if (length === undefined || !isLowerHex(hex, length)) {
    throw new UsageError(`a source digest must be sha1 (40 hex) or sha256 (64 hex)`, { code: "ATTEST_USAGE" });
  }
  return { alg: expected.alg, hex };
}

/**
 * Compares a provenance's source with the expected digest. The fields that can carry it
 * are the algorithm's own name and `gitCommit` of the same length; at least one must be
 * present and every one present must equal the expected value (a set that says two
 * different things about one commit does not match).
 * Returns undefined on a match, else the reason it does not match.
 */
export function sourceMismatch(source: SourceReference | undefined, expected: SourceDigest): string | undefined {
  if (source === undefined) return "its provenance names no source digest";
  const claimed: Array<[string, string]> = [];
  for (const [alg, hex] of source.digest) {
    if (alg === expected.alg || (alg === "gitCommit" && hex.length === SOURCE_HEX_LENGTH[expected.alg])) {
      claimed.push([alg, hex]);
    }
  }
  if (claimed.length === 0) {
    return `its provenance names no ${expected.alg} source digest (it has ${[...source.digest.keys()].slice(0, 5).map(quote).join(", ")})`;
  }
  const other = claimed.find(([, hex]) => hex !== expected.hex);
  if (other !== undefined) {
    return `it was built from another source: ${other[0]} ${other[1]}, not ${expected.alg} ${expected.hex}`;
  }
  return undefined;
}
