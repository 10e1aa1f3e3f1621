/** Shared test helpers: keys from published seeds, builders, and provenance attestations. */
import assert from "node:assert/strict";
import { createHash, createPrivateKey } from "node:crypto";
import { BulwarkError, type JsonObject, Key, PrivateKeySigner, type SignatureScheme } from "@bulwark/tuf";
import {
  buildProvenance,
  buildStatement,
  IN_TOTO_PAYLOAD_TYPE,
  SLSA_PROVENANCE_V1,
  serializeEnvelope,
  serializeStatement,
  signEnvelope,
} from "../src/index.js";

const ED25519_PKCS8_PREFIX = Buffer.from("302e020100300506032b657004220420", "hex");

/** An Ed25519 signer from a 32-byte seed (the vectors' published test keys). */
export function ed25519Signer(seedHex: string, keyId?: string): PrivateKeySigner {
  const key = createPrivateKey({
    key: Buffer.concat([ED25519_PKCS8_PREFIX, Buffer.from(seedHex, "hex")]),
    format: "der",
    type: "pkcs8",
  });
  return new PrivateKeySigner(key, "ed25519", keyId);
}

/** The public TUF-format key of an Ed25519 public value in hex. */
export function ed25519Key(publicHex: string): Key {
  return new Key("ed25519", "ed25519", { public: publicHex });
}

/** Hex SHA-256. */
export function sha256(data: string | Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

/** Runs `fn`, which must throw a BulwarkError with `code` (and, if given, of `type`). */
export function assertCode(
  fn: () => unknown,
  code: string,
  type: abstract new (...args: never[]) => Error = BulwarkError,
): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof type, `expected ${type.name}, got ${String(e)}`);
    assert.equal((e as BulwarkError).code, code);
    return true;
  });
}

/** A builder under test: its identity and signing key. */
export interface TestBuilder {
  readonly id: string;
  readonly signer: PrivateKeySigner;
}

const signerCache = new Map<string, PrivateKeySigner>();

/** A builder with a fresh key (ed25519 unless told otherwise); stable per name within a run. */
export function builder(name: string, scheme: SignatureScheme = "ed25519"): TestBuilder {
  const cacheKey = `${name}/${scheme}`;
  let signer = signerCache.get(cacheKey);
  if (signer === undefined) {
    signer = PrivateKeySigner.generate(scheme);
    signerCache.set(cacheKey, signer);
  }
  return { id: `https://builders.example/${name}`, signer };
}

/** The build type the tests' builders use. */
export const TEST_BUILD_TYPE = "https://bulwark.example/buildtypes/rebuild/v1";

/** What one builder claims in an attestation. */
export interface Claim {
  /** The subject's name (`demo-app-1.2.0.tar.gz` by default; null: no name). */
  readonly artifactName?: string | null;
  readonly artifactSha256: string;
  readonly sourceSha1?: string;
  readonly sourceDigest?: Readonly<Record<string, string>>;
  /** Defaults to the signing builder's own ID. */
  readonly builderId?: string;
  readonly predicateType?: string;
  readonly payloadType?: string;
  /** The release version recorded as `externalParameters.version` (none by default). */
  readonly version?: string;
  /** `externalParameters` instead of `{ ref: "refs/tags/v1.2.0" }`. */
  readonly externalParameters?: JsonObject;
  /** The source URI instead of `git+https://git.example/demo-app@refs/tags/v1.2.0`. */
  readonly sourceUri?: string;
}

/** A serialised DSSE envelope of an in-toto Statement v1 with SLSA provenance v1. */
export async function attest(
  by: TestBuilder | readonly PrivateKeySigner[],
  claim: Claim,
  as?: TestBuilder,
): Promise<Buffer> {
  const signers = Array.isArray(by) ? by : [(by as TestBuilder).signer];
  const builderId = claim.builderId ?? as?.id ?? (by as TestBuilder).id;
  const predicate = buildProvenance({
    buildType: TEST_BUILD_TYPE,
    builderId,
    source: {
      uri: claim.sourceUri ?? "git+https://git.example/demo-app@refs/tags/v1.2.0",
      digest: claim.sourceDigest ?? { sha1: claim.sourceSha1 ?? SOURCE_SHA1 },
    },
    externalParameters: claim.externalParameters ?? { ref: "refs/tags/v1.2.0" },
    ...(claim.version === undefined ? {} : { version: claim.version }),
    metadata: { invocationId: "run-1", startedOn: "2026-01-01T00:00:00Z" },
  });
  const statement = buildStatement({
    subject: [
      claim.artifactName === null
        ? { digest: { sha256: claim.artifactSha256 } }
        : { name: claim.artifactName ?? "demo-app-1.2.0.tar.gz", digest: { sha256: claim.artifactSha256 } },
    ],
    predicateType: claim.predicateType ?? SLSA_PROVENANCE_V1,
    predicate,
  });
  const envelope = await signEnvelope(
    claim.payloadType ?? IN_TOTO_PAYLOAD_TYPE,
    serializeStatement(statement),
    signers,
  );
  return serializeEnvelope(envelope);
}

/** The release the quorum tests verify. */
export const ARTIFACT_SHA256 = sha256("demo-app 1.2.0, as built from source");
/** A trojanized build of the same release (3CX). */
export const TROJAN_SHA256 = sha256("demo-app 1.2.0, with a backdoor");
/** The source commit the release was built from. */
export const SOURCE_SHA1 = createHash("sha1").update("commit v1.2.0").digest("hex");
/** Another commit. */
export const OTHER_SHA1 = createHash("sha1").update("commit with an injected change").digest("hex");
