import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { RepoDir } from "@bulwark/publisher";
import { computeHashes, MetaFile, SuccinctRoles } from "@bulwark/tuf";
import { type CliRun, initRepo, runCli, serveFolder, testOptions } from "./helpers.js";

interface VerifyJson {
  ok: boolean;
  targetsChecked: number | null;
  problems: Array<{ role?: string; target?: string; code: string; message: string }>;
  warnings: Array<{ role?: string; code: string }>;
  roles: Array<{ name: string; version: number; expires: string; expiresIn: number }>;
}

function release(dir: string, names: string[], version: string): Promise<CliRun> {
  const files = names.map((n) => {
    const file = path.join(path.dirname(dir), n);
    writeFileSync(file, `${n} ${version}`);
    return file;
  });
  return runCli(["release", "add", dir, ...files, "--name", "app", "--version", version]);
}

async function publishedRepo(t: { after(fn: () => void): void }, bins = false): Promise<string> {
  const dir = await initRepo(t);
  if (bins) {
    const configFile = path.join(dir, "bulwark.json");
    const config = JSON.parse(readFileSync(configFile, "utf8")) as Record<string, unknown>;
    writeFileSync(configFile, JSON.stringify({ ...config, hashedBinsThreshold: 2 }));
  }
  assert.equal((await release(dir, ["f1.txt", "f2.txt", "f3.txt"], "1.0.0")).code, 0);
  assert.equal((await runCli(["repo", "publish", dir])).code, 0);
  return dir;
}

/** The published file of a target (hash-prefixed under consistent snapshots). */
function targetFile(dir: string, targetPath: string): string {
  const folder = path.join(dir, "public", "targets", ...path.posix.dirname(targetPath).split("/"));
  const name = readdirSync(folder).find((n) => n.endsWith(`.${path.posix.basename(targetPath)}`));
  assert.ok(name, `no published file for ${targetPath}`);
  return path.join(folder, name);
}

const ROOT = (dir: string) => path.join(dir, "public", "metadata", "1.root.json");

describe("bulwark repo verify", () => {
  it("verifies a good repository folder, every target file included", async (t) => {
    const dir = await publishedRepo(t);
    const run = await runCli(["repo", "verify", dir, "--root", ROOT(dir), "--json"]);
    assert.equal(run.code, 0, run.stdout);
    const report = run.json<VerifyJson>();
    assert.equal(report.ok, true);
    assert.deepEqual(report.problems, []);
    assert.deepEqual(
      report.roles.map((r) => r.name),
      ["root", "timestamp", "snapshot", "targets"],
    );
    assert.ok((report.targetsChecked ?? 0) >= 3);
    const table = await runCli(["repo", "verify", dir, "--root", ROOT(dir)]);
    assert.equal(table.code, 0);
    assert.match(table.stdout, /^OK: /m);
  });

  it("verifies a good repository with hashed bins over loopback HTTP", async (t) => {
    const dir = await publishedRepo(t, true);
    const url = await serveFolder(t, path.join(dir, "public"));
    const metadataOnly = await runCli(["repo", "verify", url, "--root", ROOT(dir), "--json"]);
    assert.equal(metadataOnly.code, 0, metadataOnly.stdout);
    const report = metadataOnly.json<VerifyJson>();
    assert.equal(report.targetsChecked, null);
    assert.equal(report.roles.filter((r) => r.name.startsWith("bins-")).length, 16);
    const full = await runCli(["repo", "verify", url, "--root", ROOT(dir), "--check-targets", "--json"]);
    assert.equal(full.code, 0, full.stdout);
    assert.ok((full.json<VerifyJson>().targetsChecked ?? 0) >= 3);
    const table = await runCli(["repo", "verify", url, "--root", ROOT(dir)]);
    assert.match(table.stdout, /^bins-\* \(16 roles\)/m);

    writeFileSync(targetFile(dir, "app/1.0.0/f1.txt"), "F1.TXT 1.0.0");
    const tampered = await runCli(["repo", "verify", url, "--root", ROOT(dir), "--check-targets", "--json"]);
    assert.equal(tampered.code, 1);
    assert.deepEqual(
      tampered.json<VerifyJson>().problems.map((p) => [p.target, p.code]),
      [["app/1.0.0/f1.txt", "TUF_LENGTH_OR_HASH_MISMATCH"]],
    );
  });

  it("reports every problem of a broken repository in one run", async (t) => {
    const dir = await publishedRepo(t, true);
    const binOf = (p: string) => new SuccinctRoles([], 1, 4, "bins").roleForTarget(p);
    // A second release moves one bin to version 2 ...
    assert.equal((await release(dir, ["g1.txt"], "1.1.0")).code, 0);
    assert.equal((await runCli(["repo", "publish", dir])).code, 0);
    const metadata = path.join(dir, "public", "metadata");
    const rolledBack = binOf("app/1.1.0/g1.txt");
    assert.ok(existsSync(path.join(metadata, `2.${rolledBack}.json`)));

    // ... and a validly signed snapshot takes it back to version 1 (snapshot rollback).
    const repoDir = await RepoDir.open(dir, testOptions());
    const repo = await repoDir.load();
    const old = readFileSync(path.join(metadata, `1.${rolledBack}.json`));
    repo.snapshot.signed.meta.set(`${rolledBack}.json`, new MetaFile(1, old.length, computeHashes(old)));
    repo.resignSnapshot();
    await repoDir.publish(repo);

    // A root version 2 whose signature does not cover its content.
    const root = JSON.parse(readFileSync(path.join(metadata, "1.root.json"), "utf8")) as {
      signed: { version: number };
    };
    root.signed.version = 2;
    writeFileSync(path.join(metadata, "2.root.json"), JSON.stringify(root));

    // A bin that lists nothing, altered after signing.
    const isEmpty = (b: string) => {
      const md = JSON.parse(readFileSync(path.join(metadata, `1.${b}.json`), "utf8")) as {
        signed: { targets: object };
      };
      return Object.keys(md.signed.targets).length === 0 && !existsSync(path.join(metadata, `2.${b}.json`));
    };
    const broken = [...new SuccinctRoles([], 1, 4, "bins").roleNames()].find(isEmpty) as string;
    const binFile = path.join(metadata, `1.${broken}.json`);
    writeFileSync(binFile, readFileSync(binFile, "utf8").replace('"version":1', '"version":2'));

    // A target file changed, another removed.
    const f1 = targetFile(dir, "app/1.0.0/f1.txt");
    writeFileSync(f1, readFileSync(f1, "utf8").toUpperCase());
    rmSync(targetFile(dir, "app/1.0.0/f2.txt"));

    // Two days on, the one-day timestamp has expired.
    const run = await runCli(["repo", "verify", dir, "--root", ROOT(dir), "--at", "+2d", "--json"]);
    assert.equal(run.code, 1);
    const report = run.json<VerifyJson>();
    assert.equal(report.ok, false);
    const found = report.problems.map((p) => `${p.target ?? p.role} ${p.code}`).sort();
    assert.deepEqual(
      found,
      [
        "app/1.0.0/f1.txt TUF_LENGTH_OR_HASH_MISMATCH",
        "app/1.0.0/f2.txt TARGET_MISSING",
        `${broken} TUF_LENGTH_OR_HASH_MISMATCH`,
        "root TUF_UNSIGNED_METADATA",
        "snapshot TUF_BAD_VERSION",
        "timestamp TUF_EXPIRED_METADATA",
      ].sort(),
    );
    assert.match(report.problems.find((p) => p.role === "snapshot")?.message ?? "", /rollback/);
    const table = await runCli(["repo", "verify", dir, "--root", ROOT(dir), "--at", "+2d"]);
    assert.equal(table.code, 1);
    assert.match(table.stdout, /✗ app\/1\.0\.0\/f2\.txt/);
    assert.match(table.stdout, /^FAILED: 6 problem\(s\)/m);
  });

  it("warns, without failing, about a role that expires within its refresh window", async (t) => {
    const dir = await publishedRepo(t);
    // 20 hours on, the one-day timestamp is inside its 12-hour refreshBefore window.
    const run = await runCli(["repo", "verify", dir, "--root", ROOT(dir), "--at", "+20h", "--json"]);
    assert.equal(run.code, 0);
    const report = run.json<VerifyJson>();
    assert.deepEqual(
      report.warnings.map((w) => [w.role, w.code]),
      [["timestamp", "EXPIRES_SOON"]],
    );
    assert.ok((report.roles.find((r) => r.name === "timestamp")?.expiresIn ?? 0) < 4 * 3600);
  });

  it("refuses bad arguments with exit code 2", async (t) => {
    const dir = await publishedRepo(t);
    for (const argv of [
      ["repo", "verify", dir],
      ["repo", "verify", dir, "--root", ROOT(dir), "--at", "next week"],
      ["repo", "verify", dir, "--root", path.join(dir, "nope.json")],
      ["repo", "verify", path.dirname(dir), "--root", ROOT(dir)],
    ]) {
      assert.equal((await runCli(argv)).code, 2, argv.join(" "));
    }
  });
});
