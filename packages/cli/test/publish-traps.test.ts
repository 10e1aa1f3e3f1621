/**
 * No silent traps in publishing (issue 13, items 5 and 6): a publish with nothing staged
 * writes nothing, a published version is not changed by surprise, and the temporary files a
 * killed publish left are removed by the next one.
 */
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { initRepo, runCli, tempDir } from "./helpers.js";

async function addAndPublish(dir: string, name: string, bytes: string, extra: string[] = []): Promise<void> {
  const file = path.join(path.dirname(dir), name);
  writeFileSync(file, bytes);
  const add = await runCli(["release", "add", dir, file, "--name", "app", "--version", "1.0.0", ...extra]);
  assert.equal(add.code, 0, add.stderr);
  const pub = await runCli(["repo", "publish", dir]);
  assert.equal(pub.code, 0, pub.stderr);
}

function metadataFiles(dir: string): Map<string, string> {
  const meta = path.join(dir, "public", "metadata");
  return new Map(readdirSync(meta).map((n) => [n, readFileSync(path.join(meta, n), "utf8")]));
}

describe("repo publish with nothing staged", () => {
  it("says nothing to publish and writes no new timestamp or snapshot", async (t) => {
    const dir = await initRepo(t);
    await addAndPublish(dir, "app-1.0.0.tgz", "app 1.0.0");
    const before = metadataFiles(dir);
    const run = await runCli(["repo", "publish", dir]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stderr + run.stdout, /nothing to publish/);
    assert.deepEqual(metadataFiles(dir), before);
    const json = await runCli(["repo", "publish", dir, "--json"]);
    assert.equal(json.code, 0, json.stderr);
    const data = json.json<{ nothingToPublish: boolean; files: unknown[] }>();
    assert.equal(data.nothingToPublish, true);
    assert.deepEqual(data.files, []);
    assert.deepEqual(metadataFiles(dir), before);
  });
});

describe("re-adding a published version", () => {
  const cases = [
    {
      name: "with other bytes under the same name",
      file: "app-1.0.0.tgz",
      bytes: "app 1.0.0, rebuilt",
      extra: [],
      message: /app@1\.0\.0 is already published: app\/1\.0\.0\/app-1\.0\.0\.tgz was published with sha256/,
    },
    {
      name: "with a file it did not have",
      file: "app-1.0.0-fixed.tgz",
      bytes: "app 1.0.0, fixed",
      extra: [],
      message:
        /app@1\.0\.0 is already published: app\/1\.0\.0\/app-1\.0\.0-fixed\.tgz is not one of its published files/,
    },
    {
      name: "on another channel",
      file: "app-1.0.0.tgz",
      bytes: "app 1.0.0",
      extra: ["--channel", "beta"],
      message: /app@1\.0\.0 is already published: it is published on channel stable, not beta/,
    },
  ];
  for (const c of cases) {
    it(`refuses it ${c.name} unless --force`, async (t) => {
      const dir = await initRepo(t);
      await addAndPublish(dir, "app-1.0.0.tgz", "app 1.0.0");
      const file = path.join(path.dirname(dir), c.file);
      writeFileSync(file, c.bytes);
      const argv = ["release", "add", dir, file, "--name", "app", "--version", "1.0.0", ...c.extra];
      const refused = await runCli(argv);
      assert.equal(refused.code, 1, refused.stderr);
      assert.match(refused.stderr, c.message);
      assert.match(refused.stderr, /--force/);
      const status = await runCli(["repo", "publish", dir, "--json"]);
      assert.equal(status.json<{ nothingToPublish: boolean }>().nothingToPublish, true);
      const forced = await runCli([...argv, "--force"]);
      assert.equal(forced.code, 0, forced.stderr);
    });
  }

  it("still adds another platform's files before the version is published", async (t) => {
    const dir = await initRepo(t);
    for (const platform of ["linux-x64", "darwin-arm64"]) {
      const file = path.join(path.dirname(dir), `app-${platform}.tgz`);
      writeFileSync(file, platform);
      const run = await runCli([
        ...["release", "add", dir, file, "--name", "app", "--version", "1.0.0", "--platform", platform],
      ]);
      assert.equal(run.code, 0, run.stderr);
    }
  });
});

describe("temporary files of a killed publish", () => {
  it("are removed by the next publish, which says so", async (t) => {
    const dir = await initRepo(t);
    await addAndPublish(dir, "app-1.0.0.tgz", "app 1.0.0");
    const strays = [
      path.join("public", "metadata", ".timestamp.json.0123456789ab.tmp"),
      path.join("public", "targets", "app", "1.0.0", "app-1.0.0.tgz.a1b2c3d4e5f6.tmp"),
      path.join("staged", "targets", ".incoming-00112233aabb"),
      ".bulwark.json.abcdefabcdef.tmp",
    ];
    for (const s of strays) {
      mkdirSync(path.dirname(path.join(dir, s)), { recursive: true });
      writeFileSync(path.join(dir, s), "half-written");
    }
    const keep = path.join(dir, "public", "targets", "notes.tmp");
    writeFileSync(keep, "a file of the vendor's");
    const run = await runCli(["repo", "publish", dir]);
    assert.equal(run.code, 0, run.stderr);
    for (const s of strays) {
      assert.equal(existsSync(path.join(dir, s)), false, s);
      assert.match(run.stderr + run.stdout, new RegExp(`removed ${s.replace(/[.\\/]/g, "\\$&")}`));
    }
    assert.equal(existsSync(keep), true);
  });
});

describe("a failed repo init", () => {
  const weakTargets = { BULWARK_PASSPHRASE_ROOT: "a long enough root passphrase", BULWARK_PASSPHRASE: "short" };

  it("removes the folder it created when a passphrase fails midway", async (t) => {
    const dir = path.join(tempDir(t), "repo");
    const run = await runCli(["repo", "init", dir], { env: weakTargets });
    assert.notEqual(run.code, 0);
    assert.match(run.stderr, /WEAK_PASSPHRASE|passphrase/i);
    assert.equal(existsSync(dir), false);
  });

  it("removes only what it created from a folder that existed", async (t) => {
    const dir = path.join(tempDir(t), "repo");
    mkdirSync(dir);
    writeFileSync(path.join(dir, "notes.txt"), "the vendor's own file");
    const run = await runCli(["repo", "init", dir], { env: weakTargets });
    assert.notEqual(run.code, 0);
    assert.deepEqual(readdirSync(dir), ["notes.txt"]);
    const again = await runCli(["repo", "init", dir]);
    assert.equal(again.code, 0, again.stderr);
  });
});
