/**
 * Ctrl+C (SIGINT) and SIGTERM during `repo publish` and `release add` of a large file: the
 * real `bulwark` process stops at a safe point, says nothing changed, exits 130 / 143, and
 * leaves the repository byte for byte as it was (no temporary file, the release still
 * staged); the next publish succeeds. And the progress those commands show: forced with
 * `--progress` or BULWARK_PROGRESS=1 where stderr is not a terminal, never on stdout.
 *
 * Deterministic without timing: the signal is sent when the child's first progress line
 * for the large file appears on stderr, that is while the file is being copied; the file
 * is large enough (64 MiB, copied and fsynced in 1 MiB chunks) that the copy cannot end
 * before the signal is handled at the next chunk.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { BULWARK_BIN, initRepo, PASSPHRASE_ENV, runBin, runCli, snapshotTree } from "./helpers.js";

const BIG = 64 * 2 ** 20;

/** Writes a large release file next to the repository and returns its path. */
function bigFile(dir: string, name = "big.bin"): string {
  const file = path.join(path.dirname(dir), name);
  writeFileSync(file, randomBytes(BIG));
  return file;
}

/**
 * Runs the real `bulwark argv` with progress forced and sends it `signal` when a stderr
 * line matches `when`; resolves with its exit code and output.
 */
function interruptWhen(
  argv: string[],
  when: RegExp,
  signal: "SIGINT" | "SIGTERM",
): Promise<{ code: number | null; stdout: string; stderr: string; sent: boolean }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BULWARK_BIN, ...argv, "--progress"], {
      env: { ...process.env, ...PASSPHRASE_ENV },
    });
    let stdout = "";
    let stderr = "";
    let sent = false;
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString("utf8");
    });
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString("utf8");
      if (!sent && when.test(stderr)) {
        sent = true;
        child.kill(signal);
      }
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr, sent }));
  });
}

/** Temporary files anywhere under `dir`. */
function strays(dir: string): string[] {
  return readdirSync(dir, { recursive: true })
    .map(String)
    .filter((f) => /\.tmp$|\.incoming-/.test(f));
}

describe("an interrupted repo publish changes nothing", () => {
  for (const [signal, exit] of [
    ["SIGINT", 130],
    ["SIGTERM", 143],
  ] as const) {
    it(`stops cleanly on ${signal} mid-copy, exits ${exit}, and the next publish succeeds`, async (t) => {
      const dir = await initRepo(t);
      const add = await runCli(["release", "add", dir, bigFile(dir), "--name", "app", "--version", "1.0.0"]);
      assert.equal(add.code, 0, add.stderr);
      const before = snapshotTree(dir);

      const run = await interruptWhen(["repo", "publish", dir], /copying big\.bin: /, signal);
      assert.ok(run.sent, `no progress line appeared: ${run.stderr}`);
      assert.equal(run.code, exit, run.stderr);
      assert.match(run.stderr, /publishing was interrupted; nothing was changed/);
      assert.match(run.stderr, /\[INTERRUPTED\]/);
      assert.match(run.stderr, /still staged: run `bulwark repo publish` again/);
      assert.deepEqual(snapshotTree(dir), before, "the repository folder is byte for byte as it was");
      assert.deepEqual(strays(dir), [], "no temporary file left");

      const list = await runCli(["release", "list", dir, "--json"]);
      const releases = list.json<{ releases: Array<{ target: string; state: string }> }>().releases;
      assert.equal(releases.find((r) => r.target === "app/1.0.0/big.bin")?.state, "staged", "still staged");
      const again = await runCli(["repo", "publish", dir, "--json"]);
      assert.equal(again.code, 0, again.stderr);
      assert.ok(
        again.json<{ files: Array<{ path: string; bytes: number }> }>().files.some((f) => f.bytes === BIG),
        "the release file is published",
      );
    });
  }

  it("stops release add on SIGINT mid-hash of its second file and stages nothing", async (t) => {
    const dir = await initRepo(t);
    const first = bigFile(dir, "first.bin");
    const second = bigFile(dir, "second.bin");
    const before = snapshotTree(dir);
    const run = await interruptWhen(
      ["release", "add", dir, first, second, "--name", "app", "--version", "1.0.0"],
      /hashing second\.bin: /,
      "SIGINT",
    );
    assert.ok(run.sent, `no progress line appeared: ${run.stderr}`);
    assert.equal(run.code, 130, run.stderr);
    assert.match(run.stderr, /adding the release was interrupted; nothing was changed/);
    assert.deepEqual(snapshotTree(dir), before, "not even the first file's staged copy is left");
  });
});

describe("progress of release add and repo publish", () => {
  it("shows per-file progress lines on stderr with --progress, and --json stays one JSON document", async (t) => {
    const dir = await initRepo(t);
    const file = bigFile(dir);
    const add = await runBin([
      "release",
      "add",
      dir,
      file,
      "--name",
      "app",
      "--version",
      "1.0.0",
      "--json",
      "--progress",
    ]);
    assert.equal(add.code, 0, add.stderr);
    assert.match(add.stderr, /^hashing big\.bin: +0% 0\.0 MiB of 64\.0 MiB, [\d.]+ MiB\/s$/m);
    assert.match(add.stderr, /^hashing big\.bin: 100% 64\.0 MiB of 64\.0 MiB, [\d.]+ MiB\/s$/m);
    const staged = add.json<{ staged: Array<{ path: string }> }>().staged;
    assert.ok(
      staged.some((f) => f.path === "app/1.0.0/big.bin"),
      "stdout is pure JSON",
    );

    const publish = await runBin(["repo", "publish", dir, "--json"], { env: { BULWARK_PROGRESS: "1" } });
    assert.equal(publish.code, 0, publish.stderr);
    assert.match(publish.stderr, /^copying big\.bin: 100% 64\.0 MiB of 64\.0 MiB, [\d.]+ MiB\/s$/m);
    assert.ok(publish.json<{ targets: number }>().targets >= 1, "stdout is pure JSON");
    assert.doesNotMatch(publish.stdout, /MiB/);
    assert.doesNotMatch(publish.stderr, /index\.json/, "no progress for a file smaller than 1 MiB");
  });

  it("shows none where stderr is not a terminal unless forced", async (t) => {
    const dir = await initRepo(t);
    const file = path.join(path.dirname(dir), "small.bin");
    writeFileSync(file, randomBytes(3 * 2 ** 20));
    const add = await runBin(["release", "add", dir, file, "--name", "app", "--version", "1.0.0"]);
    assert.equal(add.code, 0, add.stderr);
    assert.doesNotMatch(add.stderr, /MiB/);
    const publish = await runBin(["repo", "publish", dir]);
    assert.equal(publish.code, 0, publish.stderr);
    assert.doesNotMatch(publish.stderr, /MiB/);
    assert.ok(readFileSync(path.join(dir, "public", "metadata", "timestamp.json")).length > 0);
  });

  it("documents how to force progress in --help", async () => {
    const help = await runCli(["repo", "publish", "--help"]);
    assert.match(help.stdout, /--progress +show progress on stderr even when it is not a terminal.*BULWARK_PROGRESS=1/);
  });
});
