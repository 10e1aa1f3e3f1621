/**
 * Real repositories, offline, checked against ../shared/vectors/tuf/checks.json: the Sigstore
 * root chain v1→v12, a full refresh of the Sigstore and tuf-on-ci repositories at their
 * `faketime`, and the signature counts of every role the checks list.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { it } from "node:test";
import { describeVectors, readVectorJson, SKIP_VECTORS, vectorPath } from "@bulwark/testkit";
import {
  BulwarkError,
  canonicalize,
  ExpiredMetadataError,
  type JsonObject,
  type Key,
  Metadata,
  parseJson,
  type Root,
  TrustedMetadataSet,
  UnsignedMetadataError,
  UnsupportedAlgorithmError,
} from "../src/index.js";

interface RoleCheck {
  file?: string;
  version?: number;
  expires?: string;
  validSignatures: number;
  threshold: number;
  delegatedBy?: string;
  paths?: string[];
  terminating?: boolean;
}

interface RootStep {
  file: string;
  version: number;
  trustedRootVersion: number;
  thresholdOld: number;
  validSignaturesByOldRootKeys: number;
  thresholdNew: number;
  validSignaturesByNewRootKeys: number;
  accepted: boolean;
}

interface Checks {
  results: {
    "sigstore-root-signing": {
      refreshTime: string;
      targetPath: string;
      rootChain: RootStep[];
      topLevel: Record<string, RoleCheck>;
      consistency: {
        timestampSnapshotVersion: number;
        snapshotTargetsVersion: number;
        snapshotDelegatedVersion: number;
        targetLength: number;
      };
    };
    "tuf-on-ci-0.11": {
      refreshTime: string;
      targetPath: string;
      roles: Record<string, RoleCheck>;
      artifact: { length: number };
      keyTypes: string[];
    };
    "python-tuf repository_data": { roles: Record<string, RoleCheck> };
    "python-tuf fishy_rolenames": { delegatedRoles: Record<string, { file: string; validSignatures: number }> };
    "python-tuf generated_data ed25519": { roles: Record<string, RoleCheck> };
    "go-tuf multirepo (TAP 4)": { roles: Record<string, RoleCheck> };
  };
}

const SIGSTORE = "tuf-conformance/sigstore-root-signing";
const TUF_ON_CI = "tuf-conformance/tuf-on-ci-0.11";
const LENIENT = { lenientDates: true } as const;

function read(...parts: string[]): Buffer {
  return readFileSync(vectorPath("tuf", ...parts));
}

function sigstoreRoot(version: number): Buffer {
  return read(SIGSTORE, "metadata", `${version}.root.json`);
}

function parseRoot(bytes: Uint8Array): Metadata<Root> {
  return Metadata.fromBytes(bytes, "root", LENIENT);
}

/** `faketime` files hold "2025-02-09 12:02:08+00:00". */
function readFaketime(repo: string): Date {
  const text = read(repo, "faketime").toString("utf8").trim();
  const at = new Date(text.replace(" ", "T"));
  assert.ok(!Number.isNaN(at.getTime()), `unreadable faketime ${text}`);
  return at;
}

/** A key this implementation accepts: ed25519 hex, or a PEM SubjectPublicKeyInfo. */
function isCompliantEncoding(key: Key): boolean {
  return key.scheme === "ed25519" || key.publicValue.startsWith("-----BEGIN PUBLIC KEY-----");
}

function rootKeysCompliant(root: Metadata<Root>): boolean {
  const role = root.signed.role("root");
  return role.keyids.every((id) => {
    const key = root.signed.keys.get(id);
    return key !== undefined && isCompliantEncoding(key);
  });
}

/** Valid signatures on `md` by the root keys of `trusted`. */
function rootSignatures(trusted: Metadata<Root>, md: Metadata): number {
  return Metadata.countSignatures(trusted.signed.keys, trusted.signed.role("root"), md).signed.length;
}

/** Every message and `code` along an error's `cause` chain. */
function describeChain(error: unknown): string {
  const parts: string[] = [];
  for (let e = error; e instanceof Error; e = e.cause) {
    parts.push(`${e.name}${e instanceof BulwarkError ? ` ${e.code}` : ""}: ${e.message}`);
  }
  return parts.join(" <- ");
}

describeVectors("Sigstore root chain v1→v12 (tuf-conformance sigstore-root-signing)", () => {
  const checks = SKIP_VECTORS
    ? undefined
    : readVectorJson<Checks>("tuf", "checks.json").results["sigstore-root-signing"];
  const chain = checks?.rootChain ?? [];

  it("has hex EC point root keys exactly in v1–v4 (known non-compliance)", () => {
    const hex: number[] = [];
    for (let v = 1; v <= 12; v++) if (!rootKeysCompliant(parseRoot(sigstoreRoot(v)))) hex.push(v);
    assert.deepEqual(hex, [1, 2, 3, 4]);
  });

  it("refuses a hex EC point key with UnsupportedAlgorithmError naming the non-compliant encoding", () => {
    const v1 = parseRoot(sigstoreRoot(1));
    const [id] = v1.signed.role("root").keyids;
    const key = v1.signed.keys.get(id as string) as Key;
    assert.match(key.publicValue, /^04[0-9a-f]{128}$/);
    assert.throws(
      () => key.publicKey(),
      (e: unknown) =>
        e instanceof UnsupportedAlgorithmError &&
        e.code === "TUF_UNSUPPORTED_ALGORITHM" &&
        /non-compliant/.test(e.message),
    );
  });

  for (const step of chain) {
    const name = `v${step.trustedRootVersion}→v${step.version}`;
    it(`${name}: verifies when both roots use compliant keys, else refuses with a typed error`, () => {
      const trusted = parseRoot(sigstoreRoot(step.trustedRootVersion));
      const next = parseRoot(read(step.file));
      assert.equal(next.signed.version, step.version);
      assert.equal(trusted.signed.role("root").threshold, step.thresholdOld);
      assert.equal(next.signed.role("root").threshold, step.thresholdNew);
      assert.ok(step.accepted);

      // 5.3.4: signed by a threshold of the trusted root's keys ...
      if (rootKeysCompliant(trusted)) {
        assert.equal(rootSignatures(trusted, next), step.validSignaturesByOldRootKeys);
        trusted.verifyDelegate("root", next);
      } else {
        assert.equal(rootSignatures(trusted, next), 0);
        assert.throws(
          () => trusted.verifyDelegate("root", next),
          (e: unknown) => e instanceof UnsignedMetadataError && e.code === "TUF_UNSIGNED_METADATA",
        );
      }
      // ... and by a threshold of its own.
      if (rootKeysCompliant(next)) {
        assert.equal(rootSignatures(next, next), step.validSignaturesByNewRootKeys);
        next.verifyDelegate("root", next);
      } else {
        assert.throws(
          () => next.verifyDelegate("root", next),
          (e: unknown) => e instanceof UnsignedMetadataError && e.code === "TUF_UNSIGNED_METADATA",
        );
      }
    });
  }

  it("refuses to start from v1–v4: their own root keys are hex EC points", () => {
    for (let v = 1; v <= 4; v++) {
      assert.throws(
        () => new TrustedMetadataSet(sigstoreRoot(v), LENIENT),
        (e: unknown) => e instanceof UnsignedMetadataError && e.code === "TUF_UNSIGNED_METADATA",
        `v${v}`,
      );
    }
  });

  it("says why a root signed only by hex EC point keys is refused: the key encoding is non-compliant", () => {
    // A refusal that reads "signed by 0 of the 3 keys required" sends an operator hunting
    // for a forged root; the message (or its cause) must name the real reason.
    let error: unknown;
    try {
      new TrustedMetadataSet(sigstoreRoot(1), LENIENT);
    } catch (e) {
      error = e;
    }
    assert.ok(error instanceof UnsignedMetadataError);
    assert.match(describeChain(error), /non-compliant/, describeChain(error));
  });

  it("walks v5→v12 with TrustedMetadataSet and ends at initial_root.json", () => {
    const set = new TrustedMetadataSet(sigstoreRoot(5), LENIENT);
    for (let v = 6; v <= 12; v++) {
      assert.equal(set.updateRoot(sigstoreRoot(v)).signed.version, v);
    }
    assert.equal(set.root.signed.version, 12);
    assert.deepEqual(set.root.signedBytes(), parseRoot(read(SIGSTORE, "initial_root.json")).signedBytes());
  });

  it("refuses to skip a version (v5→v7)", () => {
    const set = new TrustedMetadataSet(sigstoreRoot(5), LENIENT);
    assert.throws(
      () => set.updateRoot(sigstoreRoot(7)),
      (e: unknown) => e instanceof BulwarkError && e.code === "TUF_BAD_VERSION",
    );
  });

  it("refuses v4 as an update of v5 (rollback attack)", () => {
    const set = new TrustedMetadataSet(sigstoreRoot(5), LENIENT);
    assert.throws(
      () => set.updateRoot(sigstoreRoot(4)),
      (e: unknown) => e instanceof BulwarkError,
    );
  });

  it("refuses fractional-second expiries (v1–v3) without lenientDates", () => {
    for (let v = 1; v <= 3; v++) {
      assert.throws(
        () => Metadata.fromBytes(sigstoreRoot(v), "root"),
        (e: unknown) => e instanceof BulwarkError && e.code === "TUF_BAD_METADATA",
        `v${v}`,
      );
    }
  });
});

describeVectors("Sigstore refresh at faketime from initial_root.json (v12)", () => {
  const checks = SKIP_VECTORS
    ? undefined
    : readVectorJson<Checks>("tuf", "checks.json").results["sigstore-root-signing"];

  function refresh(referenceTime: Date) {
    const set = new TrustedMetadataSet(read(SIGSTORE, "initial_root.json"), { referenceTime });
    const timestamp = set.updateTimestamp(read(SIGSTORE, "metadata", "timestamp.json"));
    const snapshot = set.updateSnapshot(read(SIGSTORE, "metadata", "159.snapshot.json"));
    const targets = set.updateTargets(read(SIGSTORE, "metadata", "11.targets.json"));
    const npm = set.updateDelegatedTargets(
      read(SIGSTORE, "metadata", "5.registry.npmjs.org.json"),
      "registry.npmjs.org",
      "targets",
    );
    return { set, timestamp, snapshot, targets, npm };
  }

  it("starts from a root identical to metadata/12.root.json", () => {
    assert.deepEqual(read(SIGSTORE, "initial_root.json"), sigstoreRoot(12));
  });

  it("loads timestamp, snapshot 159, targets 11 and registry.npmjs.org 5", () => {
    assert.ok(checks !== undefined);
    const at = readFaketime(SIGSTORE);
    assert.equal(at.getTime(), new Date(checks.refreshTime.replace(" ", "T")).getTime());
    const { set, timestamp, snapshot, targets, npm } = refresh(at);
    const c = checks.consistency;
    assert.equal(timestamp.signed.snapshotMeta.version, c.timestampSnapshotVersion);
    assert.equal(snapshot.signed.version, c.timestampSnapshotVersion);
    assert.equal(snapshot.signed.meta.get("targets.json")?.version, c.snapshotTargetsVersion);
    assert.equal(targets.signed.version, c.snapshotTargetsVersion);
    assert.equal(snapshot.signed.meta.get("registry.npmjs.org.json")?.version, c.snapshotDelegatedVersion);
    assert.equal(npm.signed.version, c.snapshotDelegatedVersion);

    const top = checks.topLevel;
    for (const [name, md] of [
      ["timestamp", timestamp],
      ["snapshot", snapshot],
      ["targets", targets],
    ] as const) {
      const expected = top[name];
      assert.ok(expected !== undefined);
      assert.equal(md.signed.version, expected.version, name);
      assert.equal(md.signed.expires.toISOString().replace(".000Z", "Z"), expected.expires, name);
      const count = set.root.verifyDelegate(name, md);
      assert.equal(count.signed.length, expected.validSignatures, name);
      assert.equal(count.threshold, expected.threshold, name);
    }

    const expectedNpm = top["registry.npmjs.org"];
    assert.ok(expectedNpm !== undefined);
    const count = targets.verifyDelegate("registry.npmjs.org", npm);
    assert.equal(count.signed.length, expectedNpm.validSignatures);
    assert.equal(count.threshold, expectedNpm.threshold);
    const role = targets.signed.delegations?.roles?.get("registry.npmjs.org");
    assert.deepEqual(role?.paths, expectedNpm.paths);
    assert.equal(role?.terminating, expectedNpm.terminating);
    assert.equal(set.getTargetsRole("registry.npmjs.org"), npm);
  });

  it("finds trusted_root.json with the signed length and sha256", () => {
    assert.ok(checks !== undefined);
    const { targets } = refresh(readFaketime(SIGSTORE));
    const targetPath = read(SIGSTORE, "targetpath").toString("utf8").trim();
    assert.equal(targetPath, checks.targetPath);
    const info = targets.signed.targets.get(targetPath);
    assert.ok(info !== undefined);
    assert.equal(info.length, checks.consistency.targetLength);
    const sha256 = info.hashes.get("sha256");
    assert.ok(sha256 !== undefined);
    // consistent_snapshot: the file is stored as <sha256>.<name>.
    const data = read(SIGSTORE, "targets", `${sha256}.${targetPath}`);
    assert.equal(createHash("sha256").update(data).digest("hex"), sha256);
    info.verifyLengthAndHashes(data);
    assert.throws(
      () => info.verifyLengthAndHashes(Buffer.concat([data, Buffer.from(" ")])),
      (e: unknown) => e instanceof BulwarkError && e.code === "TUF_LENGTH_OR_HASH_MISMATCH",
    );
  });

  it("rejects the same timestamp once it has expired (freeze attack)", () => {
    const expires = Metadata.fromBytes(read(SIGSTORE, "metadata", "timestamp.json"), "timestamp").signed.expires;
    assert.throws(
      () => refresh(expires),
      (e: unknown) => e instanceof ExpiredMetadataError && e.code === "TUF_EXPIRED_METADATA",
    );
  });
});

describeVectors("tuf-on-ci 0.11 refresh at faketime", () => {
  const checks = SKIP_VECTORS ? undefined : readVectorJson<Checks>("tuf", "checks.json").results["tuf-on-ci-0.11"];

  it("loads every role with the signature counts checks.json gives, and verifies the artifact", () => {
    assert.ok(checks !== undefined);
    const at = readFaketime(TUF_ON_CI);
    assert.equal(at.getTime(), new Date(checks.refreshTime.replace(" ", "T")).getTime());
    const set = new TrustedMetadataSet(read(TUF_ON_CI, "initial_root.json"), { referenceTime: at });
    const loaded = {
      root: set.root,
      timestamp: set.updateTimestamp(read(TUF_ON_CI, "metadata", "timestamp.json")),
      snapshot: set.updateSnapshot(read(TUF_ON_CI, "metadata", "2.snapshot.json")),
      targets: set.updateTargets(read(TUF_ON_CI, "metadata", "1.targets.json")),
    };
    const delegated = set.updateDelegatedTargets(
      read(TUF_ON_CI, "metadata", "2.delegatedrole.json"),
      "delegatedrole",
      "targets",
    );
    for (const [name, md] of Object.entries(loaded)) {
      const expected: RoleCheck | undefined = checks.roles[name];
      assert.ok(expected !== undefined, name);
      const count = set.root.verifyDelegate(name, md);
      assert.equal(count.signed.length, expected.validSignatures, name);
      assert.equal(count.threshold, expected.threshold, name);
    }
    const expected = checks.roles.delegatedrole;
    assert.ok(expected !== undefined);
    const count = loaded.targets.verifyDelegate("delegatedrole", delegated);
    assert.equal(count.signed.length, expected.validSignatures);
    assert.equal(count.threshold, expected.threshold);
    assert.deepEqual(loaded.targets.signed.delegations?.roles?.get("delegatedrole")?.paths, expected.paths);

    const keyTypes = new Set([...set.root.signed.keys.values()].map((k) => `${k.keytype}/${k.scheme}`));
    assert.deepEqual([...keyTypes], checks.keyTypes);

    const targetPath = read(TUF_ON_CI, "targetpath").toString("utf8").trim();
    assert.equal(targetPath, checks.targetPath);
    assert.deepEqual(
      [...(loaded.targets.signed.delegations?.rolesForTarget(targetPath) ?? [])],
      [{ name: "delegatedrole", terminating: true }],
    );
    const info = delegated.signed.targets.get(targetPath);
    assert.ok(info !== undefined);
    assert.equal(info.length, checks.artifact.length);
    const sha256 = info.hashes.get("sha256") as string;
    const data = read(TUF_ON_CI, "targets", "delegatedrole", `${sha256}.artifact`);
    info.verifyLengthAndHashes(data);
  });
});

describeVectors("signature counts per role (checks.json)", () => {
  const results = SKIP_VECTORS ? undefined : readVectorJson<Checks>("tuf", "checks.json").results;

  /** Checks each role of `roles`, found as `files[role]`, against its delegator. */
  function checkRoles(roles: Record<string, RoleCheck>, files: Record<string, string>, options = {}): void {
    const load = (role: string): Metadata => {
      const file = files[role];
      assert.ok(file !== undefined, `no file for ${role}`);
      return Metadata.fromBytes(read(file), undefined, options);
    };
    const root = load("root");
    for (const [role, expected] of Object.entries(roles)) {
      const delegator = expected.delegatedBy === undefined ? root : load(expected.delegatedBy);
      const count = delegator.verifyDelegate(role, load(role));
      assert.equal(count.signed.length, expected.validSignatures, role);
      assert.equal(count.threshold, expected.threshold, role);
    }
  }

  it("python-tuf repository_data: root (RSA-PSS), the top-level roles and role1→role2", () => {
    assert.ok(results !== undefined);
    const dir = "python-tuf/repository_data/repository/metadata";
    const files = Object.fromEntries(
      ["root", "timestamp", "snapshot", "targets", "role1", "role2"].map((r) => [r, `${dir}/${r}.json`]),
    );
    checkRoles(results["python-tuf repository_data"].roles, files);
    assert.deepEqual(read(dir, "1.root.json"), read(dir, "root.json"));
  });

  it("python-tuf generated_data ed25519", () => {
    assert.ok(results !== undefined);
    const dir = "python-tuf/generated_data/ed25519_metadata";
    const files = Object.fromEntries(
      ["root", "timestamp", "snapshot", "targets"].map((r) => [r, `${dir}/${r}_with_ed25519.json`]),
    );
    checkRoles(results["python-tuf generated_data ed25519"].roles, files);
  });

  it("go-tuf multirepo (fractional-second expiries, lenientDates)", () => {
    assert.ok(results !== undefined);
    const dir = "go-tuf-multirepo/repository/metadata";
    const files = {
      root: `${dir}/1.root.json`,
      timestamp: `${dir}/timestamp.json`,
      snapshot: `${dir}/1.snapshot.json`,
      targets: `${dir}/1.targets.json`,
    };
    checkRoles(results["go-tuf multirepo (TAP 4)"].roles, files, LENIENT);
    assert.deepEqual(read("go-tuf-multirepo/client/root.json"), read(files.root));
  });

  it("python-tuf fishy_rolenames: ../a, . and ö, each delegated by targets", () => {
    assert.ok(results !== undefined);
    const dir = "python-tuf/repository_data/fishy_rolenames";
    const root = Metadata.fromBytes(read(dir, "metadata", "1.root.json"), "root");
    const targets = Metadata.fromBytes(read(dir, "metadata", "1.targets.json"), "targets");
    root.verifyDelegate("targets", targets);
    const delegated = results["python-tuf fishy_rolenames"].delegatedRoles;
    assert.deepEqual(Object.keys(delegated).sort(), [...(targets.signed.delegations?.roles?.keys() ?? [])].sort());
    for (const [role, expected] of Object.entries(delegated)) {
      const md = Metadata.fromBytes(read(expected.file), "targets");
      const count = targets.verifyDelegate(role, md);
      assert.equal(count.signed.length, expected.validSignatures, role);
    }
  });

  it("the sigstore root chain's signed parts are canonical JSON of what the files hold", () => {
    for (let v = 5; v <= 12; v++) {
      const bytes = sigstoreRoot(v);
      const json = parseJson(bytes) as JsonObject;
      assert.deepEqual(parseRoot(bytes).signedBytes(), canonicalize(json.signed as JsonObject));
    }
  });
});
