/** in-toto Statement v1 and SLSA provenance v1: strict parsing, building, source matching. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type JsonObject, UsageError } from "@bulwark/tuf";
import {
  AttestError,
  buildProvenance,
  buildStatement,
  checkSourceDigest,
  parseStatement,
  provenanceFromJSON,
  SLSA_PROVENANCE_V1,
  STATEMENT_TYPE_V1,
  serializeStatement,
  sourceMismatch,
  statementFromJSON,
  statementToJSON,
} from "../src/index.js";
import { assertCode, sha256 } from "./helpers.js";

const SHA = sha256("artifact");
const COMMIT = "0123456789abcdef0123456789abcdef01234567";

function statement(overrides: JsonObject = {}): JsonObject {
  return {
    _type: STATEMENT_TYPE_V1,
    subject: [{ name: "app.tar.gz", digest: { sha256: SHA } }],
    predicateType: "https://example.com/predicate/v1",
    predicate: {},
    ...overrides,
  };
}

function provenance(): JsonObject {
  return buildProvenance({
    buildType: "https://example.com/build/v1",
    builderId: "https://example.com/builder",
    source: { uri: "git+https://example.com/app", digest: { sha1: COMMIT } },
  });
}

describe("in-toto Statement v1", () => {
  it("parses a statement and writes it back", () => {
    const parsed = statementFromJSON(statement({ unknownField: [1, 2] }));
    assert.equal(parsed.subject[0]?.name, "app.tar.gz");
    assert.equal(parsed.subject[0]?.digest.get("sha256"), SHA);
    assert.deepEqual(statementToJSON(parsed), statement());
    assert.deepEqual(parseStatement(serializeStatement(parsed)), parsed);
  });

  it("accepts a subject without a name and a statement without a predicate", () => {
    const value = statement({ subject: [{ digest: { sha512: "ab".repeat(64), customHash: "anything" } }] });
    delete value.predicate;
    const parsed = statementFromJSON(value);
    assert.equal(parsed.subject[0]?.name, undefined);
    assert.equal(parsed.predicate, undefined);
    assert.deepEqual(statementToJSON(parsed), value);
  });

  it("keeps a digest named __proto__ as a plain entry", () => {
    const parsed = parseStatement(
      Buffer.from(`{"_type":"${STATEMENT_TYPE_V1}","subject":[{"digest":{"__proto__":"x"}}],"predicateType":"t"}`),
    );
    assert.equal(parsed.subject[0]?.digest.get("__proto__"), "x");
    const [subject] = statementToJSON(parsed).subject as JsonObject[];
    assert.ok(subject && Object.hasOwn(subject.digest as JsonObject, "__proto__"));
    assert.equal(Object.getPrototypeOf(subject.digest), Object.prototype);
  });

  const rejects: Array<[string, JsonObject]> = [
    ["Statement v0.1", statement({ _type: "https://in-toto.io/Statement/v0.1" })],
    ["a missing subject", statement({ subject: null })],
    ["an empty subject", statement({ subject: [] })],
    ["a subject without a digest", statement({ subject: [{ name: "a" }] })],
    ["an empty digest set", statement({ subject: [{ digest: {} }] })],
    ["an uppercase sha256", statement({ subject: [{ digest: { sha256: SHA.toUpperCase() } }] })],
    ["a short sha256", statement({ subject: [{ digest: { sha256: SHA.slice(2) } }] })],
    ["a gitCommit of 39 characters", statement({ subject: [{ digest: { gitCommit: COMMIT.slice(1) } }] })],
    ["a numeric digest value", statement({ subject: [{ digest: { other: 1 } }] })],
    ["a numeric subject name", statement({ subject: [{ name: 1, digest: { sha256: SHA } }] })],
    ["an empty predicateType", statement({ predicateType: "" })],
    ["a predicate that is an array", statement({ predicate: [] })],
  ];
  for (const [what, value] of rejects) {
    it(`rejects ${what} (ATTEST_BAD_STATEMENT)`, () => {
      assertCode(() => statementFromJSON(value), "ATTEST_BAD_STATEMENT", AttestError);
    });
  }

  it("rejects payload bytes that are not JSON", () => {
    assertCode(() => parseStatement(Buffer.from("not json")), "ATTEST_BAD_STATEMENT", AttestError);
  });

  it("buildStatement refuses bad values as a usage error", () => {
    assert.throws(
      () => buildStatement({ subject: [{ digest: { sha256: "nothex" } }], predicateType: SLSA_PROVENANCE_V1 }),
      UsageError,
    );
    const built = buildStatement({ subject: [{ name: "a", digest: new Map([["sha256", SHA]]) }], predicateType: "t" });
    assert.equal(built.subject[0]?.digest.get("sha256"), SHA);
  });
});

describe("SLSA provenance v1", () => {
  it("reads what Bulwark needs from a built predicate", () => {
    const p = provenanceFromJSON(provenance());
    assert.equal(p.buildType, "https://example.com/build/v1");
    assert.equal(p.builderId, "https://example.com/builder");
    assert.equal(p.source?.uri, "git+https://example.com/app");
    assert.equal(p.source?.digest.get("sha1"), COMMIT);
    assert.deepEqual(p.externalParameters, {});
  });

  it("reads a GitHub Actions style predicate: gitCommit in resolvedDependencies[0]", () => {
    const p = provenanceFromJSON({
      buildDefinition: {
        buildType: "https://actions.github.io/buildtypes/workflow/v1",
        externalParameters: { workflow: { ref: "refs/heads/main", repository: "https://github.com/o/r", path: "x" } },
        internalParameters: { github: { event_name: "push" } },
        resolvedDependencies: [{ uri: "git+https://github.com/o/r@refs/heads/main", digest: { gitCommit: COMMIT } }],
      },
      runDetails: {
        builder: { id: "https://github.com/actions/runner/github-hosted" },
        metadata: { invocationId: "https://github.com/o/r/actions/runs/1/attempts/1" },
      },
    });
    assert.equal(p.source?.digest.get("gitCommit"), COMMIT);
    assert.equal(sourceMismatch(p.source, { alg: "sha1", hex: COMMIT }), undefined);
    assert.match(sourceMismatch(p.source, { alg: "sha256", hex: "a".repeat(64) }) ?? "", /no sha256 source digest/);
  });

  it("reads the source from externalParameters.source, which must agree with resolvedDependencies[0]", () => {
    const base = provenance();
    const definition = base.buildDefinition as JsonObject;
    definition.externalParameters = { source: { uri: "git+https://example.com/app", digest: { sha1: COMMIT } } };
    assert.equal(provenanceFromJSON(base).source?.digest.get("sha1"), COMMIT);
    definition.resolvedDependencies = [];
    assert.equal(provenanceFromJSON(base).source?.digest.get("sha1"), COMMIT);
    definition.resolvedDependencies = [{ uri: "git+https://example.com/app", digest: { sha1: "f".repeat(40) } }];
    assertCode(() => provenanceFromJSON(base), "ATTEST_BAD_PROVENANCE", AttestError);
  });

  it("ignores an externalParameters.source that belongs to the build type (no digest)", () => {
    const base = provenance();
    (base.buildDefinition as JsonObject).externalParameters = { source: { repository: "x" } };
    assert.equal(provenanceFromJSON(base).source?.digest.get("sha1"), COMMIT);
  });

  const mutations: Array<[string, (p: JsonObject) => void]> = [
    ["no buildDefinition", (p) => delete p.buildDefinition],
    ["an empty buildType", (p) => ((p.buildDefinition as JsonObject).buildType = "")],
    ["externalParameters that is not an object", (p) => ((p.buildDefinition as JsonObject).externalParameters = [])],
    ["internalParameters that is not an object", (p) => ((p.buildDefinition as JsonObject).internalParameters = "x")],
    ["resolvedDependencies that is not an array", (p) => ((p.buildDefinition as JsonObject).resolvedDependencies = {})],
    [
      "a dependency with no uri, digest or content",
      (p) => ((p.buildDefinition as JsonObject).resolvedDependencies = [{}]),
    ],
    [
      "a dependency with a bad sha1",
      (p) => ((p.buildDefinition as JsonObject).resolvedDependencies = [{ digest: { sha1: "x" } }]),
    ],
    ["no runDetails", (p) => delete p.runDetails],
    ["no builder", (p) => delete (p.runDetails as JsonObject).builder],
    ["a builder id that is not a string", (p) => ((p.runDetails as JsonObject).builder = { id: 5 })],
    ["metadata that is not an object", (p) => ((p.runDetails as JsonObject).metadata = 1)],
    ["a numeric invocationId", (p) => ((p.runDetails as JsonObject).metadata = { invocationId: 1 })],
  ];
  for (const [what, mutate] of mutations) {
    it(`rejects ${what} (ATTEST_BAD_PROVENANCE)`, () => {
      const p = provenance();
      mutate(p);
      assertCode(() => provenanceFromJSON(p), "ATTEST_BAD_PROVENANCE", AttestError);
    });
  }

  it("rejects a missing predicate", () => {
    assertCode(() => provenanceFromJSON(undefined), "ATTEST_BAD_PROVENANCE", AttestError);
  });

  it("buildProvenance refuses bad values as a usage error", () => {
    assert.throws(
      () => buildProvenance({ buildType: "", builderId: "b", source: { uri: "u", digest: { sha1: COMMIT } } }),
      UsageError,
    );
  });
});

describe("source digest matching", () => {
  const source = (digest: Record<string, string>) => ({ digest: new Map(Object.entries(digest)) });

  it("matches the algorithm's own name or a gitCommit of the same length", () => {
    assert.equal(sourceMismatch(source({ sha1: COMMIT }), { alg: "sha1", hex: COMMIT }), undefined);
    assert.equal(sourceMismatch(source({ gitCommit: COMMIT }), { alg: "sha1", hex: COMMIT }), undefined);
    const sha256Commit = "b".repeat(64);
    assert.equal(sourceMismatch(source({ gitCommit: sha256Commit }), { alg: "sha256", hex: sha256Commit }), undefined);
  });

  it("refuses a set that says two different things about the commit", () => {
    const reason = sourceMismatch(source({ sha1: COMMIT, gitCommit: "f".repeat(40) }), { alg: "sha1", hex: COMMIT });
    assert.match(reason ?? "", /another source/);
  });

  it("refuses no source at all", () => {
    assert.match(sourceMismatch(undefined, { alg: "sha1", hex: COMMIT }) ?? "", /no source digest/);
  });

  it("checkSourceDigest lowercases, and refuses what is not hex of the algorithm's length", () => {
    assert.deepEqual(checkSourceDigest({ alg: "sha1", hex: COMMIT.toUpperCase() }), { alg: "sha1", hex: COMMIT });
    assert.throws(() => checkSourceDigest({ alg: "sha1", hex: "abc" }), UsageError);
    assert.throws(() => checkSourceDigest({ alg: "md5" as "sha1", hex: "a".repeat(32) }), UsageError);
  });
});
