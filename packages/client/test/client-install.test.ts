/**
 * UpdateClient.install() and update() with the directory strategy against the in-memory
 * repository: the new version becomes current atomically after its health check passes;
 * a failing or hanging health check rolls back to the previous version, which stays
 * current, and the failed version is never offered again.
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { CLIENT_ERRORS, ClientError, type HealthContext, type JournalState } from "../src/index.js";
import {
  currentVersion,
  defined,
  type Endpoint,
  endpoint,
  installedBytes,
  rejectsWith,
  releaseBytes,
  Vendor,
} from "./client-kit.js";

function journal(ep: Endpoint): JournalState {
  return JSON.parse(readFileSync(path.join(ep.dataDir, "journal.json"), "utf8")) as JournalState;
}

describe("UpdateClient.install with the directory strategy", () => {
  it("installs the newest release, runs the health check on its folder, and makes it current", async (t) => {
    const vendor = await Vendor.create();
    await vendor.release({ version: "1.0.0" });
    const checked: HealthContext[] = [];
    const ep = endpoint(t, vendor, { healthCheck: { check: async (ctx) => checked.push(ctx) > 0 } });
    assert.deepEqual(await ep.client.update(), { action: "installed", to: "1.0.0" });
    assert.equal(currentVersion(ep), "1.0.0");
    assert.equal(await ep.client.currentVersion(), "1.0.0");
    const release = defined((await ep.client.releases())[0], "1.0.0");
    assert.deepEqual(installedBytes(ep, release), releaseBytes("1.0.0"));
    assert.deepEqual(checked, [{ version: "1.0.0", path: ep.strategy.location("1.0.0") }]);
    assert.equal(journal(ep).current?.version, "1.0.0");
    assert.equal(journal(ep).operation, undefined, "no operation left open");
  });

  it("upgrades, keeps the previous version as the rollback target, and rolls back by hand", async (t) => {
    const vendor = await Vendor.create();
    await vendor.release({ version: "1.0.0" });
    const ep = endpoint(t, vendor);
    await ep.client.update();
    await vendor.release({ version: "1.1.0" });
    assert.deepEqual(await ep.client.update(), { action: "installed", from: "1.0.0", to: "1.1.0" });
    assert.equal(currentVersion(ep), "1.1.0");
    assert.deepEqual(
      journal(ep).previous.map((p) => p.version),
      ["1.0.0"],
    );
    assert.deepEqual(await ep.client.update(), { action: "none", current: "1.1.0" });
    assert.equal((await ep.client.rollbackToPrevious("by hand"))?.version, "1.0.0");
    assert.equal(currentVersion(ep), "1.0.0");
    assert.deepEqual(journal(ep).failed, ["1.1.0"]);
  });

  it("rolls back when the health check fails, and never offers that version again", async (t) => {
    const vendor = await Vendor.create();
    await vendor.release({ version: "1.0.0" });
    const ep = endpoint(t, vendor, { healthCheck: { check: async (ctx) => ctx.version !== "1.1.0" } });
    await ep.client.update();
    await vendor.release({ version: "1.1.0" });
    await rejectsWith(ep.client.update(), ClientError, CLIENT_ERRORS.HEALTH_CHECK_FAILED, /rolled back to 1\.0\.0/);
    assert.equal(currentVersion(ep), "1.0.0");
    assert.equal(existsSync(ep.strategy.location("1.1.0")), false, "the failed version's files are removed");
    assert.deepEqual(journal(ep).failed, ["1.1.0"]);
    assert.ok(ep.events.includes("rolled-back"));
    assert.equal(await ep.client.check(), undefined);
    assert.deepEqual(await ep.client.update(), { action: "none", current: "1.0.0" });
  });

  it("treats a health check that hangs as a failure", async (t) => {
    const vendor = await Vendor.create();
    await vendor.release({ version: "1.0.0" });
    const hang = () => new Promise<boolean>(() => {});
    const ep = endpoint(t, vendor, { healthCheck: { check: hang, timeoutMs: 50 } });
    await rejectsWith(ep.client.update(), ClientError, CLIENT_ERRORS.HEALTH_CHECK_FAILED, /timed out/);
    assert.equal(currentVersion(ep), undefined, "a failed first install leaves no version current");
  });

  it("refuses to install without an install strategy, before anything is switched", async (t) => {
    const vendor = await Vendor.create();
    await vendor.release({ version: "1.0.0" });
    const ep = endpoint(t, vendor, { install: undefined as never });
    const release = defined(await ep.client.check(), "offer");
    await rejectsWith(ep.client.install(release), ClientError, "CLIENT_NO_INSTALLER");
  });
});
