/**
 * The everyday release commands (issue 13, item 8): `release list`, `release remove`,
 * `release rollout --percent` refusing fractions clearly, and `release revoke` keeping an earlier reason.
 * Each drives the CLI as a vendor would, on a repository served over loopback HTTP.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { inRollout } from "@bulwark/client";
import { tarGz } from "../src/quickstart/demo-archive.js";
import { APP, cli, demoFiles, Vendor } from "./e2e-helpers.js";
import { runCli } from "./helpers.js";

interface Listed {
  name: string;
  version: string;
  channel: string;
  platform?: string;
  target: string;
  sha256: string;
  rollout: number;
  revoked?: { at?: string; reason?: string };
  attested: boolean;
  logged: boolean;
  state: "staged" | "published";
}

async function list(vendor: Vendor): Promise<Listed[]> {
  const run = await runCli(["release", "list", vendor.dir, "--json"]);
  assert.equal(run.code, 0, run.stderr);
  return run.json<{ releases: Listed[] }>().releases;
}

function only(rows: Listed[], version: string): Listed {
  const found = rows.filter((r) => r.version === version);
  assert.equal(found.length, 1, `one file of ${APP}@${version}: ${JSON.stringify(rows)}`);
  return found[0] as Listed;
}

describe("bulwark release list", () => {
  it("lists staged and published releases with channel, platform, rollout and revocation", async (t) => {
    const vendor = await Vendor.create(t);
    await vendor.release("1.0.0");
    await vendor.rollout("1.0.0", 25);
    await vendor.release("1.0.1");
    await vendor.revoke("1.0.1", "crashes on start");
    await vendor.add("1.1.0", tarGz(demoFiles("1.1.0")), { channel: "beta", platform: "linux-x64" });

    const rows = await list(vendor);
    assert.deepEqual(
      rows.map((r) => r.version),
      ["1.1.0", "1.0.1", "1.0.0"],
    );
    const staged = only(rows, "1.1.0");
    assert.equal(staged.state, "staged");
    assert.equal(staged.channel, "beta");
    assert.equal(staged.platform, "linux-x64");
    assert.equal(staged.rollout, 100);
    assert.equal(staged.revoked, undefined);
    assert.equal(only(rows, "1.0.0").state, "published");
    assert.equal(only(rows, "1.0.0").rollout, 25);
    assert.equal(only(rows, "1.0.1").revoked?.reason, "crashes on start");
    for (const r of rows) {
      assert.equal(r.attested, false, "no release policy: nothing attested");
      assert.equal(r.logged, false, "no transparency log: nothing logged");
    }

    const human = await runCli(["release", "list", vendor.dir]);
    assert.equal(human.code, 0, human.stderr);
    assert.match(human.stdout, /^app@1\.1\.0 +beta +linux-x64 +100 % +- .*staged/m);
    assert.match(human.stdout, /^app@1\.0\.1 .*yes: crashes on start .*published/m);
    assert.match(human.stdout, /^app@1\.0\.0 +stable +any +25 % /m);
  });

  it("says so when there is no release yet", async (t) => {
    const vendor = await Vendor.create(t);
    const run = await runCli(["release", "list", vendor.dir]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /No releases yet/);
    assert.deepEqual(await list(vendor), []);
  });
});

describe("bulwark release remove", () => {
  it("unstages a staged release: its file and index entry are gone, and the next publish leaves it out", async (t) => {
    const vendor = await Vendor.create(t);
    await vendor.release("1.0.0");
    await vendor.add("1.1.0", tarGz(demoFiles("1.1.0")));
    const staged = only(await list(vendor), "1.1.0");
    const stagedFile = path.join(vendor.dir, "staged", "targets", staged.sha256);
    assert.ok(existsSync(stagedFile));

    const run = await runCli(["release", "remove", vendor.dir, `${APP}@1.1.0`]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /app@1\.1\.0 is unstaged/);
    assert.equal(existsSync(stagedFile), false, "the staged file is deleted");
    assert.deepEqual(
      (await list(vendor)).map((r) => r.version),
      ["1.0.0"],
    );

    await vendor.publish();
    const after = await list(vendor);
    assert.deepEqual(
      after.map((r) => `${r.version} ${r.state}`),
      ["1.0.0 published"],
    );
  });

  it("unstages the only release of a product before anything was published", async (t) => {
    const vendor = await Vendor.create(t);
    await vendor.add("1.0.0", tarGz(demoFiles("1.0.0")));
    assert.equal((await runCli(["release", "remove", vendor.dir, `${APP}@1.0.0`])).code, 0);
    assert.deepEqual(await list(vendor), []);
    await vendor.publish();
    assert.deepEqual(await list(vendor), []);
  });

  it("refuses a published release and says to revoke it", async (t) => {
    const vendor = await Vendor.create(t);
    await vendor.release("1.0.0");
    const run = await runCli(["release", "remove", vendor.dir, `${APP}@1.0.0`]);
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stderr, /published/);
    assert.match(run.stderr, /release revoke/);
    assert.equal(only(await list(vendor), "1.0.0").state, "published");
  });
});

describe("bulwark release rollout --percent", () => {
  it("refuses a fraction of a percent clearly: signed metadata has integers only", async (t) => {
    const vendor = await Vendor.create(t);
    await vendor.release("1.0.0");
    const run = await runCli(["release", "rollout", vendor.dir, `${APP}@1.0.0`, "--percent", "0.5"]);
    assert.equal(run.code, 2, run.stdout);
    assert.match(run.stderr, /--percent "0\.5" is not a whole number from 0 to 100/);
    assert.match(run.stderr, /integers only/);
    assert.equal(only(await list(vendor), "1.0.0").rollout, 100, "nothing was changed");
    // The client's cohort test would take a fraction (its position is a fraction of 2^53);
    // canonical JSON is what cannot carry one.
    let taken = 0;
    for (let i = 0; i < 20_000; i++) if (inRollout(`client-${i}`, `${APP}@1.0.0`, 0.5)) taken++;
    assert.ok(taken > 50 && taken < 150, `${taken} of 20000 clients in a 0.5 % cohort`);
  });

  it("accepts a whole percent", async (t) => {
    const vendor = await Vendor.create(t);
    await vendor.release("1.0.0");
    await cli(["release", "rollout", vendor.dir, `${APP}@1.0.0`, "--percent", "1"]);
    assert.equal(only(await list(vendor), "1.0.0").rollout, 1);
  });

  for (const bad of ["", "0x10", "1e1", "101", "-1", "10%"]) {
    it(`refuses --percent ${JSON.stringify(bad)} with a usage error naming the rule`, async (t) => {
      const vendor = await Vendor.create(t);
      await vendor.release("1.0.0");
      const run = await runCli(["release", "rollout", vendor.dir, `${APP}@1.0.0`, "--percent", bad]);
      assert.equal(run.code, 2, run.stdout);
      assert.match(run.stderr, /--percent/);
      assert.equal(only(await list(vendor), "1.0.0").rollout, 100, "nothing was changed");
    });
  }
});

describe("bulwark release revoke", () => {
  it("keeps the earlier reason when revoking again without --reason", async (t) => {
    const vendor = await Vendor.create(t);
    await vendor.release("1.0.0");
    await vendor.revoke("1.0.0", "crashes on start on macOS 14");
    await cli(["release", "revoke", vendor.dir, `${APP}@1.0.0`]);
    assert.equal(only(await list(vendor), "1.0.0").revoked?.reason, "crashes on start on macOS 14");
    await cli(["release", "revoke", vendor.dir, `${APP}@1.0.0`, "--reason", "data loss"]);
    assert.equal(only(await list(vendor), "1.0.0").revoked?.reason, "data loss", "a new reason replaces it");
  });
});
