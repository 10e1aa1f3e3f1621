/**
 * The transparency-log policy in root metadata: `bulwark log policy set|show`, its
 * refusals, the offline root flow (exit 3 until signed), publish refusing to go on without
 * the root's log, tuf-js 5.0.1 accepting a root that carries the policy, a root whose policy
 * does not parse refusing everything, and the attacker with the stolen online keys unable to
 * remove the requirement: a policy in targets is ignored, a forged root is refused.
 */
import assert from "node:assert/strict";
import { readFileSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { CLIENT_ERRORS } from "@bulwark/client";
import { type KeyEntry, privateKeyFromPem } from "@bulwark/publisher";
import {
  appendReleases,
  CosignatureV1Signer,
  Ed25519Signer,
  LOG_POLICY_FIELD,
  LogWriter,
  logPolicyToJSON,
  MemoryStore,
  releaseEntryFor,
  witness,
} from "@bulwark/tlog";
import { Metadata, type SignatureScheme } from "@bulwark/tuf";
import { tarGz } from "../src/quickstart/demo-archive.js";
import { APP, demoFiles, endpoint, tufJsPeer, Vendor } from "./e2e-helpers.js";
import { initRepo, PASSPHRASE_ENV, runCli, tempDir } from "./helpers.js";
import { ORIGIN, placeProof, TestWitness, vendorWithLog } from "./transparency-helpers.js";
import {
  errorOf,
  listDirectly,
  makeBuilders,
  ok,
  openRepo,
  refusedInstall,
  SEPARATE_ROOT,
  setPolicy,
  sha256,
  trojanBuild,
} from "./verified-builds-helpers.js";

type PolicyJson = {
  origin: string;
  log_vkey: string;
  witnesses: Array<{ name: string; url?: string }>;
  threshold: number;
};

function keyEntries(dir: string): KeyEntry[] {
  return (JSON.parse(readFileSync(path.join(dir, "bulwark.json"), "utf8")) as { keys: KeyEntry[] }).keys;
}

function rootField(dir: string, version: number): PolicyJson | undefined {
  const root = Metadata.fromBytes(readFileSync(path.join(dir, "public", "metadata", `${version}.root.json`)), "root");
  return root.signed.unrecognized[LOG_POLICY_FIELD] as PolicyJson | undefined;
}

/** A log folder made with `bulwark log init` beside `dir`; its vkey. */
async function logInit(dir: string): Promise<{ logDir: string; vkey: string }> {
  const logDir = path.join(path.dirname(dir), "release-log");
  const run = await ok(["log", "init", logDir, "--origin", ORIGIN, "--json"]);
  return { logDir, vkey: run.json<{ vkey: string }>().vkey };
}

describe("bulwark log policy set and show", () => {
  it("stages the policy in the next root, shows it staged and published, records the log folder, and removes it", async (t) => {
    const dir = await initRepo(t);
    const { logDir, vkey } = await logInit(dir);
    const w1 = await TestWitness.start(t, "w1", vkey);
    const w2 = await TestWitness.start(t, "w2", vkey);
    const set = ["log", "policy", "set", dir, "--log-dir", logDir, "--threshold", "1"];
    const witnesses = ["--witness", w1.option(), "--witness", `w2=${w2.vkey}`];
    const first = await runCli([...set, ...witnesses, "--json"]);
    assert.equal(first.code, 0, first.stderr);
    const data = first.json<{ changed: boolean; staged: string[]; root: { version: number }; log: { dir: string } }>();
    assert.deepEqual(
      [data.changed, data.staged, data.root.version, data.log.dir],
      [true, ["root"], 2, "../release-log"],
    );
    const shown = (await runCli(["log", "policy", "show", dir, "--json"])).json<{
      published: { policy: unknown };
      staged: { version: number; policy: PolicyJson };
      log: { dir: string };
    }>();
    assert.equal(shown.published.policy, null);
    assert.deepEqual(
      [shown.staged.version, shown.staged.policy.origin, shown.staged.policy.log_vkey, shown.staged.policy.threshold],
      [2, ORIGIN, vkey, 1],
    );
    assert.deepEqual(shown.staged.policy.witnesses, [
      { name: "w1", vkey: w1.vkey, url: w1.url },
      { name: "w2", vkey: w2.vkey },
    ]);
    assert.equal((await runCli([...set, ...witnesses, "--json"])).json<{ changed: boolean }>().changed, false);

    await ok(["repo", "publish", dir]);
    assert.equal(rootField(dir, 2)?.origin, ORIGIN);
    const human = await runCli(["log", "policy", "show", dir]);
    assert.match(
      human.stdout,
      /published root \(version 2\):\n {2}log updates\.example\.com\/log, key .*\n {2}1 of 2 witnesses must cosign:/,
    );
    assert.match(human.stdout, /releases are logged in \.\.\/release-log/);
    // The verified-builds policy is another field of the same root: setting it keeps this one.
    const builders = await makeBuilders(path.dirname(dir), ["A"]);
    assert.equal((await setPolicy(dir, builders, 1)).code, 0);
    await ok(["repo", "publish", dir]);
    assert.deepEqual(rootField(dir, 3), rootField(dir, 2));
    await ok(["log", "policy", "set", dir, "--remove"]);
    await ok(["repo", "publish", dir]);
    assert.equal(rootField(dir, 4), undefined);
  });

  it("refuses malformed witnesses, impossible thresholds, a witness holding the log key, and a mismatched log", async (t) => {
    const dir = await initRepo(t);
    const { logDir, vkey } = await logInit(dir);
    const w1 = new CosignatureV1Signer("w1.example/witness", Buffer.alloc(32, 1)).verifier().vkey;
    const w2 = new CosignatureV1Signer("w2.example/witness", Buffer.alloc(32, 2)).verifier().vkey;
    const sameKeyAsW1 = new CosignatureV1Signer("w3.example/witness", Buffer.alloc(32, 1)).verifier().vkey;
    const other = new Ed25519Signer(ORIGIN, Buffer.alloc(32, 9)).verifier().vkey;
    const base = ["log", "policy", "set", dir, "--json"];
    const cases: ReadonlyArray<{ name: string; argv: string[]; code: string; message: RegExp }> = [
      {
        name: "no threshold",
        argv: ["--log-dir", logDir, "--witness", `w1=${w1}`],
        code: "CLI_USAGE",
        message: /--threshold/,
      },
      {
        name: "a threshold above the witnesses",
        argv: ["--log-dir", logDir, "--witness", `w1=${w1}`, "--threshold", "2"],
        code: "CLI_USAGE",
        message: /from 1 to 1/,
      },
      {
        name: "a witness without a key",
        argv: ["--log-dir", logDir, "--witness", "w1", "--threshold", "1"],
        code: "CLI_USAGE",
        message: /is not NAME=VKEY/,
      },
      {
        name: "a witness key that does not parse",
        argv: ["--log-dir", logDir, "--witness", "w1=nope", "--threshold", "1"],
        code: "CLI_USAGE",
        message: /is not a witness key/,
      },
      {
        name: "a witness URL that is not http(s)",
        argv: ["--log-dir", logDir, "--witness", `w1=${w1}@ftp://x`, "--threshold", "1"],
        code: "CLI_USAGE",
        message: /is not an http\(s\) URL/,
      },
      {
        name: "one witness name twice",
        argv: ["--log-dir", logDir, "--witness", `w1=${w1}`, "--witness", `w1=${w2}`, "--threshold", "1"],
        code: "BAD_LOG_POLICY",
        message: /"w1" is listed twice/,
      },
      {
        name: "one witness key under two names",
        argv: ["--log-dir", logDir, "--witness", `w1=${w1}`, "--witness", `w3=${sameKeyAsW1}`, "--threshold", "2"],
        code: "BAD_LOG_POLICY",
        message: /has the key of another witness/,
      },
      {
        name: "a witness holding the log's key",
        argv: ["--log-dir", logDir, "--witness", `w1=${vkey}`, "--threshold", "1"],
        code: "BAD_LOG_POLICY",
        message: /holds the log's own key/,
      },
      {
        name: "a --log-vkey that is not the folder's",
        argv: ["--log-dir", logDir, "--log-vkey", other, "--witness", `w1=${w1}`, "--threshold", "1"],
        code: "CLI_USAGE",
        message: /is not the key of the log/,
      },
      {
        name: "no log at all",
        argv: ["--witness", `w1=${w1}`, "--threshold", "1"],
        code: "CLI_USAGE",
        message: /--log-dir/,
      },
    ];
    for (const c of cases) {
      const run = await runCli([...base, ...c.argv]);
      assert.equal(run.code, 2, `${c.name}: ${run.stdout}`);
      const error = errorOf(run);
      assert.equal(error.code, c.code, `${c.name}: ${error.message}`);
      assert.match(error.message, c.message, c.name);
    }
    const status = (await runCli(["log", "policy", "show", dir, "--json"])).json<{ staged?: unknown; log: unknown }>();
    assert.deepEqual([status.staged, status.log], [undefined, null], "nothing was staged or recorded");

    // A policy naming a log by key only: publishing a release needs the log folder.
    await ok([...base, "--log-vkey", vkey, "--witness", `w1=${w1}`, "--threshold", "1"]);
    await ok(["repo", "publish", dir]);
    const release = path.join(path.dirname(dir), "app-1.0.0.tar.gz");
    writeFileSync(release, "app 1.0.0");
    await ok(["release", "add", dir, release, "--name", APP, "--version", "1.0.0"]);
    const refused = await runCli(["repo", "publish", dir, "--json"]);
    assert.equal(refused.code, 2);
    assert.equal(errorOf(refused).code, "NO_RELEASE_LOG");
    // Another log's folder: refused too.
    const elsewhere = path.join(path.dirname(dir), "another-log");
    await ok(["log", "init", elsewhere, "--origin", ORIGIN]);
    const config = JSON.parse(readFileSync(path.join(dir, "bulwark.json"), "utf8")) as Record<string, unknown>;
    writeFileSync(path.join(dir, "bulwark.json"), JSON.stringify({ ...config, log: { dir: "../another-log" } }));
    const mismatch = await runCli(["repo", "publish", dir, "--json"]);
    assert.equal(errorOf(mismatch).code, "LOG_MISMATCH");
  });

  it("needs the root keys: with them offline, publish exits 3 until signed offline, then the policy is published", async (t) => {
    const dir = await initRepo(t, []);
    const { vkey } = await logInit(dir);
    const w1 = new CosignatureV1Signer("w1.example/witness", Buffer.alloc(32, 1)).verifier().vkey;
    const vault = tempDir(t, "bulwark-vault-");
    const config = JSON.parse(readFileSync(path.join(dir, "bulwark.json"), "utf8")) as { keys: KeyEntry[] };
    const rootKeys: string[] = [];
    config.keys = config.keys.map((e) => {
      if (!e.roles.includes("root") || !("file" in e)) return e;
      const to = path.join(vault, path.basename(e.file));
      renameSync(path.join(dir, e.file), to);
      rootKeys.push(to);
      return { id: e.id, roles: e.roles, scheme: e.scheme, offline: true as const };
    });
    writeFileSync(path.join(dir, "bulwark.json"), JSON.stringify(config, null, 2));
    const set = await ok([
      "log",
      "policy",
      "set",
      dir,
      "--log-vkey",
      vkey,
      "--witness",
      `w1=${w1}`,
      "--threshold",
      "1",
    ]);
    assert.match(set.stdout, /Some root keys are offline/);
    const refused = await runCli(["repo", "publish", dir]);
    assert.equal(refused.code, 3, refused.stderr);
    const file = path.join(vault, "root-2.json");
    await ok(["repo", "export", dir, file]);
    for (const key of rootKeys.slice(0, 2)) await ok(["sign", file, "--key", key]);
    await ok(["repo", "import", dir, file]);
    await ok(["repo", "publish", dir]);
    assert.equal(rootField(dir, 2)?.log_vkey, vkey);
  });
});

describe("the log policy and other clients", () => {
  it("is accepted by tuf-js 5.0.1: a root carrying it updates and verifies targets as before", async (t) => {
    const { vendor } = await vendorWithLog(t);
    await vendor.release("1.0.0");
    const { updater, targetDir, trustedRoot: trusted } = await tufJsPeer(t, vendor);
    assert.equal(trusted.signed.version, 2);
    assert.ok(trusted.signed[LOG_POLICY_FIELD], "tuf-js trusts root 2, log policy and all");
    const target = `${APP}/1.0.0/${APP}-1.0.0.tar.gz`;
    const info = await updater.getTargetInfo(target);
    assert.ok(info, target);
    const file = await updater.downloadTarget(info, path.join(targetDir, "app.tar.gz"));
    assert.deepEqual(readFileSync(file), tarGz(demoFiles("1.0.0")));
    assert.equal(await updater.getTargetInfo(`${target}.tlog-proof`), undefined, "the proof is not a TUF target");
  });

  it("cannot be removed with the stolen online keys: a policy in targets is ignored, a forged root is refused", async (t) => {
    const { vendor } = await vendorWithLog(t);
    await vendor.release("1.0.0");
    const ep = endpoint(t, vendor);
    await ep.client.update();
    // The attacker's own log and witness, "required" by a policy put in targets metadata.
    const logSigner = new Ed25519Signer(ORIGIN, Buffer.alloc(32, 5));
    const attackerLog = await LogWriter.create(new MemoryStore(), {
      origin: ORIGIN,
      signer: logSigner,
      verifier: logSigner.verifier(),
    });
    const cosigner = new CosignatureV1Signer("evil.example/witness", Buffer.alloc(32, 6));
    const lowered = logPolicyToJSON({
      origin: ORIGIN,
      logVerifier: logSigner.verifier(),
      witnesses: [witness("evil", cosigner.verifier())],
      threshold: 1,
    });
    const repoDir = await openRepo(vendor.dir);
    await repoDir.locked(async () => {
      const repo = await repoDir.load();
      repo.targets().signed.unrecognized = { [LOG_POLICY_FIELD]: lowered };
      repo.touch("targets");
      await repoDir.stage(repo);
      await repoDir.publish(repo, { unlogged: true });
    });
    const trojan = trojanBuild("6.6.6");
    const trojanPath = `${APP}/6.6.6/${APP}-6.6.6.tar.gz`;
    await listDirectly(vendor, { version: "6.6.6", fileName: `${APP}-6.6.6.tar.gz`, bytes: trojan });
    const entry = releaseEntryFor(
      { name: APP, version: "6.6.6" },
      { path: trojanPath, length: trojan.length, sha256: sha256(trojan) },
      { role: "targets", version: 9, metadata: Buffer.from("targets") },
    );
    const [proof] = (await appendReleases(attackerLog, [entry])).proofs;
    assert.ok(proof);
    placeProof(vendor, trojanPath, trojan, proof.proof);
    await refusedInstall(ep, "6.6.6", CLIENT_ERRORS.BAD_LOG_PROOF, /not signed by the log key the root names/);

    // A root version without the policy, signed with the stolen targets key: not a root.
    const targetsKey = keyEntries(vendor.dir).find((e) => e.roles.includes("targets") && "file" in e);
    assert.ok(targetsKey && "file" in targetsKey && !targetsKey.roles.includes("root"));
    const stolen = await privateKeyFromPem(
      readFileSync(path.join(vendor.dir, targetsKey.file)),
      targetsKey.file,
      async () => PASSPHRASE_ENV.BULWARK_PASSPHRASE,
      targetsKey.scheme as SignatureScheme,
    );
    const published = Metadata.fromBytes(
      readFileSync(path.join(vendor.dir, "public", "metadata", "2.root.json")),
      "root",
    );
    published.signed.version = 3;
    published.signed.unrecognized = {};
    published.signatures.clear();
    await published.sign(stolen);
    writeFileSync(path.join(vendor.dir, "public", "metadata", "3.root.json"), published.toCanonicalLayoutBytes());
    await assert.rejects(ep.client.releases(), { code: "TUF_UNSIGNED_METADATA" });
  });

  it("refuses every release under a root whose log policy does not parse (fail closed)", async (t) => {
    const vendor = await Vendor.create(t, SEPARATE_ROOT);
    await vendor.release("1.0.0");
    const repoDir = await openRepo(vendor.dir);
    await repoDir.locked(async () => {
      const repo = await repoDir.load();
      repo.rotateRoot().unrecognized = { [LOG_POLICY_FIELD]: { origin: ORIGIN, threshold: 0 } };
      await repoDir.stage(repo);
      await repoDir.publish(repo, { unlogged: true });
    });
    await refusedInstall(endpoint(t, vendor), "1.0.0", CLIENT_ERRORS.BAD_LOG_POLICY, /cannot be read/);
  });
});
