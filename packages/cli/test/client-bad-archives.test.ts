/**
 * Hostile release archives, signed and published by the vendor (so every byte verifies)
 * and installed through the update client over loopback HTTP. Each is refused with an
 * `ARCHIVE_*` error that names the problem, and NOTHING CHANGES on the endpoint: the
 * `current` link, the `versions/` folder and the journal are byte-identical before and
 * after. Nothing appears outside the install folder either.
 */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { BulwarkError } from "@bulwark/tuf";
import { tarGz } from "../src/quickstart/demo-archive.js";
import { currentLink, demoFiles, endpoint, endpointState, rawTarGz, rawZip, releaseOf, Vendor } from "./e2e-helpers.js";

/** The bound the endpoints unpack with (DirectoryStrategy maxTotalBytes). */
const MAX_TOTAL_BYTES = 5_000_000;

interface Attack {
  /** Named after the attack. */
  readonly name: string;
  readonly fileName: string;
  readonly archive: (outside: string) => Buffer;
  readonly code: string;
  /** What the error message must mention. */
  readonly message: RegExp;
}

const MB = 1024 * 1024;
const ok = { name: "VERSION", data: "1.1.0\n" } as const;

const ATTACKS: readonly Attack[] = [
  {
    name: "rejects a tar.gz entry that climbs out with .. (path traversal)",
    fileName: "app.tar.gz",
    archive: () => rawTarGz([ok, { name: "../../../escaped-dotdot.txt", data: "pwned" }]),
    code: "ARCHIVE_UNSAFE_PATH",
    message: /escaped-dotdot\.txt/,
  },
  {
    name: "rejects a tar.gz entry with an absolute path",
    fileName: "app.tar.gz",
    archive: (outside) => rawTarGz([ok, { name: path.join(outside, "absolute.txt"), data: "pwned" }]),
    code: "ARCHIVE_UNSAFE_PATH",
    message: /absolute\.txt/,
  },
  {
    name: "rejects a tar.gz symlink pointing outside, then a write through it (zip-slip)",
    fileName: "app.tar.gz",
    archive: (outside) =>
      rawTarGz([ok, { name: "escape", type: "2", linkname: outside }, { name: "escape/pwned.txt", data: "pwned" }]),
    code: "ARCHIVE_UNSAFE_PATH",
    message: /escape/,
  },
  {
    name: "rejects a tar.gz symlink whose relative target climbs out, then a write through it",
    fileName: "app.tar.gz",
    archive: () =>
      rawTarGz([
        ok,
        { name: "up", type: "2", linkname: "../../../../../../../../tmp" },
        { name: "up/pwned-relative.txt", data: "pwned" },
      ]),
    code: "ARCHIVE_UNSAFE_PATH",
    message: /up/,
  },
  {
    name: "rejects a tar.gz hard link to a file outside",
    fileName: "app.tar.gz",
    archive: () => rawTarGz([ok, { name: "passwd", type: "1", linkname: "/etc/passwd" }]),
    code: "ARCHIVE_UNSAFE_PATH",
    message: /passwd/,
  },
  {
    name: "rejects a tar.gz hard link even to a file inside (never extracted)",
    fileName: "app.tar.gz",
    archive: () => rawTarGz([ok, { name: "hardlink", type: "1", linkname: "VERSION" }]),
    code: "ARCHIVE_UNSUPPORTED_ENTRY",
    message: /hardlink/,
  },
  {
    name: "rejects a zip entry that climbs out with .. (zip-slip)",
    fileName: "app.zip",
    archive: () => rawZip([ok, { name: "../../../escaped-zip.txt", data: "pwned" }]),
    code: "ARCHIVE_UNSAFE_PATH",
    message: /escaped-zip\.txt/,
  },
  {
    name: "rejects a zip entry with an absolute path",
    fileName: "app.zip",
    archive: (outside) => rawZip([ok, { name: path.join(outside, "absolute-zip.txt"), data: "pwned" }]),
    code: "ARCHIVE_UNSAFE_PATH",
    message: /absolute-zip\.txt/,
  },
  {
    name: "rejects a zip symlink pointing outside, then a write through it",
    fileName: "app.zip",
    archive: (outside) =>
      rawZip([
        ok,
        { name: "escape", data: outside, unixMode: 0o120777 },
        { name: "escape/pwned-zip.txt", data: "pwned" },
      ]),
    code: "ARCHIVE_UNSAFE_PATH",
    message: /escape/,
  },
  {
    name: "rejects a gzip bomb (one entry of 20 MB of zeros, ~20 kB compressed)",
    fileName: "app.tar.gz",
    archive: () => rawTarGz([ok, { name: "bomb.bin", data: Buffer.alloc(20 * MB) }]),
    code: "ARCHIVE_TOO_LARGE",
    message: /maxTotalBytes/,
  },
  {
    name: "rejects a gzip bomb spread over many entries that each look small",
    fileName: "app.tar.gz",
    archive: () =>
      rawTarGz([ok, ...Array.from({ length: 8 }, (_, i) => ({ name: `part-${i}.bin`, data: Buffer.alloc(MB) }))]),
    code: "ARCHIVE_TOO_LARGE",
    message: /maxTotalBytes/,
  },
  {
    name: "rejects a zip bomb (a deflated entry of 20 MB of zeros)",
    fileName: "app.zip",
    archive: () => rawZip([ok, { name: "bomb.bin", data: Buffer.alloc(20 * MB), deflate: true }]),
    code: "ARCHIVE_TOO_LARGE",
    message: /maxTotalBytes/,
  },
  {
    name: "rejects a zip bomb that lies: declares 1 kB, inflates to 20 MB",
    fileName: "app.zip",
    archive: () => rawZip([ok, { name: "liar.bin", data: Buffer.alloc(20 * MB), deflate: true, declaredSize: 1024 }]),
    code: "ARCHIVE_MALFORMED",
    message: /liar\.bin/,
  },
];

describe("hostile release archives are refused and nothing changes", () => {
  const cleanups: Array<() => void | Promise<void>> = [];
  const suite = { after: (fn: () => void | Promise<void>) => cleanups.push(fn) };
  // Where a link or absolute path in an archive points: must stay empty.
  const outside = mkdtempSync(path.join(tmpdir(), "bulwark-outside-"));
  let vendor: Vendor;
  /** Attack i is published as 1.1.i; 1.0.0 is a good release. */
  const versionOf = (i: number) => `1.1.${i}`;

  before(async () => {
    vendor = await Vendor.create(suite);
    await vendor.add("1.0.0", tarGz(demoFiles("1.0.0")));
    for (const [i, attack] of ATTACKS.entries())
      await vendor.add(versionOf(i), attack.archive(outside), { fileName: attack.fileName });
    await vendor.publish();
  });

  after(async () => {
    for (const fn of cleanups.reverse()) await fn();
    rmSync(outside, { recursive: true, force: true });
  });

  for (const [i, attack] of ATTACKS.entries()) {
    it(attack.name, async (t) => {
      const ep = endpoint(t, vendor, { strategy: { maxTotalBytes: MAX_TOTAL_BYTES } });
      await ep.client.install(await releaseOf(ep, "1.0.0"));
      const bad = await releaseOf(ep, versionOf(i));
      const beforeState = endpointState(ep);

      await assert.rejects(ep.client.install(bad), (error: unknown) => {
        assert.ok(error instanceof BulwarkError, `expected a BulwarkError, got ${String(error)}`);
        assert.equal(error.code, attack.code, error.message);
        assert.match(error.message, attack.message);
        return true;
      });

      const afterState = endpointState(ep);
      assert.equal(currentLink(ep), path.join("versions", "1.0.0"));
      assert.deepEqual(afterState.app, beforeState.app, "the current link and versions/ are unchanged");
      assert.deepEqual(readdirSync(outside), [], "nothing was written outside");
      for (const name of ["escaped-dotdot.txt", "escaped-zip.txt"]) {
        assert.equal(existsSync(path.join(ep.appDir, "..", name)), false);
        assert.equal(existsSync(path.join(ep.appDir, "..", "..", name)), false);
      }
      assert.equal(existsSync("/tmp/pwned-relative.txt"), false);
      // Last, so that the checks above run even when this one fails.
      assert.equal(afterState.journal, beforeState.journal, "the journal is byte-identical");
    });
  }

  it("keeps refusing through update() (as the agent runs it), and the endpoint keeps running 1.0.0", async (t) => {
    const ep = endpoint(t, vendor, { strategy: { maxTotalBytes: MAX_TOTAL_BYTES } });
    await ep.client.install(await releaseOf(ep, "1.0.0"));
    const beforeState = endpointState(ep);
    // update() offers the newest release: the last attack in the table.
    const last = ATTACKS.at(-1) as Attack;
    for (let round = 0; round < 2; round++) {
      await assert.rejects(ep.client.update(), (error: unknown) => {
        assert.ok(error instanceof BulwarkError);
        assert.equal(error.code, last.code, error.message);
        return true;
      });
      assert.deepEqual(endpointState(ep).app, beforeState.app);
      assert.equal(await ep.client.currentVersion(), "1.0.0");
    }
  });
});
