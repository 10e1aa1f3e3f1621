/**
 * Turning on a policy in root must not orphan the releases endpoints are already offered
 * (issue 13, item 2), over real loopback HTTP:
 *
 * - the transparency log: a release published before `log policy set` has no proof, and
 *   every client that trusts the new root refuses it. `log policy set` names it, `repo
 *   status` lists it, the next `repo publish` logs it with its own releases, and `bulwark log
 *   backfill` logs it at once; a fresh endpoint then installs it.
 * - verified builds: `policy set` refuses a policy that listed releases' attestations do not
 *   satisfy, naming them, unless `--allow-unattested-existing` is given.
 */
import assert from "node:assert/strict";
import { existsSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { CLIENT_ERRORS } from "@bulwark/client";
import { APP, demoFiles, endpoint, installedFiles, Vendor } from "./e2e-helpers.js";
import { runCli, serveFolder } from "./helpers.js";
import { enableLog, ORIGIN, proofFiles, publishJson, TestWitness, vendorWithLog } from "./transparency-helpers.js";
import {
  attest,
  errorOf,
  genuineBuild,
  makeBuilders,
  openRepo,
  refusedInstall,
  releaseAdd,
  SEPARATE_ROOT,
  setPolicy,
  writeArtifact,
} from "./verified-builds-helpers.js";

const P100 = `${APP}/1.0.0/${APP}-1.0.0.tar.gz`;
const UNLOGGED_100 = { name: APP, version: "1.0.0", path: P100, proof: "missing" };

/** `repo status DIR --json`'s releases without a valid proof. */
async function unloggedInStatus(vendor: Vendor): Promise<unknown> {
  const status = await runCli(["repo", "status", vendor.dir, "--json"]);
  assert.equal(status.code, 0, status.stderr);
  return status.json<{ log?: { unlogged: unknown[] } }>().log?.unlogged;
}

describe("turning on the transparency log keeps earlier releases installable", () => {
  it("the next publish logs a release published before the policy; a fresh endpoint installs it", async (t) => {
    const vendor = await Vendor.create(t, SEPARATE_ROOT);
    const v100 = genuineBuild("1.0.0");
    await vendor.add("1.0.0", v100);
    await vendor.publish();

    const { set, logDir, logVkey } = await enableLog(t, vendor);
    // The policy command names the release clients would refuse, and what logs it.
    assert.match(set.stderr, /1 listed release file\(s\) have no proof in this log/);
    assert.match(set.stderr, /app 1\.0\.0 \(app\/1\.0\.0\/app-1\.0\.0\.tar\.gz\)/);
    assert.match(set.stderr, /bulwark log backfill /);
    assert.deepEqual(await unloggedInStatus(vendor), [UNLOGGED_100]);

    const dry = await runCli(["repo", "publish", vendor.dir, "--dry-run"]);
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(
      dry.stdout,
      /Would log 1 release file\(s\) published earlier without a valid proof, and published their proofs: app 1\.0\.0/,
    );
    const published = await publishJson(vendor);
    assert.equal(published.code, 0, published.stderr);
    const report = published.json<{ log: { origin: string; entries: number; backfilled: unknown[] } }>();
    assert.equal(report.log.origin, ORIGIN);
    assert.equal(report.log.entries, 1);
    assert.deepEqual(report.log.backfilled, [UNLOGGED_100]);
    const files = proofFiles(vendor, P100, v100);
    assert.ok(existsSync(files.prefixed) && existsSync(files.plain), "the proof is published under both names");
    assert.deepEqual(await unloggedInStatus(vendor), []);

    // A new endpoint trusts root 1, updates to root 2 (which requires the log) and installs 1.0.0.
    const ep = endpoint(t, vendor);
    assert.deepEqual(await ep.client.update(), { action: "installed", to: "1.0.0" });
    assert.deepEqual(installedFiles(ep), demoFiles("1.0.0"));

    // The monitor finds the backfilled entry listed by the repository: nothing to report.
    const logUrl = await serveFolder(t, path.join(logDir, "public"));
    writeFileSync(path.join(vendor.work, "root.json"), vendor.root());
    const monitor = await runCli([
      ...["log", "monitor", "--log", logUrl, "--log-vkey", logVkey, "--repo", vendor.server.url],
      ...["--root", path.join(vendor.work, "root.json"), "--json"],
    ]);
    assert.equal(monitor.code, 0, monitor.stdout);
    assert.equal(monitor.json<{ ok: boolean }>().ok, true);

    // Nothing is left to log: the next publish logs only its own release.
    await vendor.add("1.0.1", genuineBuild("1.0.1"));
    const next = await publishJson(vendor);
    assert.equal(next.code, 0, next.stderr);
    const nextLog = next.json<{ log: { entries: number; backfilled: unknown[] } }>().log;
    assert.equal(nextLog.entries, 1);
    assert.deepEqual(nextLog.backfilled, []);
  });

  it("bulwark log backfill logs the releases a publish left without proofs (--dry-run lists them)", async (t) => {
    const vendor = await Vendor.create(t, SEPARATE_ROOT);
    const v100 = genuineBuild("1.0.0");
    await vendor.add("1.0.0", v100);
    await vendor.publish();
    await enableLog(t, vendor);
    // The root with the policy published without logging anything: how every repository that
    // turned the log on before the backfill existed was left.
    const repoDir = await openRepo(vendor.dir);
    await repoDir.locked(async () => repoDir.publish(await repoDir.load(), { unlogged: true }));
    await refusedInstall(endpoint(t, vendor), "1.0.0", CLIENT_ERRORS.NOT_IN_LOG);

    const dry = await runCli(["log", "backfill", vendor.dir, "--dry-run", "--json"]);
    assert.equal(dry.code, 0, dry.stderr);
    assert.deepEqual(dry.json(), { dryRun: true, origin: ORIGIN, releases: [UNLOGGED_100], files: [] });
    assert.ok(!existsSync(proofFiles(vendor, P100, v100).prefixed), "a dry run writes nothing");

    const run = await runCli(["log", "backfill", vendor.dir, "--json"]);
    assert.equal(run.code, 0, run.stderr);
    const done = run.json<{ releases: unknown[]; cosignedBy: string[]; files: string[]; firstIndex: string }>();
    assert.deepEqual(done.releases, [UNLOGGED_100]);
    assert.deepEqual(done.cosignedBy, ["w1", "w2"]);
    assert.equal(done.firstIndex, "0");
    assert.equal(done.files.length, 2);

    const ep = endpoint(t, vendor);
    assert.deepEqual(await ep.client.update(), { action: "installed", to: "1.0.0" });

    // A proof that does not verify (here: garbage) is found and replaced too.
    writeFileSync(proofFiles(vendor, P100, v100).prefixed, "not a proof\n");
    const human = await runCli(["log", "backfill", vendor.dir, "--dry-run"]);
    assert.equal(human.code, 0, human.stderr);
    assert.match(human.stdout, /app@1\.0\.0 +app\/1\.0\.0\/app-1\.0\.0\.tar\.gz +invalid/);
    assert.match(human.stdout, /Would log 1 release file\(s\) in updates\.example\.com\/log/);
    assert.equal((await runCli(["log", "backfill", vendor.dir])).code, 0);
    const again = await runCli(["log", "backfill", vendor.dir, "--json"]);
    assert.deepEqual(again.json<{ releases: unknown[] }>().releases, []);
    // The replacement proof verifies as clients verify it.
    assert.deepEqual(await endpoint(t, vendor).client.update(), { action: "installed", to: "1.0.0" });
  });

  it("replacing a witness in root re-logs the releases whose proofs the new witnesses never cosigned", async (t) => {
    const { vendor, logVkey, witnesses } = await vendorWithLog(t);
    const v100 = genuineBuild("1.0.0");
    await vendor.add("1.0.0", v100);
    await vendor.publish();
    const [w1] = witnesses as [TestWitness, TestWitness];
    const w3 = await TestWitness.start(t, "w3", logVkey);
    const set = await runCli([
      ...["log", "policy", "set", vendor.dir, "--log-dir", path.join(vendor.work, "release-log")],
      ...["--threshold", "2", "--witness", w1.option(), "--witness", w3.option()],
    ]);
    assert.equal(set.code, 0, set.stderr);
    assert.match(set.stderr, /app 1\.0\.0 \(app\/1\.0\.0\/app-1\.0\.0\.tar\.gz: its proof does not verify\)/);
    const published = await publishJson(vendor);
    assert.equal(published.code, 0, published.stderr);
    const log = published.json<{ log: { backfilled: unknown[]; cosignedBy: string[] } }>().log;
    assert.deepEqual(log.backfilled, [{ ...UNLOGGED_100, proof: "invalid" }]);
    assert.deepEqual(log.cosignedBy, ["w1", "w3"]);
    const ep = endpoint(t, vendor);
    assert.deepEqual(await ep.client.update(), { action: "installed", to: "1.0.0" });
  });

  it("bulwark log backfill under a root without a log policy is a usage error", async (t) => {
    const vendor = await Vendor.create(t, SEPARATE_ROOT);
    const run = await runCli(["log", "backfill", vendor.dir, "--json"]);
    assert.equal(run.code, 2);
    assert.equal(errorOf(run).code, "NO_LOG_POLICY");
  });
});

describe("turning on verified builds names the releases clients would refuse", () => {
  it("refuses a policy that listed releases do not satisfy, naming them, unless --allow-unattested-existing", async (t) => {
    const vendor = await Vendor.create(t, SEPARATE_ROOT);
    await vendor.add("1.0.0", genuineBuild("1.0.0"));
    await vendor.publish();
    const builders = await makeBuilders(vendor.work, ["A", "B", "C"]);

    const refused = await setPolicy(vendor.dir, builders, 2, ["--json"]);
    assert.equal(refused.code, 1, refused.stderr);
    const error = errorOf(refused);
    assert.equal(error.code, "UNATTESTED_RELEASES");
    assert.match(error.message, /app 1\.0\.0 \(app\/1\.0\.0\/app-1\.0\.0\.tar\.gz: it has no attestations\)/);
    assert.match(refused.stderr, /--allow-unattested-existing/);
    const status = await runCli(["repo", "status", vendor.dir, "--json"]);
    assert.deepEqual(status.json<{ pendingRoles: string[] }>().pendingRoles, [], "nothing was staged");

    const allowed = await setPolicy(vendor.dir, builders, 2, ["--allow-unattested-existing"]);
    assert.equal(allowed.code, 0, allowed.stderr);
    assert.match(allowed.stderr, /every client that trusts the new root refuses these 1 listed release file/);
    assert.match(allowed.stdout, /app@1\.0\.0 +app\/1\.0\.0\/app-1\.0\.0\.tar\.gz +it has no attestations/);

    // Re-added with two builders' attestations (same bytes), it satisfies 2 of 3, not 3 of 3.
    const artifact = writeArtifact(vendor.work, `${APP}-1.0.0.tar.gz`, genuineBuild("1.0.0"));
    const attestations = [
      await attest(builders[0] as never, artifact, { version: "1.0.0" }),
      await attest(builders[1] as never, artifact, { version: "1.0.0" }),
    ];
    const add = await releaseAdd(vendor.dir, artifact, "1.0.0", attestations);
    assert.equal(add.code, 0, add.stderr);
    await vendor.publish();
    const stricter = await setPolicy(vendor.dir, builders, 3, ["--json"]);
    assert.equal(stricter.code, 1, stricter.stderr);
    assert.match(errorOf(stricter).message, /app 1\.0\.0 .*is attested by 2 of the 3 independent builders required/);
    // A policy its attestations satisfy goes through without the option.
    const same = await setPolicy(vendor.dir, builders.slice(0, 2), 2);
    assert.equal(same.code, 0, same.stderr);
  });
});
