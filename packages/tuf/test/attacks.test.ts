/**
 * Attacks on the client workflow (spec §5) by someone who controls the server or mirror
 * and perhaps some online keys: arbitrary installation, rollback and mix-and-match
 * (freeze attacks: attacks-freeze.test.ts). Each row names the attack it stops; each must
 * fail with the right error class and code and leave the client's disk as it was
 * (see runAttack in attacks-kit.ts).
 */
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { describe, it } from "node:test";
import {
  BadVersionNumberError,
  hashPrefixedPath,
  LengthOrHashMismatchError,
  MetaFile,
  PrivateKeySigner,
  Repository,
  RepositoryError,
  TargetFile,
  UnsignedMetadataError,
} from "../src/index.js";
import {
  type AttackCase,
  DEV_TARGET,
  type Env,
  forge,
  forgeSnapshotAndTimestamp,
  makeEnv,
  metaFor,
  publishDev,
  published,
  runAttack,
  touchAndPublish,
} from "./attacks-kit.js";

const APP = "apps/demo-1.0.0.tar.gz";
const APP_DATA = Buffer.from("demo 1.0.0: the bytes the vendor signed");
const EVIL = "apps/evil.tar.gz";
const EVIL_DATA = Buffer.from("malware");

const badVersion = { type: BadVersionNumberError, code: "TUF_BAD_VERSION" } as const;
const unsigned = { type: UnsignedMetadataError, code: "TUF_UNSIGNED_METADATA" } as const;
const mismatch = { type: LengthOrHashMismatchError, code: "TUF_LENGTH_OR_HASH_MISMATCH" } as const;

/** Where the simulator serves a target (hash-prefixed: the repository uses consistent snapshots). */
function targetUrlPath(env: Env, targetPath: string): string {
  const data = env.repo.targetData(targetPath);
  assert.ok(data, `${targetPath} has no bytes in the repository`);
  const sha = TargetFile.fromData(targetPath, data).hashes.get("sha256");
  return `targets/${hashPrefixedPath(targetPath, sha as string)}`;
}

async function publishApp(env: Env): Promise<void> {
  env.repo.addTarget({ path: APP, data: APP_DATA });
  await env.publish();
  await env.refresh();
}

async function download(env: Env, targetPath: string): Promise<string> {
  const u = env.updater();
  const info = await u.getTargetInfo(targetPath);
  assert.ok(info, `${targetPath} should be listed`);
  return u.downloadTarget(info);
}

/** Serves `bytes` in place of the target's file. */
function swapTarget(bytes: Uint8Array): AttackCase["attack"] {
  return async (env) => {
    env.sim.overrides.set(targetUrlPath(env, APP), bytes);
  };
}

const arbitraryInstallation: AttackCase[] = [
  {
    name: "rejects a target whose bytes were swapped for others of the same length",
    stage: publishApp,
    attack: swapTarget(Buffer.from(APP_DATA.toString().toUpperCase())),
    act: (env) => download(env, APP),
    error: mismatch,
  },
  {
    name: "rejects a target swapped for a longer file",
    stage: publishApp,
    attack: swapTarget(Buffer.concat([APP_DATA, EVIL_DATA])),
    act: (env) => download(env, APP),
    // The same code as a shorter file: the message says which.
    error: { ...mismatch, message: /longer than its signed length/ },
  },
  {
    name: "rejects a target swapped for a shorter file",
    stage: publishApp,
    attack: swapTarget(EVIL_DATA),
    act: (env) => download(env, APP),
    error: { ...mismatch, message: /shorter than its signed length/ },
  },
  {
    name: "rejects a target swapped for an empty file",
    stage: publishApp,
    attack: swapTarget(new Uint8Array(0)),
    act: (env) => download(env, APP),
    error: mismatch,
  },
  {
    name: "rejects a target listed by targets metadata signed with a key root does not trust",
    env: { metaHashes: false },
    attack: async (env) => {
      await touchAndPublish(env);
      const bytes = await forge("targets", published(env.repo, "targets"), [PrivateKeySigner.generate()], (s) =>
        s.addTarget(TargetFile.fromData(EVIL, EVIL_DATA)),
      );
      env.sim.overrides.set("metadata/2.targets.json", bytes);
    },
    act: (env) => env.updater().getTargetInfo(EVIL),
    error: unsigned,
    advances: ["timestamp", "snapshot"],
  },
  {
    name: "rejects a target listed by a delegated role signed with a key its delegator does not trust",
    env: { metaHashes: false },
    stage: publishDev,
    attack: async (env) => {
      await touchAndPublish(env, "dev");
      const bytes = await forge("targets", published(env.repo, "dev"), [PrivateKeySigner.generate()], (s) =>
        s.addTarget(TargetFile.fromData("dev/evil", EVIL_DATA)),
      );
      env.sim.overrides.set("metadata/2.dev.json", bytes);
    },
    act: (env) => env.updater().getTargetInfo("dev/evil"),
    error: unsigned,
    advances: ["timestamp", "snapshot"],
  },
  {
    name: "rejects a timestamp signed with a key root does not trust",
    attack: async (env) => {
      const bytes = await forge("timestamp", published(env.repo, "timestamp"), [PrivateKeySigner.generate()], (s) => {
        s.version += 1;
      });
      env.sim.overrides.set("metadata/timestamp.json", bytes);
    },
    error: unsigned,
  },
  {
    name: "rejects a snapshot signed with a key root does not trust",
    env: { metaHashes: false },
    attack: async (env) => {
      await touchAndPublish(env);
      const bytes = await forge("snapshot", published(env.repo, "snapshot"), [PrivateKeySigner.generate()]);
      env.sim.overrides.set("metadata/2.snapshot.json", bytes);
    },
    error: unsigned,
    advances: ["timestamp"],
  },
];

const rollback: AttackCase[] = [
  {
    name: "rejects a timestamp version rollback",
    stage: async (env) => {
      env.saved.set("timestamp", published(env.repo, "timestamp"));
      await env.publish();
      await env.refresh();
    },
    attack: async (env) => {
      env.sim.overrides.set("metadata/timestamp.json", env.saved.get("timestamp") as Uint8Array);
    },
    error: { ...badVersion, message: /timestamp version went back from 2 to 1/ },
  },
  {
    name: "rejects a timestamp that lists an older snapshot version (snapshot rollback)",
    stage: async (env) => {
      env.saved.set("snapshot", published(env.repo, "snapshot"));
      await touchAndPublish(env);
      await env.refresh();
    },
    attack: async (env) => {
      const old = metaFor(env.repo, env.saved.get("snapshot") as Uint8Array);
      const bytes = await forge("timestamp", published(env.repo, "timestamp"), env.repo.signers("timestamp"), (s) => {
        s.version += 1;
        s.snapshotMeta = old;
      });
      env.sim.overrides.set("metadata/timestamp.json", bytes);
    },
    error: { ...badVersion, message: /lists snapshot version 1, older than the trusted 2/ },
  },
  {
    name: "rejects a snapshot that lists an older targets version (targets rollback, snapshot key only)",
    env: { metaHashes: false },
    stage: async (env) => {
      await touchAndPublish(env);
      await env.refresh();
    },
    attack: async (env) => {
      await touchAndPublish(env);
      const bytes = await forge("snapshot", published(env.repo, "snapshot"), env.repo.signers("snapshot"), (s) =>
        s.meta.set("targets.json", new MetaFile(1)),
      );
      env.sim.overrides.set("metadata/3.snapshot.json", bytes);
    },
    error: { ...badVersion, message: /targets\.json version 1, older than the trusted 2/ },
    advances: ["timestamp"],
  },
  {
    name: "rejects a snapshot that lists an older targets version (targets rollback, snapshot and timestamp keys)",
    stage: async (env) => {
      env.saved.set("targets", published(env.repo, "targets"));
      await touchAndPublish(env);
      await env.refresh();
    },
    attack: async (env) => {
      const old = metaFor(env.repo, env.saved.get("targets") as Uint8Array);
      await forgeSnapshotAndTimestamp(env, (s) => s.meta.set("targets.json", old));
    },
    error: { ...badVersion, message: /targets\.json version 1, older than the trusted 2/ },
  },
  {
    name: "rejects a snapshot that drops a delegated role (rollback to before the delegation)",
    env: { metaHashes: false },
    stage: publishDev,
    attack: async (env) => {
      await touchAndPublish(env);
      const bytes = await forge("snapshot", published(env.repo, "snapshot"), env.repo.signers("snapshot"), (s) => {
        s.meta.delete("dev.json");
      });
      env.sim.overrides.set(`metadata/${env.repo.snapshot.signed.version}.snapshot.json`, bytes);
    },
    error: { type: RepositoryError, code: "TUF_ROLLBACK", message: /no longer lists dev\.json/ },
    advances: ["timestamp"],
  },
  {
    name: "rejects a root whose version is not the one its file name says (2.root.json holding version 3)",
    attack: async (env) => {
      for (let i = 0; i < 2; i++) {
        env.repo.rotateRoot();
        await env.publish();
      }
      env.sim.overrides.set("metadata/2.root.json", published(env.repo, "root"));
    },
    error: { ...badVersion, message: /expected root version 2, got 3/ },
  },
  {
    name: "rejects a root version rollback (2.root.json holding version 1)",
    attack: async (env) => {
      env.repo.rotateRoot();
      await env.publish();
      env.sim.overrides.set("metadata/2.root.json", env.repo.rootVersions()[0] as Uint8Array);
    },
    error: { ...badVersion, message: /expected root version 2, got 1/ },
  },
  {
    name: "rejects a targets file older than the version snapshot lists (targets rollback)",
    env: { metaHashes: false },
    stage: async (env) => {
      await touchAndPublish(env);
      env.saved.set("targets", published(env.repo, "targets"));
      await env.refresh();
    },
    attack: async (env) => {
      await touchAndPublish(env);
      env.sim.overrides.set("metadata/3.targets.json", env.saved.get("targets") as Uint8Array);
    },
    error: { ...badVersion, message: /expected targets version 3 as the snapshot lists, got 2/ },
    advances: ["timestamp", "snapshot"],
  },
  {
    name: "rejects a delegated role older than the version snapshot lists (delegated rollback)",
    env: { metaHashes: false },
    stage: async (env) => {
      await publishDev(env);
      env.saved.set("dev", published(env.repo, "dev"));
    },
    attack: async (env) => {
      await touchAndPublish(env, "dev");
      env.sim.overrides.set("metadata/2.dev.json", env.saved.get("dev") as Uint8Array);
    },
    act: (env) => env.updater().getTargetInfo(DEV_TARGET),
    error: { ...badVersion, message: /expected dev version 2 as the snapshot lists, got 1/ },
    advances: ["timestamp", "snapshot"],
  },
];

/** A repository of the same keys that went another way: same versions, other content. */
async function fork(env: Env): Promise<Repository> {
  const other = await Repository.create({ signers: env.signers });
  other.addTarget({ path: EVIL, data: EVIL_DATA });
  await other.publish();
  env.repo.addTarget({ path: APP, data: APP_DATA });
  await env.publish();
  return other;
}

const mixAndMatch: AttackCase[] = [
  {
    name: "rejects an earlier snapshot served under the version timestamp lists (mix-and-match)",
    attack: async (env) => {
      const old = published(env.repo, "snapshot");
      await touchAndPublish(env);
      env.sim.overrides.set("metadata/2.snapshot.json", old);
    },
    error: { ...mismatch, message: /snapshot\.json/ },
    advances: ["timestamp"],
  },
  {
    name: "rejects an earlier snapshot served under the version timestamp lists, without meta hashes (mix-and-match)",
    env: { metaHashes: false },
    attack: async (env) => {
      const old = published(env.repo, "snapshot");
      await touchAndPublish(env);
      env.sim.overrides.set("metadata/2.snapshot.json", old);
    },
    error: { ...badVersion, message: /expected snapshot version 2 as the timestamp lists, got 1/ },
    advances: ["timestamp"],
  },
  {
    name: "rejects the snapshot of a forked repository state signed with the same keys (mix-and-match)",
    attack: async (env) => {
      const other = await fork(env);
      env.sim.overrides.set("metadata/2.snapshot.json", published(other, "snapshot"));
    },
    error: { ...mismatch, message: /snapshot\.json/ },
    advances: ["timestamp"],
  },
  {
    name: "rejects the targets of a forked repository state signed with the same keys (mix-and-match)",
    attack: async (env) => {
      const other = await fork(env);
      env.sim.overrides.set("metadata/2.targets.json", published(other, "targets"));
    },
    act: (env) => env.updater().getTargetInfo(EVIL),
    error: { ...mismatch, message: /targets\.json/ },
    advances: ["timestamp", "snapshot"],
  },
];

for (const [title, table] of [
  ["arbitrary installation", arbitraryInstallation],
  ["rollback attacks", rollback],
  ["mix-and-match attacks", mixAndMatch],
] as const) {
  describe(title, () => {
    for (const c of table) it(c.name, (t) => runAttack(t, c).then(() => undefined));
  });
}

describe("targets no trusted role lists", () => {
  it("finds nothing for a target listed nowhere, and fetches no target bytes", async (t) => {
    const env = await makeEnv(t);
    env.repo.addTarget({ path: APP, data: APP_DATA });
    await env.publish();
    env.sim.overrides.set(`targets/${EVIL}`, EVIL_DATA);
    const u = env.updater();
    assert.equal(await u.getTargetInfo(EVIL), undefined);
    assert.equal(await u.getTargetInfo(APP.toUpperCase()), undefined);
    assert.deepEqual(
      env.sim.requests.filter((p) => p.startsWith("targets/")),
      [],
    );
    assert.deepEqual(readdirSync(env.targetDir), []);
  });
});
