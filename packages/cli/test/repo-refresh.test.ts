import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { RepoDir } from "@bulwark/publisher";
import { DownloadHttpError, type Fetcher, Metadata, readFileIfExists, Updater } from "@bulwark/tuf";
import { EXIT } from "../src/exit-codes.js";
import { initRepo, runCli, tempDir, testOptions } from "./helpers.js";

interface RefreshJson {
  dryRun: boolean;
  refreshed: boolean;
  due: string[];
  versions: Record<string, number>;
  roles: Array<{ name: string; version: number; expiresIn: number; due: boolean }>;
}

const HOUR = 3600 * 1000;
const DAY = 24 * HOUR;

/** Re-publishes `roles` (and snapshot and timestamp) as if it were `ago` milliseconds ago. */
async function publishedAgo(dir: string, ago: number, roles: string[] = []): Promise<void> {
  const repoDir = await RepoDir.open(
    dir,
    testOptions(() => Date.now() - ago),
  );
  const repo = await repoDir.load();
  for (const role of roles) repo.touch(role);
  repo.resignSnapshot();
  await repoDir.publish(repo);
}

/** Every file of the public tree, with its bytes. */
function tree(dir: string): Map<string, string> {
  const pub = path.join(dir, "public");
  const out = new Map<string, string>();
  for (const name of readdirSync(pub, { recursive: true }) as string[]) {
    const file = path.join(pub, name);
    if (statSync(file).isFile()) out.set(name, readFileSync(file, "hex"));
  }
  return out;
}

function version(dir: string, file: string): number {
  return Metadata.fromBytes(readFileSync(path.join(dir, "public", "metadata", file))).signed.version;
}

/** A fetcher over the local public tree, for the client. */
const files: Fetcher = {
  async *fetch(url) {
    const data = await readFileIfExists(url);
    if (data === undefined) throw new DownloadHttpError(`${url} does not exist`, 404);
    yield data;
  },
};

/** What a client does: refresh from the repository's first root. */
async function clientRefresh(t: { after(fn: () => void): void }, dir: string): Promise<void> {
  const metadata = path.join(dir, "public", "metadata");
  const updater = new Updater({
    metadataDir: tempDir(t),
    metadataBaseUrl: `${metadata}${path.sep}`,
    bootstrap: readFileSync(path.join(metadata, "1.root.json")),
    fetcher: files,
  });
  await updater.refresh();
}

describe("bulwark repo refresh", () => {
  it("does nothing, and writes nothing, when nothing is due", async (t) => {
    const dir = await initRepo(t);
    const before = tree(dir);
    const run = await runCli(["repo", "refresh", dir, "--json"]);
    assert.equal(run.code, EXIT.OK, run.stderr);
    const report = run.json<RefreshJson>();
    assert.equal(report.refreshed, false);
    assert.deepEqual(report.due, []);
    assert.deepEqual(tree(dir), before);
  });

  it("re-signs a timestamp inside its window, once (exit 10, then 0)", async (t) => {
    const dir = await initRepo(t);
    // Published 23.5 hours ago: the one-day timestamp has 30 minutes left, under refreshBefore 12h.
    await publishedAgo(dir, 23.5 * HOUR);
    const timestamp = version(dir, "timestamp.json");
    const snapshots = readdirSync(path.join(dir, "public", "metadata")).filter((n) => n.endsWith("snapshot.json"));
    const run = await runCli(["repo", "refresh", dir, "--json"]);
    assert.equal(run.code, EXIT.REFRESHED, run.stderr);
    const report = run.json<RefreshJson>();
    assert.deepEqual(report.due, ["timestamp"]);
    assert.deepEqual(report.versions, { timestamp: timestamp + 1 });
    assert.equal(version(dir, "timestamp.json"), timestamp + 1);
    assert.deepEqual(
      readdirSync(path.join(dir, "public", "metadata")).filter((n) => n.endsWith("snapshot.json")),
      snapshots,
    );
    await clientRefresh(t, dir);

    const again = await runCli(["repo", "refresh", dir]);
    assert.equal(again.code, EXIT.OK, again.stderr);
    assert.equal(version(dir, "timestamp.json"), timestamp + 1);
  });

  it("re-signs expiring targets, snapshot and timestamp so that clients refresh again", async (t) => {
    const dir = await initRepo(t);
    // 80 days ago: targets (90 days) has 10 days left, under refreshBefore 14d; snapshot and timestamp expired.
    await publishedAgo(dir, 80 * DAY, ["targets"]);
    await assert.rejects(clientRefresh(t, dir), { code: "TUF_EXPIRED_METADATA" });
    const timestampBefore = version(dir, "timestamp.json");
    const dry = await runCli(["repo", "refresh", dir, "--dry-run", "--json"]);
    assert.equal(dry.code, EXIT.REFRESHED);
    assert.equal(version(dir, "timestamp.json"), timestampBefore);
    assert.deepEqual(dry.json<RefreshJson>().due.sort(), ["snapshot", "targets", "timestamp"]);

    const run = await runCli(["repo", "refresh", dir, "--json"]);
    assert.equal(run.code, EXIT.REFRESHED, run.stderr);
    const report = run.json<RefreshJson>();
    assert.equal(report.refreshed, true);
    assert.deepEqual(Object.keys(report.versions).sort(), ["snapshot", "targets", "timestamp"]);
    assert.equal(report.versions.targets, 3);
    await clientRefresh(t, dir);
    assert.equal((await runCli(["repo", "refresh", dir])).code, EXIT.OK);
  });

  it("re-signs timestamp with --force", async (t) => {
    const dir = await initRepo(t);
    const before = version(dir, "timestamp.json");
    const run = await runCli(["repo", "refresh", dir, "--force"]);
    assert.equal(run.code, EXIT.REFRESHED, run.stderr);
    assert.match(run.stdout, /re-signed as version 2/);
    assert.equal(version(dir, "timestamp.json"), before + 1);
    await clientRefresh(t, dir);
  });

  it("refuses to publish staged changes", async (t) => {
    const dir = await initRepo(t);
    const file = path.join(path.dirname(dir), "app.txt");
    writeFileSync(file, "app");
    assert.equal((await runCli(["release", "add", dir, file, "--name", "app", "--version", "1.0.0"])).code, 0);
    const before = tree(dir);
    const run = await runCli(["repo", "refresh", dir, "--force", "--json"]);
    assert.equal(run.code, EXIT.FAILURE);
    const error = run.json<{ error: { code: string; hint: string } }>().error;
    assert.equal(error.code, "STAGED_CHANGES");
    assert.match(error.hint, /bulwark repo publish/);
    assert.deepEqual(tree(dir), before);
  });

  it("stays idempotent when refreshBefore is longer than the validity", async (t) => {
    const dir = await initRepo(t, ["--single-key", "--expiry", "timestamp=1h"]);
    const run = await runCli(["repo", "refresh", dir]);
    assert.equal(run.code, EXIT.OK, run.stderr);
    assert.match(run.stderr, /longer than half its 1h expiry: using 30m/);
  });

  it("takes the repository lock", async (t) => {
    const dir = await initRepo(t);
    writeFileSync(path.join(dir, ".bulwark.lock"), JSON.stringify({ pid: process.pid, host: "elsewhere" }));
    assert.equal((await runCli(["repo", "refresh", dir])).code, EXIT.LOCKED);
  });
});
