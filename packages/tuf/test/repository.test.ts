import assert from "node:assert/strict";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { serveFiles, setup, tempDir, topLevelSigners } from "@bulwark/testkit";
import { Updater as TufJsUpdater } from "tuf-js";
import {
  Metadata,
  PrivateKeySigner,
  Repository,
  type SignatureScheme,
  UnsignedMetadataError,
  Updater,
  UsageError,
  writeRepositoryFiles,
} from "../src/index.js";

describe("Repository writer", () => {
  it("creates version-1 metadata for every role, each signed by its threshold", async () => {
    const repo = await Repository.create({ signers: topLevelSigners() });
    const root = repo.root;
    assert.equal(root.signed.version, 1);
    root.verifyDelegate("root", root);
    root.verifyDelegate("timestamp", repo.timestamp);
    root.verifyDelegate("snapshot", repo.snapshot);
    root.verifyDelegate("targets", repo.targets());
    assert.equal(repo.timestamp.signed.snapshotMeta.version, repo.snapshot.signed.version);
  });

  it("refuses fewer signers than the threshold", async () => {
    const signers = topLevelSigners();
    await assert.rejects(Repository.create({ signers, thresholds: { root: 2 } }), UsageError);
  });

  it("bumps only what changed: a target bumps targets, snapshot and timestamp", async () => {
    const repo = await Repository.create({ signers: topLevelSigners() });
    const before = {
      t: repo.targets().signed.version,
      s: repo.snapshot.signed.version,
      ts: repo.timestamp.signed.version,
    };
    repo.addTarget({ path: "a.txt", data: Buffer.from("a") });
    const changed = await repo.publish();
    assert.deepEqual(
      changed.map((f) => f.path),
      [`metadata/${before.t + 1}.targets.json`, `metadata/${before.s + 1}.snapshot.json`, "metadata/timestamp.json"],
    );
    assert.equal(repo.timestamp.signed.version, before.ts + 1);
    assert.ok(repo.removeTarget("a.txt"));
    assert.equal(repo.removeTarget("a.txt"), false);
  });

  it("rotates root keys: the new root is signed by the old and the new root keys", async (t) => {
    const { repo, sim, signers, updater } = await setup(t);
    const newRootKey = PrivateKeySigner.generate();
    repo.addSigner("root", newRootKey);
    repo.revokeKey("root", (signers.root[0] as PrivateKeySigner).keyId);
    await repo.publish();
    sim.sync();
    const v2 = Metadata.fromBytes(repo.publishedBytes("root") as Buffer, "root");
    assert.equal(v2.signed.version, 2);
    assert.deepEqual([...v2.signatures.keys()].sort(), [signers.root[0]?.keyId, newRootKey.keyId].sort());
    const u = updater();
    await u.refresh();
    assert.equal(u.trustedSet.root.signed.version, 2);
    // v3 signed only by the new key is valid; a v3 signed only by the revoked key is not.
    repo.rotateRoot();
    await repo.publish();
    sim.sync();
    const u3 = updater();
    await u3.refresh();
    assert.equal(u3.trustedSet.root.signed.version, 3);
  });

  it("rotates the timestamp key; clients follow through the new root", async (t) => {
    const { repo, sim, signers, updater } = await setup(t);
    const next = PrivateKeySigner.generate();
    repo.addSigner("timestamp", next);
    repo.revokeKey("timestamp", (signers.timestamp[0] as PrivateKeySigner).keyId);
    await repo.publish();
    sim.sync();
    const u = updater();
    await u.refresh();
    assert.deepEqual([...(u.trustedSet.timestamp?.signatures.keys() ?? [])], [next.keyId]);
  });

  it("raises a threshold: metadata signed by fewer keys is refused", async (t) => {
    const { repo, sim, updater } = await setup(t);
    repo.setThreshold("targets", 2);
    await repo.publish();
    sim.sync();
    await assert.rejects(updater().refresh(), UnsignedMetadataError);
    repo.addSigner("targets", PrivateKeySigner.generate());
    await repo.publish();
    sim.sync();
    await updater().refresh();
  });

  it("moves targets into hashed bins (TAP 15) and serves each from its bin", async (t) => {
    const { repo, sim, updater } = await setup(t);
    for (let i = 0; i < 40; i++) repo.addTarget({ path: `f/${i}`, data: Buffer.from(String(i)) });
    repo.addHashedBins({ bitLength: 3, namePrefix: "bins", signers: [PrivateKeySigner.generate()] });
    await repo.publish();
    sim.sync();
    assert.equal(repo.targets().signed.targets.size, 0);
    assert.equal(repo.targetsRoleNames().filter((n) => n.startsWith("bins-")).length, 8);
    const u = updater();
    for (const i of [0, 17, 39]) assert.equal((await u.getTargetInfo(`f/${i}`))?.length, String(i).length);
    // One lookup reads exactly one bin.
    const bins = sim.requests.filter((p) => p.includes("bins-"));
    assert.ok(bins.length >= 1 && bins.length <= 3);
  });

  for (const scheme of ["ed25519", "ecdsa-sha2-nistp256", "rsassa-pss-sha256"] as SignatureScheme[]) {
    it(`signs every role with ${scheme} keys that a client verifies`, async (t) => {
      const s = () => [PrivateKeySigner.generate(scheme)];
      const repo = await Repository.create({ signers: { root: s(), timestamp: s(), snapshot: s(), targets: s() } });
      repo.addTarget({ path: "x", data: Buffer.from("x") });
      await repo.publish();
      const dir = tempDir(t);
      writeFileSync(path.join(dir, "root.json"), repo.publishedBytes("root") as Buffer);
      const server = await serveFiles(repo.files());
      t.after(() => server.close());
      const u = new Updater({ metadataDir: dir, metadataBaseUrl: `${server.url}metadata/` });
      assert.equal((await u.getTargetInfo("x"))?.length, 1);
    });
  }

  it("writes a static tree with timestamp.json last and nothing outside the folder", async (t) => {
    const repo = await Repository.create({ signers: topLevelSigners() });
    repo.addTarget({ path: "dir/app.bin", data: Buffer.from("bin") });
    await repo.publish();
    const dir = tempDir(t);
    const written = await writeRepositoryFiles(dir, repo.files());
    assert.ok(written > 0);
    assert.equal(await writeRepositoryFiles(dir, repo.files()), 0, "a second write changes nothing");
    const sha = repo.targets().signed.targets.get("dir/app.bin")?.hashes.get("sha256");
    assert.equal(readFileSync(path.join(dir, "targets", "dir", `${sha}.app.bin`), "utf8"), "bin");
    await assert.rejects(writeRepositoryFiles(dir, [{ path: "../escape", data: Buffer.from("x") }]), UsageError);
  });
});

describe("Repository.open: from published bytes, lazily", () => {
  async function reopen(repo: Repository, signers: ReturnType<typeof topLevelSigners>, extra?: PrivateKeySigner[]) {
    const loaded: string[] = [];
    const files = new Map(repo.files().map((f) => [f.path, Buffer.from(f.data)]));
    const reopened = Repository.open({
      roots: repo.rootVersions(),
      timestamp: files.get("metadata/timestamp.json") as Buffer,
      snapshot: repo.publishedBytes("snapshot") as Buffer,
      loadTargets: (role, version) => {
        loaded.push(role);
        return files.get(`metadata/${version}.${encodeURIComponent(role)}.json`);
      },
      signerSource: async (role, _keyids) => [
        ...(role === "root" ? [] : (signers[role as "targets"] ?? [])),
        ...(extra ?? []),
      ],
    });
    return { reopened, loaded };
  }

  it("adds a target to one hashed bin and re-signs only that bin, snapshot and timestamp", async () => {
    const signers = topLevelSigners();
    const binKey = PrivateKeySigner.generate();
    const repo = await Repository.create({ signers });
    repo.addHashedBins({ bitLength: 4, signers: [binKey] });
    for (let i = 0; i < 64; i++) repo.addTarget({ path: `f/${i}`, data: Buffer.from(String(i)) });
    await repo.publish();
    const { reopened, loaded } = await reopen(repo, signers, [binKey]);
    const bin = reopened.roleForTarget("f/new");
    reopened.addTarget({ path: "f/new", data: Buffer.from("new") });
    const changed = (await reopened.publish()).map((f) => f.path);
    assert.deepEqual(loaded, ["targets", bin]);
    assert.equal(changed.length, 3);
    assert.match(changed[0] as string, new RegExp(`\\.${bin}\\.json$`));
    assert.equal(reopened.snapshot.signed.version, repo.snapshot.signed.version + 1);
  });

  it("refuses to publish a root change without the root keys, and accepts signatures collected offline", async () => {
    const signers = topLevelSigners();
    const repo = await Repository.create({ signers });
    const { reopened } = await reopen(repo, signers);
    const next = PrivateKeySigner.generate();
    reopened.addSigner("timestamp", next);
    await assert.rejects(reopened.publish(), (e: unknown) => (e as UsageError).code === "ROOT_SIGNATURES_NEEDED");
    const staged = reopened.stagedRoot();
    assert.ok(staged);
    // Offline: the root key holder signs exactly these bytes.
    const offline = Metadata.fromBytes(staged.toCanonicalLayoutBytes(), "root");
    await offline.sign(signers.root[0] as PrivateKeySigner);
    reopened.stageRoot(offline);
    const changed = (await reopened.publish()).map((f) => f.path);
    assert.ok(changed.includes("metadata/2.root.json"));
    const v2 = Metadata.fromBytes(reopened.publishedBytes("root") as Buffer, "root");
    repo.root.verifyDelegate("root", v2);
  });
});

describe("interoperability: tuf-js 5.0.1 accepts Bulwark's metadata", () => {
  it("refreshes, walks a delegation and downloads a target over loopback HTTP", async (t) => {
    const repo = await Repository.create({ signers: topLevelSigners() });
    repo.addTarget({ path: "app/app-1.0.0.tgz", data: Buffer.from("app 1.0.0") });
    repo.delegate("targets", { name: "plugins", paths: ["plugins/*"], signers: [PrivateKeySigner.generate()] });
    repo.addTarget({ path: "plugins/p.tgz", data: Buffer.from("plugin") }, "plugins");
    repo.rotateRoot();
    await repo.publish();
    const server = await serveFiles(repo.files());
    t.after(() => server.close());
    const dir = tempDir(t);
    mkdirSync(path.join(dir, "targets"));
    writeFileSync(path.join(dir, "root.json"), repo.rootVersions()[0] as Buffer);
    const peer = new TufJsUpdater({
      metadataDir: dir,
      metadataBaseUrl: `${server.url}metadata`,
      targetDir: path.join(dir, "targets"),
      targetBaseUrl: `${server.url}targets`,
    });
    await peer.refresh();
    for (const [name, content] of [
      ["app/app-1.0.0.tgz", "app 1.0.0"],
      ["plugins/p.tgz", "plugin"],
    ] as const) {
      const info = await peer.getTargetInfo(name);
      assert.ok(info, `tuf-js finds ${name}`);
      const file = await peer.downloadTarget(info, path.join(dir, "targets", encodeURIComponent(name)));
      assert.equal(readFileSync(file, "utf8"), content);
    }
  });
});
