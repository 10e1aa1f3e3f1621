/**
 * The update client end to end over real loopback HTTP: a vendor repository made and
 * changed with the `bulwark` CLI, served by the static server, and endpoints running
 * `UpdateClient` with the directory strategy in temporary folders. Covers what a release
 * is offered to (version, channel, platform, rollout, revocation), resumable verified
 * downloads, atomic installs, health checks and automatic rollback.
 */
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import http from "node:http";
import path from "node:path";
import { describe, it } from "node:test";
import { ClientError, downloadedPath, inRollout, type JournalState, type Release } from "@bulwark/client";
import type { TestLike } from "@bulwark/testkit";
import { BulwarkError } from "@bulwark/tuf";
import fc from "fast-check";
import { tarGz } from "../src/quickstart/demo-archive.js";
import {
  currentLink,
  demoFiles,
  type Endpoint,
  endpoint,
  endpointState,
  installedFiles,
  releaseOf,
  Vendor,
} from "./e2e-helpers.js";
import { listen, tempDir } from "./helpers.js";

function journalOf(ep: Endpoint): JournalState {
  return JSON.parse(readFileSync(path.join(ep.dataDir, "journal.json"), "utf8"));
}

function defined<T>(value: T | undefined, what: string): T {
  assert.ok(value !== undefined, `${what} is undefined`);
  return value;
}

function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** Asserts `promise` rejects with a BulwarkError of this class and code. */
async function rejectsWith(promise: Promise<unknown>, cls: abstract new (...a: never[]) => Error, code: string) {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof cls, `expected a ${cls.name}, got ${String(error)}`);
    assert.equal((error as BulwarkError).code, code, (error as Error).message);
    return true;
  });
}

/**
 * A proxy in front of the vendor's server that cuts the first `cuts` responses for the
 * matching path after `cutAfter` body bytes (headers announce the whole length), and
 * records the Range header of every matching request.
 */
async function cuttingProxy(
  t: TestLike,
  upstream: string,
  matches: (url: string) => boolean,
  cutAfter: number,
  cuts = 1,
): Promise<{ url: string; ranges: Array<string | null> }> {
  const ranges: Array<string | null> = [];
  let left = cuts;
  const handler: http.RequestListener = (req, res) => {
    const target = matches(req.url ?? "");
    if (target) ranges.push(req.headers.range ?? null);
    const headers: Record<string, string | string[]> = {};
    for (const h of ["range", "if-range", "if-none-match"] as const) {
      const value = req.headers[h];
      if (value !== undefined) headers[h] = value;
    }
    const forward = http.request(new URL((req.url ?? "/").slice(1), upstream), { headers, agent: false }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      if (!(target && left > 0)) {
        up.pipe(res);
        return;
      }
      left -= 1;
      let sent = 0;
      up.on("data", (chunk: Buffer) => {
        if (sent >= cutAfter) return;
        const slice = chunk.subarray(0, cutAfter - sent);
        sent += slice.length;
        if (sent < cutAfter) {
          res.write(slice);
          return;
        }
        up.destroy();
        // The cut: the bytes so far are flushed and given time to arrive, then the
        // connection is dropped mid-body.
        res.write(slice, () => setTimeout(() => res.socket?.destroy(), 100));
      });
    });
    forward.on("error", () => res.destroy());
    forward.end();
  };

  return { url: await listen(t, handler), ranges };
}

/** True when the process no longer runs (gone, or a zombie waiting for a parent that is not Node). */
function processGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "ESRCH";
  }
  try {
    return /^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return true;
  }
}

async function eventually(check: () => boolean, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return check();
}

describe("check(): which release is offered", () => {
  it("offers the newest release by semver precedence, installs it atomically, then offers nothing", async (t) => {
    const vendor = await Vendor.create(t);
    // 1.10.0 > 1.9.0, though not as strings.
    await vendor.add("1.9.0", tarGz(demoFiles("1.9.0")));
    await vendor.add("1.10.0", tarGz(demoFiles("1.10.0")));
    await vendor.publish();
    const ep = endpoint(t, vendor);

    const release = defined(await ep.client.check(), "the offered release");
    assert.equal(release.version, "1.10.0");
    assert.equal(release.channel, "stable");
    assert.deepEqual(
      (await ep.client.releases()).map((r) => r.version),
      ["1.10.0", "1.9.0"],
    );

    await ep.client.install(release);
    assert.equal(currentLink(ep), path.join("versions", "1.10.0"));
    assert.deepEqual(installedFiles(ep), demoFiles("1.10.0"));
    assert.equal(statSync(path.join(ep.appDir, "current", "bin", "app")).mode & 0o111, 0o111, "bin/app is executable");
    assert.deepEqual(await ep.strategy.installed(), ["1.10.0"]);
    assert.equal(await ep.client.currentVersion(), "1.10.0");
    assert.equal(journalOf(ep).operation, undefined, "no operation is left in the journal");

    assert.equal(await ep.client.check(), undefined);
    assert.equal(ep.events.at(-1)?.event, "up-to-date");
    assert.deepEqual(await ep.client.update(), { action: "none", current: "1.10.0" });
  });

  it("offers a channel's releases only to clients on that channel (beta is never offered on stable)", async (t) => {
    const vendor = await Vendor.create(t);
    await vendor.add("1.0.0", tarGz(demoFiles("1.0.0")));
    await vendor.add("2.0.0-beta.1", tarGz(demoFiles("2.0.0-beta.1")), { channel: "beta" });
    await vendor.publish();
    const stable = endpoint(t, vendor);
    const beta = endpoint(t, vendor, { channel: "beta" });

    assert.deepEqual(
      (await stable.client.releases()).map((r) => r.version),
      ["1.0.0"],
    );
    assert.equal((await stable.client.check())?.version, "1.0.0");
    const offeredBeta = defined(await beta.client.check(), "the beta release");
    assert.equal(offeredBeta.version, "2.0.0-beta.1");
    assert.equal(offeredBeta.channel, "beta");

    await stable.client.update();
    assert.equal(await stable.client.currentVersion(), "1.0.0");
    assert.equal(await stable.client.check(), undefined, "the newer beta release is not offered on stable");
  });

  it("never offers a release for another platform, and refuses to install one handed over directly", async (t) => {
    const vendor = await Vendor.create(t);
    await vendor.add("1.0.0", tarGz(demoFiles("1.0.0"))); // any platform
    await vendor.add("1.1.0", tarGz(demoFiles("1.1.0")), { platform: "linux-x64" });
    await vendor.add("2.0.0", tarGz(demoFiles("2.0.0")), { platform: "windows-x64" });
    await vendor.publish();
    const linux = endpoint(t, vendor, { platform: "linux-x64" });
    const windows = endpoint(t, vendor, { platform: "windows-x64" });

    assert.deepEqual(
      (await linux.client.releases()).map((r) => r.version),
      ["1.1.0", "1.0.0"],
    );
    assert.deepEqual(
      (await windows.client.releases()).map((r) => r.version),
      ["2.0.0", "1.0.0"],
    );
    assert.equal((await linux.client.check())?.version, "1.1.0");
    const foreign = defined(await windows.client.check(), "the windows release");
    assert.equal(foreign.version, "2.0.0");
    assert.equal(foreign.platform, "windows-x64");

    await linux.client.install(await releaseOf(linux, "1.1.0"));
    const before = endpointState(linux);
    const downloads = path.join(linux.dataDir, "downloads");
    await rejectsWith(linux.client.install(foreign), ClientError, "CLIENT_PLATFORM_MISMATCH");
    await rejectsWith(linux.client.download(foreign), ClientError, "CLIENT_PLATFORM_MISMATCH");
    assert.deepEqual(endpointState(linux), before, "nothing changed");
    assert.equal(existsSync(downloadedPath(downloads, foreign.target)), false, "nothing was downloaded");
    assert.equal(await linux.client.check(), undefined);
  });
});

describe("download(): verified and resumable", () => {
  const CUT = 100_000;

  async function bigRelease(t: TestLike) {
    const vendor = await Vendor.create(t);
    // Random bytes do not compress: the release file is about 300 kB.
    const archive = tarGz(demoFiles("1.0.0", { "data.bin": randomBytes(300_000) }));
    await vendor.add("1.0.0", archive);
    await vendor.publish();
    const proxy = await cuttingProxy(t, vendor.server.url, (u) => u.endsWith(".app-1.0.0.tar.gz"), CUT);
    const ep = endpoint(t, vendor, { baseUrl: proxy.url });
    const release = defined(await ep.client.check(), "the release");
    const part = `${downloadedPath(path.join(ep.dataDir, "downloads"), release.target)}.part`;
    return { vendor, archive, proxy, ep, release, part };
  }

  it("resumes an interrupted transfer with a Range request, and the result verifies", async (t) => {
    const { archive, proxy, ep, release, part } = await bigRelease(t);
    assert.ok(archive.length > 2 * CUT);

    await assert.rejects(ep.client.download(release), (e: unknown) => e instanceof BulwarkError);
    // The bytes received before the cut are kept (Node may drop a few it had buffered
    // when the connection broke; those are simply asked for again).
    const kept = statSync(part).size;
    assert.ok(kept > 0 && kept <= CUT, `${kept} bytes kept of ${CUT} sent`);
    assert.deepEqual(proxy.ranges, [null]);

    const progress: Array<{ received: number; total: number; resumedFrom: number }> = [];
    const file = await ep.client.download(release, { onProgress: (p) => progress.push(p) });
    assert.deepEqual(proxy.ranges, [null, `bytes=${kept}-`], "the second request asks only for the rest");
    assert.equal(progress[0]?.resumedFrom, kept);
    assert.deepEqual(progress.at(-1), { received: archive.length, total: archive.length, resumedFrom: kept });
    const bytes = readFileSync(file);
    assert.ok(bytes.equals(archive));
    assert.equal(sha256(bytes), release.target.hashes.get("sha256"));
    assert.equal(existsSync(part), false, "the .part file became the verified file");

    // Verified and in place: installing reuses it without another transfer.
    await ep.client.install(release);
    assert.equal(proxy.ranges.length, 2);
    assert.equal(readFileSync(path.join(ep.appDir, "current", "VERSION"), "utf8"), "1.0.0\n");
  });

  it("detects a partial file corrupted on disk: the hash fails, the .part is deleted, a retry starts fresh", async (t) => {
    const { archive, proxy, ep, release, part } = await bigRelease(t);
    await assert.rejects(ep.client.download(release));
    const partial = readFileSync(part);
    assert.ok(partial.length > 0 && partial.length <= CUT);
    const at = Math.floor(partial.length / 2);
    partial[at] = (partial[at] as number) ^ 0xff;
    writeFileSync(part, partial);

    await rejectsWith(ep.client.download(release), BulwarkError, "TUF_LENGTH_OR_HASH_MISMATCH");
    assert.equal(proxy.ranges[1], `bytes=${partial.length}-`);
    assert.equal(existsSync(part), false, "the corrupt .part is deleted");
    assert.equal(existsSync(downloadedPath(path.join(ep.dataDir, "downloads"), release.target)), false);

    const file = await ep.client.download(release);
    assert.deepEqual(proxy.ranges, [null, `bytes=${partial.length}-`, null], "the retry downloads the whole file");
    assert.ok(readFileSync(file).equals(archive));
  });
});

describe("install(): health checks and automatic rollback", () => {
  it("rolls back when the health check fails, remembers the failed version and never offers it again", async (t) => {
    const vendor = await Vendor.create(t);
    await vendor.release("1.0.0");
    const ep = endpoint(t, vendor, {
      // bin/selftest fails for the version named here (see demoFiles).
      healthCheck: { command: ["sh", "bin/selftest"], env: { BULWARK_FAIL_VERSION: "1.1.0" }, timeoutMs: 10_000 },
    });
    assert.deepEqual(await ep.client.update(), { action: "installed", to: "1.0.0" });
    await vendor.release("1.1.0");

    const next = defined(await ep.client.check(), "1.1.0");
    assert.equal(next.version, "1.1.0");
    await rejectsWith(ep.client.install(next), ClientError, "CLIENT_HEALTH_CHECK_FAILED");

    assert.equal(currentLink(ep), path.join("versions", "1.0.0"));
    assert.equal(readFileSync(path.join(ep.appDir, "current", "VERSION"), "utf8"), "1.0.0\n");
    assert.deepEqual(await ep.strategy.installed(), ["1.0.0"], "the failed version's files are removed");
    const journal = journalOf(ep);
    assert.equal(journal.current?.version, "1.0.0");
    assert.deepEqual(journal.failed, ["1.1.0"]);
    assert.equal(journal.operation, undefined);
    const names = ep.events.map((e) => e.event);
    assert.ok(names.includes("rolling-back") && names.includes("rolled-back"), names.join(","));

    assert.equal(await ep.client.check(), undefined, "the failed version is not offered again");
    assert.deepEqual(await ep.client.update(), { action: "none", current: "1.0.0" });

    // A fixed release after it is offered and installs.
    await vendor.release("1.1.1");
    assert.deepEqual(await ep.client.update(), { action: "installed", from: "1.0.0", to: "1.1.1" });
    assert.equal(currentLink(ep), path.join("versions", "1.1.1"));
  });

  it("kills a health check that hangs at its timeout (its whole process group), then rolls back", async (t) => {
    const vendor = await Vendor.create(t);
    await vendor.release("1.0.0");
    const pids = path.join(tempDir(t), "pids");
    const first = endpoint(t, vendor);
    await first.client.update();
    await vendor.release("1.1.0");
    // The same installation, now with a health check that never ends: a shell and its `sleep 60`.
    const ep = endpoint(t, vendor, {
      dirs: { appDir: first.appDir, dataDir: first.dataDir },
      healthCheck: {
        command: ["sh", "-c", 'echo $$ > "$PIDS"; sleep 60 & echo $! >> "$PIDS"; wait'],
        env: { PIDS: pids },
        timeoutMs: 500,
      },
    });

    const started = Date.now();
    await rejectsWith(ep.client.update(), ClientError, "CLIENT_HEALTH_CHECK_FAILED");
    const elapsed = Date.now() - started;
    assert.ok(elapsed < 5_000, `took ${elapsed} ms`);
    const check = defined(
      ep.events.find((e) => e.event === "health-check"),
      "health-check event",
    );
    const rolling = defined(
      ep.events.find((e) => e.event === "rolling-back"),
      "rolling-back event",
    );
    assert.ok(rolling.at - check.at >= 450, `the check ran ${rolling.at - check.at} ms, not its 500 ms`);

    const [shellPid, sleepPid] = readFileSync(pids, "utf8").trim().split("\n").map(Number);
    for (const pid of [shellPid, sleepPid]) {
      assert.ok(pid !== undefined && pid > 0);
      assert.ok(await eventually(() => processGone(pid), 1_000), `process ${pid} still runs`);
    }
    assert.equal(currentLink(ep), path.join("versions", "1.0.0"));
    assert.deepEqual(journalOf(ep).failed, ["1.1.0"]);
  });
});

describe("staged rollout", () => {
  const ids = Array.from({ length: 10_000 }, (_, i) => `client-${i}`);

  it("puts 10 % ± 1 % of 10,000 clients in a 10 % cohort; raising it to 50 % keeps all of them", () => {
    const at10 = ids.filter((id) => inRollout(id, "app@2.0.0", 10));
    assert.ok(Math.abs(at10.length - 1_000) <= 100, `${at10.length} clients at 10 %`);
    const at50 = new Set(ids.filter((id) => inRollout(id, "app@2.0.0", 50)));
    assert.ok(Math.abs(at50.size - 5_000) <= 100, `${at50.size} clients at 50 %`);
    for (const id of at10) assert.ok(at50.has(id), `${id} left the cohort when it grew`);
    assert.equal(ids.filter((id) => inRollout(id, "app@2.0.0", 0)).length, 0);
    assert.equal(ids.filter((id) => inRollout(id, "app@2.0.0", 100)).length, ids.length);
    // Cohorts of different releases are independent: about 10 % of 10 % overlap.
    const other = ids.filter((id) => inRollout(id, "app@2.0.1", 10));
    const both = at10.filter((id) => other.includes(id)).length;
    assert.ok(both > 50 && both < 150, `${both} clients in both 10 % cohorts`);
  });

  it("only ever adds clients when the percentage grows (property)", () => {
    fc.assert(
      fc.property(
        fc.string(),
        fc.string(),
        fc.double({ min: 0, max: 100, noNaN: true }),
        fc.double({ min: 0, max: 100, noNaN: true }),
        (id, release, a, b) => {
          const [low, high] = a <= b ? [a, b] : [b, a];
          return !inRollout(id, release, low) || inRollout(id, release, high);
        },
      ),
    );
  });

  it("follows the signed percentage end to end: 0 % offers nothing, 50 % the cohort, 100 % everyone", async (t) => {
    const vendor = await Vendor.create(t);
    await vendor.release("1.0.0");
    const inside = defined(
      ids.find((id) => inRollout(id, "app@2.0.0", 50)),
      "a client in the 50 % cohort",
    );
    const outside = defined(
      ids.find((id) => !inRollout(id, "app@2.0.0", 50)),
      "a client outside it",
    );
    const a = endpoint(t, vendor, { clientId: inside });
    const b = endpoint(t, vendor, { clientId: outside });
    await a.client.update();
    await b.client.update();

    await vendor.release("2.0.0");
    await vendor.rollout("2.0.0", 0);
    const offered = async (ep: Endpoint): Promise<string | undefined> => (await ep.client.check())?.version;
    assert.equal(await offered(a), undefined);
    assert.equal(await offered(b), undefined);
    assert.ok(a.events.some((e) => e.event === "not-in-rollout" && e.version === "2.0.0"));

    await vendor.rollout("2.0.0", 50);
    assert.equal((await releaseOf(a, "2.0.0")).rollout, 50);
    assert.equal(await offered(a), "2.0.0");
    assert.equal(await offered(b), undefined);

    await vendor.rollout("2.0.0", 100);
    assert.equal(await offered(a), "2.0.0");
    assert.equal(await offered(b), "2.0.0");
    assert.deepEqual(await b.client.update(), { action: "installed", from: "1.0.0", to: "2.0.0" });
  });
});

describe("revocation (the kill switch)", () => {
  it("rolls endpoints running a revoked release back to their last good version; others never get it", async (t) => {
    const vendor = await Vendor.create(t);
    await vendor.release("1.0.0");
    const a = endpoint(t, vendor); // 1.0.0, then 1.1.0
    const c = endpoint(t, vendor); // stays on 1.0.0
    const d = endpoint(t, vendor); // installs only 1.1.0
    const b = endpoint(t, vendor); // installs nothing before the revocation
    await a.client.update();
    await c.client.update();
    await vendor.release("1.1.0");
    assert.deepEqual(await a.client.update(), { action: "installed", from: "1.0.0", to: "1.1.0" });
    await d.client.install(await releaseOf(d, "1.1.0"));

    await vendor.revoke("1.1.0", "crashes on start");

    const outcome = await a.client.update();
    assert.equal(outcome.action, "rolled-back");
    assert.deepEqual(
      { ...outcome, reason: undefined },
      {
        action: "rolled-back",
        from: "1.1.0",
        to: "1.0.0",
        reason: undefined,
      },
    );
    assert.match((outcome as { reason: string }).reason, /crashes on start/);
    assert.equal(currentLink(a), path.join("versions", "1.0.0"));
    assert.equal(readFileSync(path.join(a.appDir, "current", "VERSION"), "utf8"), "1.0.0\n");
    assert.equal(await a.client.check(), undefined);
    assert.deepEqual(await a.client.update(), { action: "none", current: "1.0.0" });

    // Nothing older kept locally: the last good release is downloaded and installed.
    const down = await d.client.update();
    assert.deepEqual({ action: down.action, to: (down as { to?: string }).to }, { action: "rolled-back", to: "1.0.0" });
    assert.equal(currentLink(d), path.join("versions", "1.0.0"));
    assert.equal(await d.client.check(), undefined);

    assert.equal(await c.client.check(), undefined, "an endpoint on 1.0.0 is not offered the revoked 1.1.0");
    assert.deepEqual(await c.client.update(), { action: "none", current: "1.0.0" });

    assert.deepEqual(await b.client.update(), { action: "installed", to: "1.0.0" });
    assert.equal(await b.client.check(), undefined);
    const revoked: Release = await releaseOf(b, "1.1.0");
    assert.equal(revoked.revoked?.reason, "crashes on start");
    const before = endpointState(b);
    await rejectsWith(b.client.install(revoked), ClientError, "CLIENT_RELEASE_REVOKED");
    assert.deepEqual(endpointState(b), before);
  });

  it("never keeps a revoked release as a rollback target after moving off it", async (t) => {
    const vendor = await Vendor.create(t);
    await vendor.release("1.0.0");
    await vendor.release("1.1.0");
    // Installed 1.1.0 only, so nothing older is kept locally: the revocation downloads 1.0.0.
    const ep = endpoint(t, vendor);
    await ep.client.install(await releaseOf(ep, "1.1.0"));
    await vendor.revoke("1.1.0");
    const outcome = await ep.client.update();
    assert.equal(outcome.action, "rolled-back");
    assert.equal(currentLink(ep), path.join("versions", "1.0.0"));

    const journal = journalOf(ep);
    assert.ok(journal.failed.includes("1.1.0"));
    assert.deepEqual(
      journal.previous.map((p) => p.version),
      [],
      "the revoked 1.1.0 must not be a rollback target",
    );
    // A manual rollback must not put the revoked release back.
    await rejectsWith(ep.client.rollbackToPrevious("by hand"), ClientError, "CLIENT_NOTHING_TO_ROLL_BACK_TO");
    assert.equal(currentLink(ep), path.join("versions", "1.0.0"));
  });
});
