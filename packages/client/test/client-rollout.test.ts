/**
 * Staged rollout and the vendor's kill switch, read by UpdateClient from the signed
 * `custom.bulwark` of each release target: a staged release reaches only its cohort; a
 * revoked release is neither offered nor downloaded, and an endpoint running it rolls back.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { editRelease } from "@bulwark/testkit/releases";
import { CLIENT_ERRORS, ClientError, inRollout } from "../src/index.js";
import { APP, currentVersion, defined, endpoint, rejectsWith, releaseNamed, servedPath, Vendor } from "./client-kit.js";

/** A client ID inside (or outside) the cohort of `APP@version` at `percent`. */
function clientIn(version: string, percent: number, inside: boolean): string {
  for (let i = 0; ; i++) {
    const id = `client-${i}`;
    if (inRollout(id, `${APP}@${version}`, percent) === inside) return id;
  }
}

describe("UpdateClient staged rollout", () => {
  it("offers a staged release only to clients in its cohort", async (t) => {
    const vendor = await Vendor.create();
    await vendor.release({ version: "1.0.0" }, { version: "2.0.0", rollout: 30 });
    const inside = endpoint(t, vendor, { clientId: clientIn("2.0.0", 30, true) });
    assert.equal((await inside.client.check())?.version, "2.0.0");
    const outside = endpoint(t, vendor, { clientId: clientIn("2.0.0", 30, false) });
    assert.equal((await outside.client.check())?.version, "1.0.0");
    assert.ok(outside.events.includes("not-in-rollout"));
  });

  it("offers a release at 0 % to nobody, and to everybody once the vendor raises it to 100 %", async (t) => {
    const vendor = await Vendor.create();
    const [target] = await vendor.release({ version: "2.0.0", rollout: 0 });
    const ep = endpoint(t, vendor, { clientId: clientIn("2.0.0", 99, true) });
    assert.equal(await ep.client.check(), undefined);
    editRelease(vendor.repo, defined(target, "2.0.0").path, (b) => ({ ...b, rollout: { percent: 100 } }));
    await vendor.publish();
    assert.equal((await ep.client.check())?.version, "2.0.0");
  });

  it("keeps a generated client ID, so a client stays in or out of a cohort", async (t) => {
    const vendor = await Vendor.create();
    const ep = endpoint(t, vendor, { clientId: undefined as never });
    const id = await ep.client.clientId();
    assert.match(id, /^[0-9a-f-]{36}$/);
    const again = endpoint(t, vendor, { clientId: undefined as never, dataDir: ep.dataDir });
    assert.equal(await again.client.clientId(), id);
  });
});

describe("UpdateClient kill switch (revocation)", () => {
  it("does not offer a revoked release, and still lists it as revoked", async (t) => {
    const vendor = await Vendor.create();
    await vendor.release({ version: "1.0.0" }, { version: "1.1.0", revoked: { reason: "crashes on start" } });
    const ep = endpoint(t, vendor);
    assert.equal((await ep.client.check())?.version, "1.0.0");
    assert.deepEqual((await releaseNamed(ep, "1.1.0")).revoked, { reason: "crashes on start" });
  });

  it("refuses to download a revoked release, fetching none of its bytes", async (t) => {
    const vendor = await Vendor.create();
    const [target] = await vendor.release({ version: "1.1.0", revoked: {} });
    const ep = endpoint(t, vendor);
    const release = await releaseNamed(ep, "1.1.0");
    await rejectsWith(ep.client.download(release), ClientError, CLIENT_ERRORS.REVOKED);
    assert.equal(vendor.sim.requests.includes(servedPath(defined(target, "target"))), false);
  });

  it("refuses a release revoked after check() offered it (a stale offer is read again from signed metadata)", async (t) => {
    const vendor = await Vendor.create();
    const [target] = await vendor.release({ version: "1.1.0" });
    const ep = endpoint(t, vendor);
    const offer = defined(await ep.client.check(), "offer");
    editRelease(vendor.repo, defined(target, "target").path, (b) => ({ ...b, revoked: { reason: "bad build" } }));
    await vendor.publish();
    await rejectsWith(ep.client.install(offer), ClientError, CLIENT_ERRORS.REVOKED);
    assert.equal(currentVersion(ep), undefined);
    assert.equal(vendor.sim.requests.includes(servedPath(defined(target, "target"))), false);
  });

  it("rolls an endpoint running a revoked version back to the last good one it kept", async (t) => {
    const vendor = await Vendor.create();
    await vendor.release({ version: "1.0.0" });
    const ep = endpoint(t, vendor);
    await ep.client.update();
    const [bad] = await vendor.release({ version: "1.1.0" });
    await ep.client.update();
    assert.equal(currentVersion(ep), "1.1.0");
    editRelease(vendor.repo, defined(bad, "1.1.0").path, (b) => ({ ...b, revoked: { reason: "trojan" } }));
    await vendor.publish();
    const outcome = await ep.client.update();
    assert.deepEqual(outcome, {
      action: "rolled-back",
      from: "1.1.0",
      to: "1.0.0",
      reason: "1.1.0 was revoked by the vendor: trojan",
    });
    assert.equal(currentVersion(ep), "1.0.0");
    assert.deepEqual(await ep.client.update(), { action: "none", current: "1.0.0" });
  });

  it("installs the newest older good release when no earlier version is kept", async (t) => {
    const vendor = await Vendor.create();
    await vendor.release({ version: "1.0.0" }, { version: "1.1.0" });
    const ep = endpoint(t, vendor);
    await ep.client.update();
    assert.equal(currentVersion(ep), "1.1.0");
    editRelease(vendor.repo, "app/app-1.1.0.bin", (b) => ({ ...b, revoked: {} }));
    await vendor.publish();
    assert.deepEqual(await ep.client.update(), {
      action: "rolled-back",
      from: "1.1.0",
      to: "1.0.0",
      reason: "1.1.0 was revoked by the vendor",
    });
    assert.equal(currentVersion(ep), "1.0.0");
    assert.deepEqual(await ep.strategy.installed(), ["1.0.0"], "the revoked version's files are gone");
  });

  it("says so when a revoked version has nothing to roll back to", async (t) => {
    const vendor = await Vendor.create();
    const [only] = await vendor.release({ version: "1.0.0" });
    const ep = endpoint(t, vendor);
    await ep.client.update();
    editRelease(vendor.repo, defined(only, "1.0.0").path, (b) => ({ ...b, revoked: {} }));
    await vendor.publish();
    await rejectsWith(ep.client.update(), ClientError, CLIENT_ERRORS.NOTHING_TO_ROLL_BACK_TO);
    assert.equal(currentVersion(ep), "1.0.0");
  });
});
