/**
 * UpdateClient.check() and releases() against the in-memory repository: which release is
 * offered (semver precedence, channel, platform, current version), and that only what the
 * signed target entries say counts, whatever the release index or the server claim.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { writeReleaseIndex } from "@bulwark/testkit/releases";
import { LengthOrHashMismatchError } from "@bulwark/tuf";
import { CLIENT_ERRORS, ClientError, indexPath } from "../src/index.js";
import { APP, defined, endpoint, rejectsWith, releaseBytes, servedPath, Vendor } from "./client-kit.js";

describe("UpdateClient.check", () => {
  it("offers the newest release by semver precedence, not by listing order or text", async (t) => {
    const vendor = await Vendor.create();
    await vendor.release(
      { version: "1.10.0" },
      { version: "1.9.0" },
      { version: "1.10.0-beta.1" },
      { version: "1.2.0" },
    );
    const ep = endpoint(t, vendor);
    assert.deepEqual(
      (await ep.client.releases()).map((r) => r.version),
      ["1.10.0", "1.10.0-beta.1", "1.9.0", "1.2.0"],
    );
    assert.equal((await ep.client.check())?.version, "1.10.0");
    assert.ok(ep.events.includes("update-available"));
  });

  it("offers nothing that is not newer than the version running now", async (t) => {
    const vendor = await Vendor.create();
    await vendor.release({ version: "1.0.0" }, { version: "1.1.0" });
    assert.equal(await endpoint(t, vendor, { currentVersion: "1.1.0" }).client.check(), undefined);
    assert.equal((await endpoint(t, vendor, { currentVersion: "1.0.0" }).client.check())?.version, "1.1.0");
    const ep = endpoint(t, vendor, { currentVersion: "2.0.0" });
    assert.equal(await ep.client.check(), undefined);
    assert.ok(ep.events.includes("up-to-date"));
  });

  it("offers only releases of the client's channel", async (t) => {
    const vendor = await Vendor.create();
    await vendor.release({ version: "1.0.0" }, { version: "2.0.0-rc.1", channel: "beta" });
    assert.equal((await endpoint(t, vendor).client.check())?.version, "1.0.0");
    const beta = endpoint(t, vendor, { channel: "beta" });
    assert.equal(beta.client.channel, "beta");
    assert.equal((await beta.client.check())?.version, "2.0.0-rc.1");
  });

  it("offers only releases for the client's platform or for any platform", async (t) => {
    const vendor = await Vendor.create();
    await vendor.release(
      { version: "1.5.0" },
      { version: "2.0.0", platform: "linux-x64" },
      { version: "2.1.0", platform: "win32-x64" },
    );
    assert.equal((await endpoint(t, vendor, { platform: "linux-x64" }).client.check())?.version, "2.0.0");
    assert.equal((await endpoint(t, vendor, { platform: "win32-x64" }).client.check())?.version, "2.1.0");
    assert.equal((await endpoint(t, vendor, { platform: "darwin-arm64" }).client.check())?.version, "1.5.0");
    assert.equal((await endpoint(t, vendor).client.check())?.version, "1.5.0");
  });

  it("refuses to download a release for another platform", async (t) => {
    const vendor = await Vendor.create();
    await vendor.release({ version: "2.0.0", platform: "linux-x64" });
    const linux = defined(await endpoint(t, vendor, { platform: "linux-x64" }).client.check(), "offer");
    const windows = endpoint(t, vendor, { platform: "win32-x64" });
    await rejectsWith(windows.client.download(linux), ClientError, CLIENT_ERRORS.PLATFORM_MISMATCH);
  });

  it("offers nothing when the product has no release index", async (t) => {
    const vendor = await Vendor.create();
    const ep = endpoint(t, vendor);
    assert.deepEqual(await ep.client.releases(), []);
    assert.equal(await ep.client.check(), undefined);
  });
});

describe("UpdateClient trusts the signed target entries, not the index", () => {
  it("ignores an index entry whose signed target says another version (a lying index)", async (t) => {
    const vendor = await Vendor.create();
    const [v1] = await vendor.release({ version: "1.0.0" });
    // The index now claims the 1.0.0 file is 9.0.0; its signed custom.bulwark still says 1.0.0.
    writeReleaseIndex(vendor.repo, APP, [{ version: "9.0.0", channel: "stable", target: defined(v1, "v1").path }]);
    await vendor.publish();
    const ep = endpoint(t, vendor);
    assert.deepEqual(await ep.client.releases(), []);
    assert.equal(await ep.client.check(), undefined);
  });

  it("ignores an index entry whose file is not a signed target (arbitrary-installation attack)", async (t) => {
    const vendor = await Vendor.create();
    await vendor.release({ version: "1.0.0" });
    writeReleaseIndex(vendor.repo, APP, [{ version: "2.0.0", channel: "stable", target: "app/unsigned-2.0.0.bin" }]);
    await vendor.publish();
    vendor.sim.overrides.set("targets/app/unsigned-2.0.0.bin", releaseBytes("2.0.0", " trojan"));
    assert.equal((await endpoint(t, vendor).client.check())?.version, "1.0.0");
  });

  it("ignores a target whose signed metadata names another product", async (t) => {
    const vendor = await Vendor.create();
    await vendor.release({ version: "1.0.0" });
    const other = vendor.add({ version: "3.0.0", name: "other", path: "app/other-3.0.0.bin" });
    writeReleaseIndex(vendor.repo, APP, [{ version: "3.0.0", channel: "stable", target: other.path }]);
    await vendor.publish();
    assert.equal((await endpoint(t, vendor).client.check())?.version, "1.0.0");
  });

  it("refuses a release index whose bytes the server replaced", async (t) => {
    const vendor = await Vendor.create();
    await vendor.release({ version: "1.0.0" });
    const index = defined(vendor.repo.targets().signed.targets.get(indexPath(APP)), "index target");
    const forged = Buffer.alloc(index.length, 0x20);
    vendor.sim.overrides.set(servedPath(index), forged);
    await rejectsWith(endpoint(t, vendor).client.check(), LengthOrHashMismatchError, "TUF_LENGTH_OR_HASH_MISMATCH");
  });
});
