/**
 * Route 4 of issue 12, the un-revoked release: after `release revoke`, whoever holds the
 * online keys re-signs the metadata without the revocation. A client that saw the
 * revocation keeps it, in its journal, across restarts; and when it is stuck on a version
 * it saw revoked because the metadata went stale, it says so with its own code and event.
 */
import assert from "node:assert/strict";
import path from "node:path";
import { describe, it } from "node:test";
import { CLIENT_ERRORS, ClientError, Journal, MAX_REMEMBERED_REVOCATIONS, type Release } from "@bulwark/client";
import { rememberRevocations } from "../src/revocations.js";
import { clientOf, Vendor } from "./attack-repo.js";

const REVOKED = { revoked: { at: "2026-03-30T12:00:00Z", reason: "trojanized build" } };

describe("un-revoked release", () => {
  it("never installs a version it once saw revoked, even after the revocation disappears (un-revoked release)", async (t) => {
    const vendor = await Vendor.create();
    await vendor.list({ version: "1.0.0" });
    const endpoint = clientOf(t, vendor);
    assert.deepEqual(await endpoint.client.update(), { action: "installed", to: "1.0.0" });

    // 1.1.0 is listed and revoked before this endpoint ever runs it.
    await vendor.list({ version: "1.1.0", custom: REVOKED });
    assert.deepEqual(await endpoint.client.update(), { action: "none", current: "1.0.0" });
    assert.equal(endpoint.events.find((e) => e.event === "revocation-seen")?.version, "1.1.0");

    // The online keys re-sign 1.1.0 without the revocation.
    await vendor.list({ version: "1.1.0" });
    const listed = (await endpoint.client.releases()).find((r) => r.version === "1.1.0");
    assert.deepEqual(listed?.revoked, REVOKED.revoked, "it stays marked revoked");
    assert.equal(await endpoint.client.check(), undefined);
    assert.deepEqual(await endpoint.client.update(), { action: "none", current: "1.0.0" });
    assert.equal(endpoint.install.current, "1.0.0");
    assert.ok(!endpoint.install.prepared.has("1.1.0"), "1.1.0 was never prepared");
    assert.equal(endpoint.events.find((e) => e.event === "revocation-withdrawn")?.version, "1.1.0");

    // Asked directly, with a release object from metadata that no longer says revoked.
    assert.ok(listed);
    const { revoked: _gone, ...unrevoked } = listed;
    await assert.rejects(endpoint.client.install(unrevoked), (error: unknown) => {
      assert.ok(error instanceof ClientError);
      assert.equal(error.code, CLIENT_ERRORS.REVOKED);
      assert.match(
        error.message,
        /1\.1\.0 was revoked by the vendor: trojanized build \(seen .*\); it stays revoked here/,
      );
      return true;
    });

    // The memory is durable: a restarted client on the same data folder still refuses it.
    const state = await new Journal(path.join(endpoint.dataDir, "journal.json")).load();
    assert.deepEqual(
      state.revoked?.map((r) => [r.version, r.reason, r.at]),
      [["1.1.0", "trojanized build", "2026-03-30T12:00:00Z"]],
    );
    const restarted = clientOf(t, vendor, { dataDir: endpoint.dataDir });
    assert.deepEqual(await restarted.client.update(), { action: "none", current: "1.0.0" });
  });

  it("rolls a running version back even after its revocation, and the release, disappear", async (t) => {
    const vendor = await Vendor.create();
    await vendor.list({ version: "1.0.0" });
    await vendor.list({ version: "1.1.0" });
    const endpoint = clientOf(t, vendor);
    const first = (await endpoint.client.releases()).find((r) => r.version === "1.0.0");
    assert.ok(first);
    await endpoint.client.install(first);
    assert.deepEqual(await endpoint.client.update(), { action: "installed", from: "1.0.0", to: "1.1.0" });
    await vendor.list({ version: "1.1.0", custom: REVOKED });
    // The endpoint sees the revocation once, through releases(), before its next cycle...
    await endpoint.client.releases();
    // ...then the online keys drop 1.1.0 from the signed metadata entirely.
    vendor.repo.removeTarget("app/1.1.0/app-1.1.0.tar.gz");
    await vendor.publish();
    const outcome = await endpoint.client.update();
    assert.equal(outcome.action, "rolled-back");
    assert.equal(endpoint.install.current, "1.0.0");
  });

  it("reports a distinct state when stale metadata keeps it on a version it saw revoked", async (t) => {
    const vendor = await Vendor.create();
    await vendor.list({ version: "1.0.0" });
    const endpoint = clientOf(t, vendor);
    await endpoint.client.update();
    // 1.0.0 is revoked, and there is nothing to roll back to: the endpoint keeps running it.
    await vendor.list({ version: "1.0.0", custom: REVOKED });
    await assert.rejects(endpoint.client.update(), { code: CLIENT_ERRORS.NOTHING_TO_ROLL_BACK_TO });
    // The metadata then goes stale: refresh fails on an expired timestamp.
    await vendor.serveExpiredTimestamp();
    await assert.rejects(endpoint.client.update(), (error: unknown) => {
      assert.ok(error instanceof ClientError);
      assert.equal(error.code, CLIENT_ERRORS.RUNNING_REVOKED);
      assert.match(error.message, /app 1\.0\.0 is running, and this client saw it revoked \(trojanized build\)/);
      assert.match(error.message, /TUF_EXPIRED_METADATA/);
      assert.equal((error.cause as { code?: string }).code, "TUF_EXPIRED_METADATA");
      assert.match(error.hint ?? "", /current metadata/);
      return true;
    });
    const event = endpoint.events.find((e) => e.event === "running-revoked");
    assert.equal(event?.version, "1.0.0");
    assert.equal(event?.cause, "TUF_EXPIRED_METADATA");
  });

  it("reports stale metadata as it is when the version running was never revoked", async (t) => {
    const vendor = await Vendor.create();
    await vendor.list({ version: "1.0.0" });
    const endpoint = clientOf(t, vendor);
    await endpoint.client.update();
    await vendor.serveExpiredTimestamp();
    await assert.rejects(endpoint.client.update(), { code: "TUF_EXPIRED_METADATA" });
    assert.equal(
      endpoint.events.find((e) => e.event === "running-revoked"),
      undefined,
    );
  });

  it(`remembers at most ${MAX_REMEMBERED_REVOCATIONS} revocations, forgetting the oldest seen`, () => {
    const release = (version: string) => ({ version, revoked: {} }) as unknown as Release;
    const many = Array.from({ length: MAX_REMEMBERED_REVOCATIONS + 2 }, (_, i) => release(`0.0.${i}`));
    const known = rememberRevocations(undefined, many, new Date(0)) ?? [];
    assert.equal(known.length, MAX_REMEMBERED_REVOCATIONS);
    assert.equal(known[0]?.version, "0.0.2");
    assert.equal(
      rememberRevocations(known, [release("0.0.5")], new Date(0)),
      undefined,
      "nothing new, nothing written",
    );
  });
});
