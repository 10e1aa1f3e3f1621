/**
 * Route 5 of issue 12, the decompression bomb: someone with the online keys lists an archive
 * that expands to far more than any release of the product (a bomb), under the signed
 * fields of a genuine release. Before, an endpoint unpacked it until the 2 GiB default
 * bound; `release add` now signs what each archive unpacks to (`custom.bulwark.unpacked`)
 * and the endpoint stops there. Driven through the CLI and `bulwark agent --once` over
 * loopback HTTP; the bytes the agent writes are counted at the file system calls.
 */
import assert from "node:assert/strict";
import { promises as fsp, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { isJsonObject, type JsonObject, Metadata } from "@bulwark/tuf";
import { tarGz } from "../src/quickstart/demo-archive.js";
import { cycleFailure, plainAgentConfig, runningVersion } from "./agent-helpers.js";
import { APP, demoFiles, Vendor } from "./e2e-helpers.js";
import { runCli } from "./helpers.js";
import { listDirectly } from "./verified-builds-helpers.js";

const MiB = 1024 * 1024;
/** What the bomb expands to: far below the 2 GiB default, far above any release of the app. */
const BOMB_BYTES = 64 * MiB;
/** Slack allowed past the signed size: one read chunk. */
const SLACK = 64 * 1024;

/** `custom.bulwark` of a release file in the vendor's published targets metadata. */
function signedRelease(vendor: Vendor, version: string): JsonObject {
  const dir = path.join(vendor.dir, "public", "metadata");
  const latest = Math.max(...readdirSync(dir).map((f) => Number(/^(\d+)\.targets\.json$/.exec(f)?.[1] ?? 0)));
  const targets = Metadata.fromBytes(readFileSync(path.join(dir, `${latest}.targets.json`)), "targets");
  for (const [name, target] of targets.signed.targets) {
    const b = target.custom?.bulwark;
    if (name.startsWith(`${APP}/${version}/`) && isJsonObject(b)) return b;
  }
  throw new Error(`no release ${version} in targets.json`);
}

/**
 * Runs `agent --once`, counting every byte written through a file handle opened under
 * `dir` (the extraction writes each file through one).
 */
async function agentOnceCountingWrites(config: string, dir: string) {
  const open = fsp.open;
  let written = 0;
  fsp.open = (async (...args: Parameters<typeof open>) => {
    const handle = await open(...args);
    if (String(args[0]).startsWith(dir)) {
      const write = handle.write.bind(handle) as (...a: unknown[]) => Promise<{ bytesWritten: number }>;
      (handle as { write: unknown }).write = async (...a: unknown[]) => {
        const r = await write(...a);
        written += r.bytesWritten;
        return r;
      };
    }
    return handle;
  }) as typeof open;
  try {
    const run = await runCli(["agent", "--config", config, "--once"]);
    return { run, written };
  } finally {
    fsp.open = open;
  }
}

describe("decompression bomb", () => {
  it("a decompression bomb in an insider-signed archive stops at its signed unpacked size, not at the 2 GiB default", async (t) => {
    const vendor = await Vendor.create(t);
    await vendor.release("1.0.0");
    // `release add` measured the archive, and the vendor signed what it unpacks to.
    const genuine = signedRelease(vendor, "1.0.0");
    const files = Object.values(demoFiles("1.0.0")).map((d) => Buffer.byteLength(d));
    assert.ok(isJsonObject(genuine.unpacked), "release add signs custom.bulwark.unpacked");
    assert.equal(
      genuine.unpacked.bytes,
      files.reduce((a, b) => a + b, 0),
    );
    assert.ok(typeof genuine.unpacked.entries === "number" && genuine.unpacked.entries >= files.length);

    const setup = plainAgentConfig(t, vendor);
    const { config, appDir } = setup;
    const first = await agentOnceCountingWrites(config, appDir);
    assert.equal(first.run.code, 0, first.run.stdout);
    assert.equal(runningVersion(setup), "1.0.0");

    // The insider lists a bomb as 1.1.0 with the online keys, under the genuine release's signed fields.
    const parts = Object.fromEntries(
      Array.from({ length: BOMB_BYTES / MiB }, (_, i) => [`data/part-${i}`, Buffer.alloc(MiB)]),
    );
    const bomb = tarGz({ ...demoFiles("1.1.0"), ...parts });
    assert.ok(bomb.length < MiB, `the bomb is ${bomb.length} bytes`);
    await listDirectly(vendor, {
      version: "1.1.0",
      fileName: "app-1.1.0.tar.gz",
      bytes: bomb,
      custom: { unpacked: genuine.unpacked },
    });

    const { run, written } = await agentOnceCountingWrites(config, appDir);
    const signedBytes = genuine.unpacked.bytes as number;
    assert.ok(
      written <= signedBytes + SLACK,
      `the agent wrote ${written} bytes of the bomb; its signed unpacked size is ${signedBytes}`,
    );
    assert.equal(run.code, 1, "the cycle failed");
    const failed = cycleFailure(run);
    assert.equal(failed?.code, "ARCHIVE_TOO_LARGE", run.stdout);
    assert.match(failed?.message ?? "", /maxContentBytes|maxEntries/);
    // Nothing of the bomb is left, and the app still runs the genuine release.
    assert.equal(runningVersion(setup), "1.0.0");
    assert.deepEqual(readdirSync(path.join(appDir, "versions")), ["1.0.0"]);
  });
});
