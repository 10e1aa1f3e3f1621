/**
 * UpdateClient.download() against the in-memory repository: the file is verified against
 * its signed length and hashes, an interrupted download resumes with a Range request after
 * the bytes already there are hashed again, and bytes the server replaced are refused,
 * leaving nothing behind.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { describe, it } from "node:test";
import { type Fetcher, type FetchOptions, LengthOrHashMismatchError, NetworkError } from "@bulwark/tuf";
import { type DownloadProgress, downloadedPath } from "../src/index.js";
import { defined, endpoint, rejectsWith, releaseBytes, servedPath, Vendor } from "./client-kit.js";

/** The simulator, except that the first fetch of `cutPath` breaks off after `cutAfter` bytes. */
function cuttingFetcher(inner: Fetcher, cutPath: string, cutAfter: number): Fetcher {
  let cut = false;
  return {
    async *fetch(url: string, options: FetchOptions) {
      let sent = 0;
      for await (const chunk of inner.fetch(url, options)) {
        if (!cut && url.endsWith(cutPath.slice("targets/".length)) && sent + chunk.length > cutAfter) {
          cut = true;
          yield chunk.subarray(0, cutAfter - sent);
          throw new NetworkError("connection reset (test)");
        }
        sent += chunk.length;
        yield chunk;
      }
    },
  };
}

describe("UpdateClient.download", () => {
  it("downloads a release verified against its signed length and hashes, with progress", async (t) => {
    const vendor = await Vendor.create();
    await vendor.release({ version: "1.0.0" });
    const ep = endpoint(t, vendor);
    const release = defined(await ep.client.check(), "offer");
    const progress: DownloadProgress[] = [];
    const file = await ep.client.download(release, { onProgress: (p) => progress.push(p) });
    assert.equal(file, downloadedPath(path.join(ep.dataDir, "downloads"), release.target));
    assert.deepEqual(readFileSync(file), releaseBytes("1.0.0"));
    assert.deepEqual(progress.at(-1), {
      received: release.target.length,
      total: release.target.length,
      resumedFrom: 0,
    });
    assert.ok(ep.events.includes("downloaded"));
  });

  it("reuses a verified download instead of fetching it again", async (t) => {
    const vendor = await Vendor.create();
    const [target] = await vendor.release({ version: "1.0.0" });
    const ep = endpoint(t, vendor);
    const release = defined(await ep.client.check(), "offer");
    await ep.client.download(release);
    await ep.client.download(release);
    const fetches = vendor.sim.requests.filter((p) => p === servedPath(defined(target, "target")));
    assert.equal(fetches.length, 1);
  });

  it("resumes an interrupted download with a Range request, re-hashing the bytes already there", async (t) => {
    const vendor = await Vendor.create();
    const data = randomBytes(200_000);
    const [target] = await vendor.release({ version: "1.0.0", data });
    const where = servedPath(defined(target, "target"));
    const ep = endpoint(t, vendor, { fetcher: cuttingFetcher(vendor.sim, where, 70_000) });
    const release = defined(await ep.client.check(), "offer");
    await rejectsWith(ep.client.download(release), NetworkError, "DOWNLOAD_NETWORK");
    const final = downloadedPath(path.join(ep.dataDir, "downloads"), release.target);
    assert.equal(existsSync(final), false, "nothing under the final name before it verifies");
    assert.equal(readFileSync(`${final}.part`).length, 70_000);
    const progress: DownloadProgress[] = [];
    const file = await ep.client.download(release, { onProgress: (p) => progress.push(p) });
    assert.deepEqual(readFileSync(file), data);
    assert.deepEqual(vendor.sim.ranges, [{ path: where, offset: 70_000 }]);
    assert.equal(progress[0]?.resumedFrom, 70_000);
  });

  it("starts over when the partial bytes already there are not the signed ones", async (t) => {
    const vendor = await Vendor.create();
    const data = randomBytes(100_000);
    await vendor.release({ version: "1.0.0", data });
    const ep = endpoint(t, vendor);
    const release = defined(await ep.client.check(), "offer");
    const downloads = path.join(ep.dataDir, "downloads");
    const final = downloadedPath(downloads, release.target);
    await mkdir(downloads, { recursive: true });
    writeFileSync(`${final}.part`, Buffer.alloc(40_000, 0x41));
    await rejectsWith(ep.client.download(release), LengthOrHashMismatchError, "TUF_LENGTH_OR_HASH_MISMATCH");
    assert.equal(existsSync(`${final}.part`), false, "the tampered partial file is deleted");
    assert.equal(existsSync(final), false);
    assert.deepEqual(readFileSync(await ep.client.download(release)), data);
  });
});

describe("UpdateClient.download refuses bytes the server replaced", () => {
  const cases = [
    {
      name: "refuses a target whose bytes the server replaced (arbitrary-installation attack)",
      served: (genuine: Buffer) => Buffer.from(genuine.toString().replace("app 1.1.0", "bad 1.1.0")),
    },
    {
      name: "refuses an older release's file served as the new one (mix-and-match attack)",
      served: () => releaseBytes("1.0.0"),
    },
    {
      name: "refuses a file longer than its signed length",
      served: (genuine: Buffer) => Buffer.concat([genuine, Buffer.alloc(64 * 1024, 0x20)]),
    },
    {
      name: "refuses a file the server cut short",
      served: (genuine: Buffer) => genuine.subarray(0, genuine.length - 1),
    },
  ];
  for (const c of cases) {
    it(c.name, async (t) => {
      const vendor = await Vendor.create();
      const [, target] = await vendor.release({ version: "1.0.0" }, { version: "1.1.0" });
      vendor.replace(defined(target, "1.1.0"), c.served(releaseBytes("1.1.0")));
      const ep = endpoint(t, vendor);
      const release = defined(await ep.client.check(), "offer");
      assert.equal(release.version, "1.1.0");
      await rejectsWith(ep.client.download(release), LengthOrHashMismatchError, "TUF_LENGTH_OR_HASH_MISMATCH");
      const final = downloadedPath(path.join(ep.dataDir, "downloads"), release.target);
      assert.equal(existsSync(final), false, "nothing is kept under the final name");
      assert.equal(existsSync(`${final}.part`), false, "nor as a partial download");
      assert.equal(ep.events.includes("downloaded"), false);
    });
  }
});
