import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { type CliRun, initRepo, runCli } from "./helpers.js";

interface StatusJson {
  dir: string;
  roles: Array<{
    name: string;
    kind: string;
    count?: number;
    keyids: string[];
    threshold: number;
    version: number | null;
    expiresIn: number | null;
    staged: boolean;
  }>;
  keys: Array<{ id: string; location: string; present?: boolean; roles: string[] }>;
  stagedTargets: Array<{ path: string; role: string }>;
  pendingRoles: string[];
}

function release(dir: string, names: string[], version: string): Promise<CliRun> {
  const files = names.map((n) => {
    const file = path.join(path.dirname(dir), n);
    writeFileSync(file, `${n} ${version}`);
    return file;
  });
  return runCli(["release", "add", dir, ...files, "--name", "app", "--version", version]);
}

describe("bulwark repo status", () => {
  it("shows roles, keys and staged targets as a table", async (t) => {
    const dir = await initRepo(t);
    assert.equal((await release(dir, ["app.txt"], "1.0.0")).code, 0);
    const run = await runCli(["repo", "status", dir]);
    assert.equal(run.code, 0, run.stderr);
    for (const role of ["root", "targets", "snapshot", "timestamp"])
      assert.match(run.stdout, new RegExp(`^${role} `, "m"));
    assert.match(run.stdout, /^targets .* 1 -> 2 .* yes$/m);
    assert.match(run.stdout, /^root .* 1 .* -$/m);
    assert.match(run.stdout, /file keys\/root\/all-/);
    assert.match(run.stdout, /Staged, not yet published/);
    assert.match(run.stdout, /app\/1\.0\.0\/app\.txt/);
  });

  it("prints the documented JSON shape, before and after a publish", async (t) => {
    const dir = await initRepo(t);
    assert.equal((await release(dir, ["app.txt"], "1.0.0")).code, 0);
    const before = (await runCli(["repo", "status", dir, "--json"])).json<StatusJson>();
    assert.deepEqual(
      before.roles.map((r) => r.name),
      ["root", "targets", "snapshot", "timestamp"],
    );
    const role = (name: string, s: StatusJson) => s.roles.find((r) => r.name === name);
    assert.equal(role("targets", before)?.staged, true);
    assert.equal(role("snapshot", before)?.staged, true);
    assert.equal(role("root", before)?.staged, false);
    assert.equal(role("targets", before)?.version, 1);
    assert.equal(role("timestamp", before)?.threshold, 1);
    assert.ok((role("timestamp", before)?.expiresIn ?? 0) > 23 * 3600);
    assert.equal(role("root", before)?.keyids.length, 1);
    assert.equal(before.keys[0]?.location, "file");
    assert.equal(before.keys[0]?.present, true);
    assert.ok(before.stagedTargets.some((s) => s.path === "app/1.0.0/app.txt" && s.role === "targets"));
    assert.ok(before.pendingRoles.includes("targets"));

    assert.equal((await runCli(["repo", "publish", dir])).code, 0);
    const after = (await runCli(["repo", "status", dir, "--json"])).json<StatusJson>();
    assert.equal(role("targets", after)?.version, 2);
    assert.equal(role("targets", after)?.staged, false);
    assert.deepEqual(after.stagedTargets, []);
    assert.deepEqual(after.pendingRoles, []);
    const table = await runCli(["repo", "status", dir]);
    assert.match(table.stdout, /No staged changes\./);
  });

  it("summarises hashed bins as one row", async (t) => {
    const dir = await initRepo(t);
    const configFile = path.join(dir, "bulwark.json");
    const config = JSON.parse(readFileSync(configFile, "utf8")) as Record<string, unknown>;
    writeFileSync(configFile, JSON.stringify({ ...config, hashedBinsThreshold: 2 }));
    assert.equal((await release(dir, ["a.txt", "b.txt", "c.txt"], "1.0.0")).code, 0);
    assert.equal((await runCli(["repo", "publish", dir])).code, 0);
    const status = (await runCli(["repo", "status", dir, "--json"])).json<StatusJson>();
    const bins = status.roles.filter((r) => r.kind === "bins");
    assert.equal(bins.length, 1);
    assert.equal(bins[0]?.name, "bins-*");
    assert.equal(bins[0]?.count, 16);
    assert.equal(bins[0]?.version, 1);
    assert.equal(bins[0]?.staged, false);
    const table = await runCli(["repo", "status", dir]);
    assert.match(table.stdout, /^bins-\* \(16 roles\)/m);
  });

  it("reads without the lock, and says when the folder is not a repository", async (t) => {
    const dir = await initRepo(t);
    writeFileSync(path.join(dir, ".bulwark.lock"), JSON.stringify({ pid: process.pid, host: "elsewhere" }));
    assert.equal((await runCli(["repo", "status", dir])).code, 0);
    const missing = await runCli(["repo", "status", path.dirname(dir), "--json"]);
    assert.equal(missing.code, 2);
    assert.equal(missing.json<{ error: { code: string } }>().error.code, "NOT_A_REPOSITORY");
  });
});
