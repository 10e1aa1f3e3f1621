/**
 * Attacks with too few keys (thresholds count distinct keys: spec 5.3.4, 5.4.2, 5.5.3,
 * 5.6.3) and recovery from fast-forward attacks by rotating the compromised keys (5.3.11).
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { topLevelSigners } from "@bulwark/testkit";
import {
  BadVersionNumberError,
  type BulwarkError,
  DownloadHttpError,
  Metadata,
  MetadataFormatError,
  MetaFile,
  PrivateKeySigner,
  Role,
  type Signer,
  type TopLevelRoleName,
  UnsignedMetadataError,
} from "../src/index.js";
import {
  type AttackCase,
  aliasedSigners,
  DEV_TARGET,
  type Env,
  type Expected,
  forge,
  forgeSnapshotAndTimestamp,
  makeEnv,
  publishDev,
  published,
  readDir,
  rejection,
  runAttack,
  touchAndPublish,
  versionOf,
  withoutSignature,
} from "./attacks-kit.js";

const unsigned = (role: string): Expected => ({
  type: UnsignedMetadataError,
  code: "TUF_UNSIGNED_METADATA",
  message: new RegExp(`^${role} was signed by 1 of the 2\\b`),
});
const duplicated: Expected = { type: MetadataFormatError, code: "TUF_BAD_METADATA", message: /more than once/ };

/** Signers with two keys for `role` (or `signers` for it). */
function twoKeys(role: TopLevelRoleName, signers?: Signer[]): Record<TopLevelRoleName, Signer[]> {
  return { ...topLevelSigners(), [role]: signers ?? [PrivateKeySigner.generate(), PrivateKeySigner.generate()] };
}

/** Serves the newly published `role` at `file` with the second signer's signature removed. */
function serveWithOneSignature(role: string, file: string): (env: Env) => Promise<void> {
  return async (env) => {
    const second = env.repo.signers(role)[1];
    assert.ok(second);
    env.sim.overrides.set(file, withoutSignature(published(env.repo, role), second.keyId));
  };
}

/** `bytes` with the signature of `keyId` listed twice (and `drop`'s signature removed). */
function withRepeatedSignature(bytes: Uint8Array, keyId: string, drop?: string): Buffer {
  const json = JSON.parse(Buffer.from(bytes).toString("utf8")) as { signatures: Array<{ keyid: string }> };
  const sig = json.signatures.find((s) => s.keyid === keyId);
  assert.ok(sig);
  json.signatures = [...json.signatures.filter((s) => s.keyid !== drop), sig];
  return Buffer.from(JSON.stringify(json));
}

/** A root rotation from the original root key to a new one, published as 2.root.json. */
async function rotateRootKey(env: Env): Promise<{ old: Signer; next: Signer }> {
  const old = env.signers.root[0];
  assert.ok(old);
  const next = PrivateKeySigner.generate();
  env.repo.addSigner("root", next);
  env.repo.revokeKey("root", old.keyId);
  await env.publish();
  return { old, next };
}

const belowThreshold: AttackCase[] = [
  {
    name: "rejects a root update signed by one of the two root keys required",
    env: { signers: twoKeys("root"), thresholds: { root: 2 } },
    attack: async (env) => {
      env.repo.rotateRoot();
      await env.publish();
      await serveWithOneSignature("root", "metadata/2.root.json")(env);
    },
    error: unsigned("root"),
  },
  {
    name: "rejects a timestamp signed by one of the two timestamp keys required",
    env: { signers: twoKeys("timestamp"), thresholds: { timestamp: 2 } },
    attack: async (env) => {
      await env.publish();
      await serveWithOneSignature("timestamp", "metadata/timestamp.json")(env);
    },
    error: unsigned("timestamp"),
  },
  {
    name: "rejects a snapshot signed by one of the two snapshot keys required",
    env: { signers: twoKeys("snapshot"), thresholds: { snapshot: 2 }, metaHashes: false },
    attack: async (env) => {
      await touchAndPublish(env);
      await serveWithOneSignature("snapshot", "metadata/2.snapshot.json")(env);
    },
    error: unsigned("snapshot"),
    advances: ["timestamp"],
  },
  {
    name: "rejects targets signed by one of the two targets keys required",
    env: { signers: twoKeys("targets"), thresholds: { targets: 2 }, metaHashes: false },
    attack: async (env) => {
      await touchAndPublish(env);
      await serveWithOneSignature("targets", "metadata/2.targets.json")(env);
    },
    error: unsigned("targets"),
    advances: ["timestamp", "snapshot"],
  },
  {
    name: "rejects a delegated role signed by one of the two keys its delegator requires",
    env: { metaHashes: false },
    stage: (env) => publishDev(env, [PrivateKeySigner.generate(), PrivateKeySigner.generate()], 2),
    attack: async (env) => {
      await touchAndPublish(env, "dev");
      await serveWithOneSignature("dev", "metadata/2.dev.json")(env);
    },
    act: (env) => env.updater().getTargetInfo(DEV_TARGET),
    error: unsigned("dev"),
    advances: ["timestamp", "snapshot"],
  },
  {
    name: "does not count a new root's key twice when it is listed under two key IDs (threshold 2)",
    attack: async (env) => {
      const old = env.signers.root[0];
      assert.ok(old);
      const aliases = aliasedSigners();
      for (const s of aliases) env.repo.addSigner("root", s);
      env.repo.revokeKey("root", old.keyId);
      env.repo.setThreshold("root", 2);
      // The writer refuses to publish such a root; the attacker signs it by hand.
      await assert.rejects(env.publish(), (e: unknown) => (e as BulwarkError).code === "ROOT_SIGNATURES_NEEDED");
      const root = env.repo.stagedRoot();
      assert.ok(root);
      for (const s of [old, ...aliases]) await root.sign(s);
      env.sim.overrides.set("metadata/2.root.json", root.toCanonicalLayoutBytes());
    },
    error: unsigned("root"),
  },
  {
    name: "does not count a timestamp key twice when root lists it under two key IDs (threshold 2)",
    env: { signers: twoKeys("timestamp", aliasedSigners()), thresholds: { timestamp: 2 } },
    noBaseline: true,
    attack: async () => undefined,
    error: unsigned("timestamp"),
  },
  {
    name: "does not trust a root that counts its own key twice under two key IDs (threshold 2)",
    noBaseline: true,
    attack: async () => undefined,
    stage: async (env) => {
      // A trusted root, written by hand, whose root role lists one key under two IDs.
      const aliases = aliasedSigners();
      const root = Metadata.fromBytes(published(env.repo, "root"), "root");
      root.signed.roles.set("root", new Role([], 2));
      for (const s of aliases) root.signed.addKey(s.publicKey, "root", s.keyId);
      root.signatures.clear();
      for (const s of aliases) await root.sign(s);
      writeFileSync(path.join(env.metadataDir, "root.json"), root.toCanonicalLayoutBytes());
    },
    error: unsigned("root"),
  },
  {
    name: "rejects a timestamp that lists one key's signature twice",
    attack: async (env) => {
      await env.publish();
      const [signer] = env.signers.timestamp;
      assert.ok(signer);
      env.sim.overrides.set(
        "metadata/timestamp.json",
        withRepeatedSignature(published(env.repo, "timestamp"), signer.keyId),
      );
    },
    error: duplicated,
  },
  {
    name: "rejects a root update that repeats one root key's signature to reach threshold 2",
    env: { signers: twoKeys("root"), thresholds: { root: 2 } },
    attack: async (env) => {
      env.repo.rotateRoot();
      await env.publish();
      const [first, second] = env.signers.root;
      assert.ok(first && second);
      const bytes = withRepeatedSignature(published(env.repo, "root"), first.keyId, second.keyId);
      env.sim.overrides.set("metadata/2.root.json", bytes);
    },
    error: duplicated,
  },
  {
    name: "rejects a root rotation signed only by the new root key (not the trusted root's threshold)",
    attack: async (env) => {
      const { old } = await rotateRootKey(env);
      env.sim.overrides.set("metadata/2.root.json", withoutSignature(published(env.repo, "root"), old.keyId));
    },
    error: { type: UnsignedMetadataError, code: "TUF_UNSIGNED_METADATA", message: /^root was signed by 0 of the 1\b/ },
  },
  {
    name: "rejects a root rotation signed only by the old root key (not the new root's own threshold)",
    attack: async (env) => {
      const { next } = await rotateRootKey(env);
      env.sim.overrides.set("metadata/2.root.json", withoutSignature(published(env.repo, "root"), next.keyId));
    },
    error: { type: UnsignedMetadataError, code: "TUF_UNSIGNED_METADATA", message: /^root was signed by 0 of the 1\b/ },
  },
];

describe("keys below threshold", () => {
  for (const c of belowThreshold) it(c.name, (t) => runAttack(t, c).then(() => undefined));
});

interface FastForwardCase {
  readonly name: string;
  /** What an attacker holding the online keys serves. */
  readonly attack: (env: Env) => Promise<void>;
  /** How the client's refresh ends while it takes the bait (undefined: it succeeds). */
  readonly baitError?: Expected;
  /** Checks that the client now trusts the fast-forwarded version. */
  readonly poisoned: (env: Env) => void;
  /** The keys the vendor rotates in a new root to recover. */
  readonly rotate: readonly TopLevelRoleName[];
}

function onDisk(env: Env, role: string): Buffer {
  const bytes = readDir(env.metadataDir).get(`${role}.json`);
  assert.ok(bytes, `${role}.json is not on disk`);
  return bytes;
}

const fastForward: FastForwardCase[] = [
  {
    name: "recovers from a timestamp version fast-forward once the timestamp key is rotated",
    attack: async (env) => {
      const bytes = await forge("timestamp", published(env.repo, "timestamp"), env.repo.signers("timestamp"), (s) => {
        s.version = 1000;
      });
      env.sim.overrides.set("metadata/timestamp.json", bytes);
    },
    poisoned: (env) => assert.equal(versionOf(onDisk(env, "timestamp")), 1000),
    rotate: ["timestamp"],
  },
  {
    name: "recovers from a snapshot version fast-forward once the snapshot and timestamp keys are rotated",
    attack: async (env) => {
      await forgeSnapshotAndTimestamp(env, (s) => {
        s.version = 1000;
      });
    },
    poisoned: (env) => assert.equal(versionOf(onDisk(env, "snapshot")), 1000),
    rotate: ["snapshot", "timestamp"],
  },
  {
    name: "recovers from a targets version fast-forward once the snapshot key is rotated",
    attack: async (env) => {
      await forgeSnapshotAndTimestamp(env, (s) => s.meta.set("targets.json", new MetaFile(1000)));
    },
    // The client trusts the forged snapshot, then finds no targets version 1000.
    baitError: { type: DownloadHttpError, code: "DOWNLOAD_NOT_FOUND" },
    poisoned: (env) => {
      const snapshot = Metadata.fromBytes(onDisk(env, "snapshot"), "snapshot");
      assert.equal(snapshot.signed.meta.get("targets.json")?.version, 1000);
    },
    rotate: ["snapshot"],
  },
];

describe("fast-forward attack recovery (spec 5.3.11)", () => {
  for (const c of fastForward) {
    it(c.name, async (t) => {
      const env = await makeEnv(t);
      await env.refresh();
      await c.attack(env);
      const bait = env.refresh();
      if (c.baitError) await assert.rejects(bait, rejection(c.baitError));
      else await bait;
      c.poisoned(env);

      // The vendor publishes on, with versions below the attacker's: the client is stuck.
      env.sim.overrides.clear();
      await touchAndPublish(env);
      await touchAndPublish(env);
      await assert.rejects(env.refresh(), rejection({ type: BadVersionNumberError, code: "TUF_BAD_VERSION" }));

      // The vendor rotates the compromised keys in root version 2; the client recovers.
      for (const role of c.rotate) {
        const [old] = env.repo.signers(role);
        assert.ok(old);
        env.repo.addSigner(role, PrivateKeySigner.generate());
        env.repo.revokeKey(role, old.keyId);
      }
      await env.publish();
      const u = await env.refresh();
      const trusted = u.trustedSet;
      assert.equal(trusted.root.signed.version, 2);
      assert.equal(trusted.timestamp?.signed.version, env.repo.timestamp.signed.version);
      assert.equal(trusted.snapshot?.signed.version, env.repo.snapshot.signed.version);
      assert.equal(trusted.targets?.signed.version, env.repo.targets().signed.version);
      for (const role of ["root", "timestamp", "snapshot", "targets"]) {
        assert.ok(onDisk(env, role).equals(published(env.repo, role)), `${role}.json is the vendor's`);
      }
    });
  }
});
