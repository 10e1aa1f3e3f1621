/**
 * Bad input to `repo publish` and `release add`: each refused with a clear error, and
 * nothing published half — clients keep seeing the previous state.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { PrivateKeySigner } from "@bulwark/tuf";
import { initRepo, PASSPHRASE_ENV, runCli, snapshotTree, tempDir } from "./helpers.js";

async function stageRelease(
  dir: string,
  name = "app-1.0.0.tgz",
  bytes: string | Buffer = "app 1.0.0",
): Promise<string> {
  const file = path.join(path.dirname(dir), name);
  writeFileSync(file, bytes);
  const run = await runCli(["release", "add", dir, file, "--name", "app", "--version", "1.0.0"]);
  assert.equal(run.code, 0, run.stderr);
  return file;
}

function config(dir: string): { keys: Array<{ id: string; roles: string[]; file?: string }> } {
  return JSON.parse(readFileSync(path.join(dir, "bulwark.json"), "utf8"));
}

interface Case {
  name: string;
  setup: (dir: string) => Promise<void> | void;
  argv?: (dir: string) => string[];
  env?: Record<string, string>;
  exit: number;
  code: string;
}

const cases: Case[] = [
  {
    name: "a wrong passphrase",
    setup: () => undefined,
    env: { BULWARK_PASSPHRASE: "not the passphrase at all" },
    exit: 2,
    code: "KEY_UNREADABLE",
  },
  {
    name: "a missing key file",
    setup: (dir) => {
      for (const k of config(dir).keys) if (k.file) rmSync(path.join(dir, k.file));
    },
    exit: 1,
    code: "MISSING_KEY",
  },
  {
    name: "a foreign key in place of the repository's key",
    setup: (dir) => {
      const foreign = PrivateKeySigner.generate().exportPem(PASSPHRASE_ENV.BULWARK_PASSPHRASE);
      for (const k of config(dir).keys) if (k.file) writeFileSync(path.join(dir, k.file), foreign);
    },
    exit: 1,
    code: "FOREIGN_KEY",
  },
  {
    name: "too few keys for the targets threshold",
    setup: (dir) => {
      // The only key is no longer available here: 0 of 1 required signatures.
      const c = config(dir);
      writeFileSync(path.join(dir, "bulwark.json"), JSON.stringify({ ...c, keys: [] }, null, 2));
    },
    exit: 3,
    code: "SIGNERS_MISSING",
  },
];

describe("repo publish refuses bad input and publishes nothing half", () => {
  for (const c of cases) {
    it(`refuses ${c.name}`, async (t) => {
      const dir = await initRepo(t);
      await stageRelease(dir);
      await c.setup(dir);
      const before = snapshotTree(path.join(dir, "public"));
      const run = await runCli(c.argv?.(dir) ?? ["repo", "publish", dir, "--json"], c.env ? { env: c.env } : {});
      assert.equal(run.code, c.exit, run.stderr);
      assert.equal(run.json<{ error: { code: string } }>().error.code, c.code);
      assert.match(run.stderr, /error: .+/);
      assert.deepEqual(snapshotTree(path.join(dir, "public")), before, "nothing was published");
      assert.ok(existsSync(path.join(dir, "staged", "state.json")), "staged changes are kept for a retry");
    });
  }

  it("refuses an expired root, and publishes a new root version with --new-root", async (t) => {
    const dir = await initRepo(t, ["--single-key", "--expiry", "root=1s"]);
    await new Promise((r) => setTimeout(r, 1200));
    const before = snapshotTree(path.join(dir, "public"));
    const run = await runCli(["repo", "publish", dir, "--json"]);
    assert.equal(run.code, 1);
    assert.equal(run.json<{ error: { code: string } }>().error.code, "ROOT_EXPIRED");
    assert.match(run.stderr, /--new-root/);
    assert.deepEqual(snapshotTree(path.join(dir, "public")), before);
    const fixed = await runCli(["repo", "publish", dir, "--new-root", "--json"]);
    assert.equal(fixed.code, 0, fixed.stderr);
    assert.equal(fixed.json<{ versions: Record<string, number> }>().versions.root, 2);
  });

  it("removes nothing and publishes nothing when a staged file disappears before publishing", async (t) => {
    const dir = await initRepo(t);
    await stageRelease(dir);
    const blobs = path.join(dir, "staged", "targets");
    for (const f of readdirSync(blobs)) rmSync(path.join(blobs, f));
    const before = readFileSync(path.join(dir, "public", "metadata", "timestamp.json"));
    const run = await runCli(["repo", "publish", dir, "--json"]);
    assert.equal(run.code, 1);
    assert.equal(run.json<{ error: { code: string } }>().error.code, "STAGED_FILE_MISSING");
    assert.ok(readFileSync(path.join(dir, "public", "metadata", "timestamp.json")).equals(before));
  });

  for (const [label, target] of [
    ["a target path with ..", "../../etc/passwd"],
    ["an absolute target path", "/etc/passwd"],
    ["a target path with a backslash", "app\\..\\x"],
  ] as const) {
    it(`refuses ${label}`, async (t) => {
      const dir = await initRepo(t);
      const file = path.join(path.dirname(dir), "x.tgz");
      writeFileSync(file, "x");
      const run = await runCli([
        "release",
        "add",
        dir,
        file,
        "--name",
        "app",
        "--version",
        "1.0.0",
        "--target",
        target,
        "--json",
      ]);
      assert.equal(run.code, 2);
      assert.equal(run.json<{ error: { code: string } }>().error.code, "BAD_TARGET_PATH");
      assert.equal(existsSync(path.join(dir, "staged", "state.json")), false, "nothing was staged");
    });
  }

  it("refuses a second publish while one holds the lock, and takes over a stale lock", async (t) => {
    const dir = await initRepo(t);
    await stageRelease(dir);
    const lock = path.join(dir, ".bulwark.lock");
    const { hostname } = await import("node:os");
    writeFileSync(lock, JSON.stringify({ pid: process.pid, host: hostname(), since: new Date().toISOString() }));
    const held = await runCli(["repo", "publish", dir, "--json"]);
    assert.equal(held.code, 4);
    assert.equal(held.json<{ error: { code: string } }>().error.code, "LOCKED");
    // A lock left by a process that is gone is stale.
    writeFileSync(lock, JSON.stringify({ pid: 2 ** 22 + 12345, host: hostname(), since: "2020-01-01T00:00:00Z" }));
    const taken = await runCli(["repo", "publish", dir]);
    assert.equal(taken.code, 0, taken.stderr);
    assert.equal(existsSync(lock), false, "the lock is released");
  });
});

describe("repo publish on a full disk", () => {
  const mountPoint = "/tmp/bulwark-full-disk-test";
  let mounted = false;
  let why = "";
  try {
    mkdirSync(mountPoint, { recursive: true });
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=2m", "tmpfs", mountPoint], { stdio: "ignore" });
    mounted = true;
  } catch {
    why = "cannot mount a small tmpfs here (needs root): full-disk test skipped";
  }

  it("fails cleanly with the previous state still serving, and succeeds after space is freed", {
    skip: mounted ? false : why,
  }, async (t) => {
    t.after(() => {
      execFileSync("umount", [mountPoint]);
    });
    const dir = path.join(mountPoint, "repo");
    const init = await runCli(["repo", "init", dir, "--single-key"]);
    assert.equal(init.code, 0, init.stderr);
    // A release that fits in staged/ but not twice (staged + public): the publish copy fails.
    const big = path.join(tempDir(t), "big.bin");
    writeFileSync(big, Buffer.alloc(1_200_000, 7));
    const add = await runCli(["release", "add", dir, big, "--name", "app", "--version", "1.0.0"]);
    assert.equal(add.code, 0, add.stderr);
    const timestamp = readFileSync(path.join(dir, "public", "metadata", "timestamp.json"));
    const run = await runCli(["repo", "publish", dir]);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /no space left|ENOSPC/i);
    assert.ok(
      readFileSync(path.join(dir, "public", "metadata", "timestamp.json")).equals(timestamp),
      "timestamp.json unchanged",
    );
    const leftovers = readdirSync(path.join(dir, "public"), { recursive: true })
      .map(String)
      .filter((f) => f.includes(".tmp"));
    assert.deepEqual(leftovers, [], "no temporary files left behind");
    // Free space (move the release file out of staged/ by hand is not possible; grow the disk).
    execFileSync("mount", ["-o", "remount,size=8m", mountPoint]);
    const retry = await runCli(["repo", "publish", dir]);
    assert.equal(retry.code, 0, retry.stderr);
  });
});
