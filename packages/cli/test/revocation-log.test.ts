/**
 * Route 4 of the compromised-CI issue, on the endpoint: under a log policy a revocation
 * moves a running endpoint back only when the revocation is in the log too. Otherwise the
 * online keys alone could downgrade chosen endpoints, unseen (a secret targeted rollback).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { APP, endpoint } from "./e2e-helpers.js";
import { resignUnlogged, vendorWithLog } from "./transparency-helpers.js";

describe("revocations under a log policy, on the endpoint", () => {
  it("rolls a running endpoint back on a logged revocation", async (t) => {
    const { vendor } = await vendorWithLog(t, ["w1"], 1);
    await vendor.release("1.0.0");
    await vendor.release("1.1.0");
    const ep = endpoint(t, vendor);
    await ep.client.update();
    assert.deepEqual(await ep.client.update(), { action: "none", current: "1.1.0" });
    await vendor.revoke("1.1.0", "crashes on start");
    const outcome = await ep.client.update();
    assert.equal(outcome.action, "rolled-back");
    assert.equal("to" in outcome && outcome.to, "1.0.0");
  });

  it("keeps running when the online keys alone mark it revoked, unlogged (secret targeted rollback)", async (t) => {
    const { vendor } = await vendorWithLog(t, ["w1"], 1);
    await vendor.release("1.0.0");
    await vendor.release("1.1.0");
    const ep = endpoint(t, vendor);
    await ep.client.update();
    await ep.client.update();
    // The attacker with the online keys marks 1.1.0 revoked and publishes without logging.
    const file = `${APP}/1.1.0/${APP}-1.1.0.tar.gz`;
    await resignUnlogged(vendor, file, (bulwark) => ({ ...bulwark, revoked: { at: "2026-01-01T00:00:00Z" } }));
    assert.deepEqual(await ep.client.update(), { action: "none", current: "1.1.0" });
    assert.ok(
      ep.events.some((e) => e.event === "revocation-not-logged" && e.version === "1.1.0"),
      "the endpoint reports the unlogged revocation",
    );
  });
});
