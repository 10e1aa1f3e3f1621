/**
 * Names that try to leave their directory: delegated role names and target paths chosen
 * by a repository (or a delegate) to make the client write elsewhere. Every file the client
 * writes must be a direct child of the metadata or target directory, under the
 * percent-encoded name (python-tuf's `quote(name, safe="")`).
 */
import assert from "node:assert/strict";
import { lstatSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { PrivateKeySigner, UnsafeNameError } from "../src/index.js";
import { type Env, type Expected, makeEnv, published, readDir, rejection, walk } from "./attacks-kit.js";

const SAFE_TARGET = "files/a.txt";
const SAFE_TARGET_FILE = "files%2Fa.txt";
const TOP_LEVEL_FILES = ["root.json", "snapshot.json", "targets.json", "timestamp.json"];

/** Asserts the whole temporary tree holds exactly these files, each directly in its directory. */
function assertTree(env: Env, metadataFiles: readonly string[], targetFiles: readonly string[]): void {
  const client = "home/user/client";
  const expected = [
    "home",
    "home/user",
    client,
    `${client}/metadata`,
    ...metadataFiles.map((f) => `${client}/metadata/${f}`),
    `${client}/targets`,
    ...targetFiles.map((f) => `${client}/targets/${f}`),
  ];
  assert.deepEqual(walk(env.treeDir), expected.sort());
}

const roleNames: Array<{ name: string; file: string }> = [
  { name: "../evil", file: "..%2Fevil.json" },
  { name: "../../../../../../tmp/evil", file: "..%2F..%2F..%2F..%2F..%2F..%2Ftmp%2Fevil.json" },
  { name: "/abs", file: "%2Fabs.json" },
  { name: "a/b", file: "a%2Fb.json" },
  { name: "a%2Fb", file: "a%252Fb.json" },
  { name: "a\u0000b", file: "a%00b.json" },
  { name: "..", file: "...json" },
  { name: "..\\evil", file: "..%5Cevil.json" },
];

describe("delegated role names that try to escape the metadata directory", () => {
  for (const c of roleNames) {
    it(`keeps a delegated role named ${JSON.stringify(c.name)} inside the metadata directory, as ${c.file}`, async (t) => {
      const env = await makeEnv(t);
      env.repo.delegate("targets", { name: c.name, paths: ["files/*"], signers: [PrivateKeySigner.generate()] });
      env.repo.addTarget({ path: SAFE_TARGET, data: Buffer.from("a") }, c.name);
      await env.publish();
      const u = env.updater();
      const info = await u.getTargetInfo(SAFE_TARGET);
      assert.ok(info, "the target is found through the role");
      await u.downloadTarget(info);

      assert.ok(env.sim.requests.includes(`metadata/1.${c.file}`), "fetched under its encoded name");
      assertTree(env, [...TOP_LEVEL_FILES, c.file], [SAFE_TARGET_FILE]);
      assert.ok(readDir(env.metadataDir).get(c.file)?.equals(published(env.repo, c.name)));
    });
  }
});

const unsafe: Expected = { type: UnsafeNameError, code: "TUF_UNSAFE_NAME" };

const targetPaths: Array<{ path: string; file?: string; error?: Expected }> = [
  // Dot segments and empty segments would also leave the targets URL: refused outright.
  { path: "../../etc/passwd", error: unsafe },
  { path: "/etc/passwd", error: unsafe },
  { path: "a/../../b", error: unsafe },
  { path: "a//b", error: unsafe },
  { path: "%2e%2e%2fx", file: "%252e%252e%252fx" },
  { path: "a\u0000b", file: "a%00b" },
  { path: "\u0000", file: "%00" },
  { path: "..\\..\\evil", file: "..%5C..%5Cevil" },
  { path: "..", error: unsafe },
  { path: ".", error: unsafe },
  { path: "", error: unsafe },
];

describe("target paths that try to escape the target directory", () => {
  for (const c of targetPaths) {
    const name =
      c.file === undefined
        ? `refuses to fetch or store a target named ${JSON.stringify(c.path)}`
        : `keeps a target named ${JSON.stringify(c.path)} inside the target directory, as ${c.file}`;
    it(name, async (t) => {
      const env = await makeEnv(t);
      env.repo.addTarget({ path: c.path, data: Buffer.from("payload") });
      await env.publish();
      const u = env.updater();
      const info = await u.getTargetInfo(c.path);
      assert.ok(info);
      if (c.error) {
        await assert.rejects(u.downloadTarget(info), rejection(c.error));
        assert.deepEqual(
          env.sim.requests.filter((p) => p.startsWith("targets/")),
          [],
          "nothing is fetched for a target that cannot be stored",
        );
        assertTree(env, TOP_LEVEL_FILES, []);
        return;
      }
      const file = await u.downloadTarget(info);
      assert.equal(file, `${env.targetDir}/${c.file}`);
      assertTree(env, TOP_LEVEL_FILES, [c.file as string]);
      assert.equal(
        readDir(env.targetDir)
          .get(c.file as string)
          ?.toString(),
        "payload",
      );
    });
  }
});

describe("links planted in the target directory", () => {
  it("does not write through a symlink planted at the target's own path", async (t) => {
    const env = await makeEnv(t);
    env.repo.addTarget({ path: SAFE_TARGET, data: Buffer.from("payload") });
    await env.publish();
    const u = env.updater();
    const info = await u.getTargetInfo(SAFE_TARGET);
    assert.ok(info);
    // A local attacker who can write to the target directory links the file name the target
    // is stored under to a file outside it. (The temporary name is random and opened
    // exclusively, so it cannot be planted in advance.)
    const victim = path.join(env.treeDir, "victim.txt");
    writeFileSync(victim, "precious");
    const dest = u.targetPath(info);
    symlinkSync(victim, dest);

    assert.equal(await u.findCachedTarget(info), undefined, "a link to other bytes is not a cached copy");
    await u.downloadTarget(info);
    assert.equal(readFileSync(victim, "utf8"), "precious", "the file outside the target directory is untouched");
    assert.equal(lstatSync(dest).isSymbolicLink(), false, "the link was replaced, not followed");
    assert.equal(readFileSync(dest, "utf8"), "payload");
  });
});
