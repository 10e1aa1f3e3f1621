/**
 * The builder quorum (issue 6): k of n independent builders must attest the artifact's
 * sha256, built from the expected source. Adversarial cases are a data table named after
 * the attack; each lists the whole expected outcome.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Key, type PrivateKeySigner, UsageError } from "@bulwark/tuf";
import {
  type ArtifactRef,
  AttestError,
  type BuilderPolicy,
  buildProvenance,
  envelopeFromJSON,
  envelopeToJSON,
  parseEnvelope,
  provenanceFromJSON,
  QuorumError,
  type ReleasePolicy,
  releaseVersionClaims,
  requireQuorum,
  type SourceDigest,
  serializeEnvelope,
  verifyQuorum,
} from "../src/index.js";
import {
  ARTIFACT_SHA256,
  attest,
  builder,
  OTHER_SHA1,
  SOURCE_SHA1,
  sha256,
  type TestBuilder,
  TROJAN_SHA256,
} from "./helpers.js";

const A = builder("a");
const B = builder("b", "ecdsa-sha2-nistp256");
const C = builder("c");
const A2 = builder("a-second-key");
const B_OLD = builder("b-rotated-out");

const ARTIFACT = { name: "demo-app-1.2.0.tar.gz", sha256: ARTIFACT_SHA256 };
/** The same artifact as release 1.2.0: attestations must bind the release, not only the bytes. */
const RELEASE: ArtifactRef = { ...ARTIFACT, version: "1.2.0" };
/** Parameters of a build from a branch: they name no tag, so no version. */
const BRANCH_BUILD = {
  externalParameters: { ref: "refs/heads/main" },
  sourceUri: "git+https://git.example/demo-app@refs/heads/main",
};
const SOURCE: SourceDigest = { alg: "sha1", hex: SOURCE_SHA1 };

function entry(b: TestBuilder, ...extra: PrivateKeySigner[]): BuilderPolicy {
  return { id: b.id, keys: new Map([b.signer, ...extra].map((s) => [s.keyId, s.publicKey])) };
}

function policy(threshold: number, ...builders: BuilderPolicy[]): ReleasePolicy {
  return { builders, threshold, require: { artifactSha256: true, sourceDigest: true } };
}

const THREE = () => policy(2, entry(A), entry(B), entry(C));

interface Want {
  ok: boolean;
  agreeing: TestBuilder[];
  disagreeing?: Array<[TestBuilder, RegExp]>;
  absent?: TestBuilder[];
  invalid?: Array<[number, RegExp]>;
}

interface Case {
  name: string;
  policy: () => ReleasePolicy;
  attestations: () => Promise<Uint8Array[]>;
  artifact?: ArtifactRef;
  source?: SourceDigest | undefined;
  want: Want;
}

const good = (b: TestBuilder) => attest(b, { artifactSha256: ARTIFACT_SHA256 });

async function tampered(): Promise<Buffer> {
  const json = envelopeToJSON(parseEnvelope(await good(B)));
  const statement = JSON.parse(Buffer.from(json.payload as string, "base64").toString());
  statement.subject[0].digest.sha256 = TROJAN_SHA256;
  json.payload = Buffer.from(JSON.stringify(statement)).toString("base64");
  return serializeEnvelope(envelopeFromJSON(json));
}

const CASES: Case[] = [
  {
    name: "accepts a release two of three independent builders attest (2-of-3)",
    policy: THREE,
    attestations: async () => [await good(A), await good(B)],
    want: { ok: true, agreeing: [A, B], absent: [C] },
  },
  {
    name: "refuses a release only the compromised builder attests (3CX)",
    policy: THREE,
    artifact: { name: ARTIFACT.name, sha256: TROJAN_SHA256 },
    attestations: async () => [
      await attest(A, { artifactSha256: TROJAN_SHA256 }),
      await attest(B, { artifactSha256: ARTIFACT_SHA256 }),
      await attest(C, { artifactSha256: ARTIFACT_SHA256 }),
    ],
    want: {
      ok: false,
      agreeing: [A],
      disagreeing: [
        [B, /another artifact/],
        [C, /another artifact/],
      ],
    },
  },
  {
    name: "refuses one builder's attestation submitted twice (replayed duplicate)",
    policy: THREE,
    attestations: async () => {
      const one = await good(A);
      return [one, one, Buffer.from(one)];
    },
    want: { ok: false, agreeing: [A], absent: [B, C] },
  },
  {
    name: "refuses a builder signing with two of its own keys (duplicate builder keys)",
    policy: () => policy(2, entry(A, A2.signer), entry(B), entry(C)),
    attestations: async () => [
      await attest([A.signer, A2.signer], { artifactSha256: ARTIFACT_SHA256, builderId: A.id }),
      await attest(A2, { artifactSha256: ARTIFACT_SHA256, builderId: A.id }),
    ],
    want: { ok: false, agreeing: [A], absent: [B, C] },
  },
  {
    name: "counts one key listed under two key IDs of a builder once",
    policy: () =>
      policy(
        2,
        {
          id: A.id,
          keys: new Map([
            ["one", A.signer.publicKey],
            ["two", new Key("ed25519", "ed25519", { public: A.signer.publicKey.publicValue })],
          ]),
        },
        entry(B),
      ),
    attestations: async () => [await good(A)],
    want: { ok: false, agreeing: [A], absent: [B] },
  },
  {
    name: "refuses a builder listed twice in the policy (it counts once)",
    policy: () => policy(2, entry(A), entry(A), entry(B)),
    attestations: async () => [await good(A), await good(A)],
    want: { ok: false, agreeing: [A], absent: [B] },
  },
  {
    name: "refuses a builder key listed twice under two builder IDs (it counts for neither)",
    policy: () => policy(2, entry(A), { id: B.id, keys: new Map([["shared", A.signer.publicKey]]) }, entry(C)),
    attestations: async () => [await good(A), await attest(A, { artifactSha256: ARTIFACT_SHA256 }, B)],
    want: {
      ok: false,
      agreeing: [],
      absent: [A, B, C],
      invalid: [
        [0, /listed under several builders/],
        [1, /listed under several builders/],
      ],
    },
  },
  {
    name: "refuses an attestation for another artifact",
    policy: THREE,
    attestations: async () => [
      await good(A),
      await attest(B, { artifactSha256: sha256("another artifact"), artifactName: ARTIFACT.name }),
    ],
    want: {
      ok: false,
      agreeing: [A],
      disagreeing: [[B, /attests another artifact: "demo-app-1\.2\.0\.tar\.gz" sha256/]],
      absent: [C],
    },
  },
  {
    name: "refuses an attestation built from another source digest",
    policy: THREE,
    attestations: async () => [
      await good(A),
      await attest(B, { artifactSha256: ARTIFACT_SHA256, sourceSha1: OTHER_SHA1 }),
    ],
    want: {
      ok: false,
      agreeing: [A],
      disagreeing: [[B, new RegExp(`another source: sha1 ${OTHER_SHA1}`)]],
      absent: [C],
    },
  },
  {
    name: "refuses a provenance that names no digest of the expected kind",
    policy: THREE,
    attestations: async () => [
      await good(A),
      await attest(B, { artifactSha256: ARTIFACT_SHA256, sourceDigest: { gitTree: SOURCE_SHA1 } }),
    ],
    want: { ok: false, agreeing: [A], disagreeing: [[B, /no sha1 source digest/]], absent: [C] },
  },
  {
    name: "refuses a builder key rotated out of the policy",
    policy: THREE,
    attestations: async () => [
      await good(A),
      await attest(B_OLD, { artifactSha256: ARTIFACT_SHA256, builderId: B.id }),
    ],
    want: { ok: false, agreeing: [A], absent: [B, C], invalid: [[1, /no builder key in the policy/]] },
  },
  {
    name: "refuses malformed and oversized envelopes, never throwing",
    policy: THREE,
    attestations: async () => {
      const b = await good(B);
      return [
        await good(A),
        Buffer.from("not json"),
        Buffer.from("{}"),
        b.subarray(0, b.length - 5),
        Buffer.concat([b, Buffer.alloc(1024 * 1024, 0x20)]),
        new Uint8Array(0),
        Buffer.from('{"payload":"e30=","payloadType":"application/vnd.in-toto+json","signatures":[{"sig":"!"}]}'),
      ];
    },
    want: {
      ok: false,
      agreeing: [A],
      absent: [B, C],
      invalid: [
        [1, /not valid JSON/],
        [2, /payloadType must be a string/],
        [3, /not valid JSON/],
        [4, /the limit is 1048576/],
        [5, /not valid JSON/],
        [6, /sig must be base64/],
      ],
    },
  },
  {
    name: "refuses a payload changed after signing (tampering)",
    policy: THREE,
    artifact: { name: ARTIFACT.name, sha256: TROJAN_SHA256 },
    attestations: async () => [await attest(A, { artifactSha256: TROJAN_SHA256 }), await tampered()],
    want: { ok: false, agreeing: [A], absent: [B, C], invalid: [[1, /no builder key in the policy/]] },
  },
  {
    name: "refuses a builder key used to claim another builder's identity",
    policy: THREE,
    attestations: async () => [await good(A), await attest(B, { artifactSha256: ARTIFACT_SHA256, builderId: A.id })],
    want: {
      ok: false,
      agreeing: [A],
      disagreeing: [[B, /names builder "https:\/\/builders\.example\/a"/]],
      absent: [C],
    },
  },
  {
    name: "refuses an envelope co-signed by two builders for the builder it does not name",
    policy: THREE,
    attestations: async () => [
      await attest([A.signer, B.signer], { artifactSha256: ARTIFACT_SHA256, builderId: A.id }),
    ],
    want: { ok: false, agreeing: [A], disagreeing: [[B, /names builder/]], absent: [C] },
  },
  {
    name: "refuses a DSSE payload that is not an in-toto statement",
    policy: THREE,
    attestations: async () => [
      await good(A),
      await attest(B, { artifactSha256: ARTIFACT_SHA256, payloadType: "application/vnd.example+json" }),
    ],
    want: {
      ok: false,
      agreeing: [A],
      disagreeing: [[B, /unusable: its payloadType/]],
      absent: [C],
      invalid: [[1, /payloadType is "application\/vnd\.example\+json"/]],
    },
  },
  {
    name: "refuses a statement whose predicate is not SLSA provenance",
    policy: THREE,
    attestations: async () => [
      await good(A),
      await attest(B, { artifactSha256: ARTIFACT_SHA256, predicateType: "https://in-toto.io/attestation/link/v0.3" }),
    ],
    want: {
      ok: false,
      agreeing: [A],
      disagreeing: [[B, /not SLSA provenance v1/]],
      absent: [C],
      invalid: [[1, /predicateType/]],
    },
  },
  {
    name: "accepts a builder that also attests the release's other artifacts",
    policy: THREE,
    attestations: async () => [
      await attest(B, { artifactSha256: sha256("demo-app-1.2.0.dmg"), artifactName: "demo-app-1.2.0.dmg" }),
      await good(B),
      await good(C),
    ],
    want: { ok: true, agreeing: [B, C], absent: [A] },
  },
  {
    name: "accepts a source named by gitCommit, as GitHub's provenance does",
    policy: THREE,
    attestations: async () => [
      await good(A),
      await attest(C, { artifactSha256: ARTIFACT_SHA256, sourceDigest: { gitCommit: SOURCE_SHA1 } }),
    ],
    want: { ok: true, agreeing: [A, C], absent: [B] },
  },
  {
    name: "does not compare sources when the policy does not require it and none is given",
    policy: () => ({ ...THREE(), require: { artifactSha256: true, sourceDigest: false } }),
    source: undefined,
    attestations: async () => [
      await good(A),
      await attest(B, { artifactSha256: ARTIFACT_SHA256, sourceSha1: OTHER_SHA1 }),
    ],
    want: { ok: true, agreeing: [A, B], absent: [C] },
  },
  {
    name: "accepts attestations that bind the release: its file name, and the tag the builders built",
    policy: THREE,
    artifact: RELEASE,
    attestations: async () => [await good(A), await good(B)],
    want: { ok: true, agreeing: [A, B], absent: [C] },
  },
  {
    name: "refuses an old attested build relabelled as a new version (relabelled release)",
    policy: THREE,
    artifact: { name: "demo-app-1.3.0.tar.gz", sha256: ARTIFACT_SHA256, version: "1.3.0" },
    attestations: async () => [await good(A), await good(B), await good(C)],
    want: {
      ok: false,
      agreeing: [],
      disagreeing: [
        [A, /its subject is named "demo-app-1\.2\.0\.tar\.gz", not "demo-app-1\.3\.0\.tar\.gz"/],
        [B, /its subject is named "demo-app-1\.2\.0\.tar\.gz", not "demo-app-1\.3\.0\.tar\.gz"/],
        [C, /its subject is named/],
      ],
    },
  },
  {
    name: "refuses an old attested build relabelled as a new version under its old file name (relabelled release)",
    policy: THREE,
    artifact: { ...ARTIFACT, version: "1.3.0" },
    attestations: async () => [await good(A), await good(B)],
    want: {
      ok: false,
      agreeing: [],
      disagreeing: [
        [A, /attests version "1\.2\.0" \(externalParameters\.ref names tag "refs\/tags\/v1\.2\.0"\), not 1\.3\.0/],
        [B, /attests version "1\.2\.0"/],
      ],
      absent: [C],
    },
  },
  {
    name: "refuses an attestation that records another release version (relabelled release)",
    policy: THREE,
    artifact: RELEASE,
    attestations: async () => [
      await good(A),
      await attest(B, { artifactSha256: ARTIFACT_SHA256, version: "1.1.0", ...BRANCH_BUILD }),
    ],
    want: { ok: false, agreeing: [A], disagreeing: [[B, /it attests version "1\.1\.0", not 1\.2\.0/]], absent: [C] },
  },
  {
    name: "refuses a provenance whose version and tag disagree (relabelled release)",
    policy: THREE,
    artifact: { ...ARTIFACT, version: "1.1.0" },
    attestations: async () => [await attest(B, { artifactSha256: ARTIFACT_SHA256, version: "1.1.0" })],
    want: {
      ok: false,
      agreeing: [],
      disagreeing: [[B, /attests version "1\.2\.0" \(externalParameters\.ref/]],
      absent: [A, C],
    },
  },
  {
    name: "refuses a GitHub workflow that built another tag (relabelled release)",
    policy: THREE,
    artifact: RELEASE,
    attestations: async () => [
      await good(A),
      await attest(B, {
        artifactSha256: ARTIFACT_SHA256,
        externalParameters: { workflow: { ref: "refs/tags/v1.1.0", repository: "https://git.example/demo-app" } },
        sourceUri: "git+https://git.example/demo-app",
      }),
    ],
    want: {
      ok: false,
      agreeing: [A],
      disagreeing: [[B, /attests version "1\.1\.0" \(externalParameters\.workflow\.ref names tag/]],
      absent: [C],
    },
  },
  {
    name: "refuses a provenance that binds no release version (a branch build)",
    policy: THREE,
    artifact: RELEASE,
    attestations: async () => [await good(A), await attest(B, { artifactSha256: ARTIFACT_SHA256, ...BRANCH_BUILD })],
    want: { ok: false, agreeing: [A], disagreeing: [[B, /binds no release version/]], absent: [C] },
  },
  {
    name: "refuses a subject with the release's bytes but no name",
    policy: THREE,
    artifact: RELEASE,
    attestations: async () => [await good(A), await attest(B, { artifactSha256: ARTIFACT_SHA256, artifactName: null })],
    want: {
      ok: false,
      agreeing: [A],
      disagreeing: [[B, /its subject is named nothing, not "demo-app-1\.2\.0\.tar\.gz"/]],
      absent: [C],
    },
  },
  {
    name: "refuses a version recorded as something other than a string",
    policy: THREE,
    artifact: RELEASE,
    attestations: async () => [
      await good(A),
      await attest(B, { artifactSha256: ARTIFACT_SHA256, ...BRANCH_BUILD, externalParameters: { version: 120 } }),
    ],
    want: {
      ok: false,
      agreeing: [A],
      disagreeing: [[B, /externalParameters\.version is not a version string/]],
      absent: [C],
    },
  },
  {
    name: "accepts a recorded release version on a branch build (bulwark attest --version)",
    policy: THREE,
    artifact: RELEASE,
    attestations: async () => [
      await attest(A, { artifactSha256: ARTIFACT_SHA256, version: "1.2.0", ...BRANCH_BUILD }),
      await attest(B, { artifactSha256: ARTIFACT_SHA256, version: "1.2.0" }),
    ],
    want: { ok: true, agreeing: [A, B], absent: [C] },
  },
  {
    name: "accepts a tag without a leading v (refs/tags/1.2.0)",
    policy: THREE,
    artifact: RELEASE,
    attestations: async () => [
      await attest(A, {
        artifactSha256: ARTIFACT_SHA256,
        externalParameters: { ref: "refs/tags/1.2.0" },
        sourceUri: "git+https://git.example/demo-app@refs/tags/1.2.0",
      }),
      await good(C),
    ],
    want: { ok: true, agreeing: [A, C], absent: [B] },
  },
];

describe("builder quorum (verifyQuorum)", () => {
  for (const c of CASES) {
    it(c.name, async () => {
      const source = Object.hasOwn(c, "source") ? c.source : SOURCE;
      const result = verifyQuorum(c.policy(), c.artifact ?? ARTIFACT, source, await c.attestations());
      const want = c.want;
      assert.equal(result.ok, want.ok, JSON.stringify(result, null, 2));
      assert.deepEqual(
        result.agreeing,
        want.agreeing.map((b) => b.id),
      );
      assert.deepEqual(
        result.disagreeing.map((d) => d.builderId),
        (want.disagreeing ?? []).map(([b]) => b.id),
      );
      for (const [i, [, pattern]] of (want.disagreeing ?? []).entries()) {
        assert.match(result.disagreeing[i]?.reason ?? "", pattern);
      }
      assert.deepEqual(
        result.absent,
        (want.absent ?? []).map((b) => b.id),
      );
      assert.deepEqual(
        result.invalid.map((x) => x.index),
        (want.invalid ?? []).map(([i]) => i),
        JSON.stringify(result.invalid, null, 2),
      );
      for (const [i, [, pattern]] of (want.invalid ?? []).entries()) {
        assert.match(result.invalid[i]?.reason ?? "", pattern);
      }
      // requireQuorum agrees with verifyQuorum.
      if (want.ok) {
        assert.deepEqual(requireQuorum(c.policy(), c.artifact ?? ARTIFACT, source, await c.attestations()), result);
      } else {
        const attestations = await c.attestations();
        assert.throws(() => requireQuorum(c.policy(), c.artifact ?? ARTIFACT, source, attestations), QuorumError);
      }
    });
  }
});

describe("requireQuorum", () => {
  it("throws ATTEST_NO_QUORUM naming who agreed, who disagreed and why", async () => {
    const attestations = [
      await attest(A, { artifactSha256: TROJAN_SHA256 }),
      await attest(B, { artifactSha256: ARTIFACT_SHA256 }),
      Buffer.from("garbage"),
    ];
    const artifact = { name: ARTIFACT.name, sha256: TROJAN_SHA256 };
    assert.throws(
      () => requireQuorum(THREE(), artifact, SOURCE, attestations),
      (e: unknown) => {
        assert.ok(e instanceof QuorumError && e instanceof AttestError);
        assert.equal(e.code, "ATTEST_NO_QUORUM");
        assert.match(e.message, /attested by 1 of the 2 independent builders required/);
        assert.match(e.message, /agreed: https:\/\/builders\.example\/a/);
        assert.match(
          e.message,
          /disagreed: https:\/\/builders\.example\/b \(attestation 1: it attests another artifact/,
        );
        assert.match(e.message, /no attestation from: https:\/\/builders\.example\/c/);
        assert.match(e.message, /invalid: attestation 2/);
        assert.deepEqual(e.result.agreeing, [A.id]);
        return true;
      },
    );
  });

  it("says none agreed when none did", () => {
    assert.throws(() => requireQuorum(THREE(), ARTIFACT, SOURCE, []), /agreed: none/);
  });
});

describe("verifyQuorum usage errors", () => {
  it("refuses a threshold below 1, which would accept anything", () => {
    for (const threshold of [0, -1, 0.5]) {
      assert.throws(() => verifyQuorum({ ...THREE(), threshold }, ARTIFACT, SOURCE, []), UsageError);
    }
  });

  it("refuses an artifact digest that is not 64 hex characters", () => {
    assert.throws(() => verifyQuorum(THREE(), { name: "x", sha256: "abc" }, SOURCE, []), UsageError);
  });

  it("refuses an empty release version, which no attestation could bind", () => {
    assert.throws(() => verifyQuorum(THREE(), { ...ARTIFACT, version: "" }, SOURCE, []), UsageError);
  });

  it("refuses a missing source digest when the policy requires one", () => {
    assert.throws(() => verifyQuorum(THREE(), ARTIFACT, undefined, []), UsageError);
  });

  it("accepts an uppercase artifact digest as the same digest", async () => {
    const result = verifyQuorum(THREE(), { name: "x", sha256: ARTIFACT_SHA256.toUpperCase() }, SOURCE, [
      await good(A),
      await good(B),
    ]);
    assert.equal(result.ok, true);
  });

  it("turns a value that is not bytes into an invalid entry", async () => {
    const result = verifyQuorum(THREE(), ARTIFACT, SOURCE, ["{}" as unknown as Uint8Array, await good(A)]);
    assert.deepEqual(
      result.invalid.map((i) => i.index),
      [0],
    );
    assert.deepEqual(result.agreeing, [A.id]);
  });
});

describe("release version in provenance (bulwark attest --version)", () => {
  it("is written as externalParameters.version and read back as a claim", () => {
    const predicate = buildProvenance({
      buildType: "https://bulwark.example/buildtypes/rebuild/v1",
      builderId: A.id,
      source: { uri: "git+https://git.example/demo-app@refs/tags/v1.2.0", digest: { sha1: SOURCE_SHA1 } },
      version: "1.2.0",
    });
    const claims = releaseVersionClaims(provenanceFromJSON(predicate));
    assert.deepEqual(
      claims.map((c) => [c.version, c.from]),
      [
        ["1.2.0", "externalParameters.version"],
        ["1.2.0", "the source URI"],
      ],
    );
  });

  it("refuses a version that disagrees with externalParameters.version, or is empty", () => {
    const input = {
      buildType: "https://bulwark.example/buildtypes/rebuild/v1",
      builderId: A.id,
      source: { uri: "git+https://git.example/demo-app", digest: { sha1: SOURCE_SHA1 } },
    };
    assert.throws(
      () => buildProvenance({ ...input, version: "1.2.0", externalParameters: { version: "1.1.0" } }),
      UsageError,
    );
    assert.throws(() => buildProvenance({ ...input, version: "" }), UsageError);
  });
});
