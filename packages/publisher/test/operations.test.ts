/**
 * The library entry points called directly, without the CLI: create a repository, add a
 * release, publish it, refresh it. A library never prints, and asks for passphrases only
 * through the caller's callback.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath, pathToFileURL } from "node:url";
import { tempDir } from "@bulwark/testkit";
import { Metadata } from "@bulwark/tuf";
import {
  addRelease,
  initRepository,
  type ProgressEvent,
  PUBLISHER_ERRORS,
  PublisherError,
  publish,
  refreshRepository,
  repositoryStatus,
} from "../src/index.js";

const PASSPHRASE = "correct horse battery staple";
const DAY = 86400_000;

/** Options that unlock every key, asking for each passphrase through the callback. */
function options(asked: string[] = [], now: () => number = Date.now) {
  return {
    passphrase: async (role: string, purpose: "unlock" | "create") => {
      asked.push(`${role}:${purpose}`);
      return PASSPHRASE;
    },
    now,
  };
}

/** The library's entry point, as a child process imports it. */
const LIBRARY = pathToFileURL(path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "src", "index.js")).href;

/**
 * Runs `script` (an ES module body with `lib` bound to the library) in a child process, so
 * that anything the library writes to stdout or stderr is seen, and the test runner's own
 * output is not.
 */
async function runIsolated(script: string, env: Record<string, string>): Promise<{ stdout: string; stderr: string }> {
  const body = `const lib = await import(${JSON.stringify(LIBRARY)});\n${script}`;
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ["--input-type=module", "--eval", body],
      { env: { ...process.env, ...env } },
      (error, stdout, stderr) => (error ? reject(Object.assign(error, { stderr })) : resolve({ stdout, stderr })),
    );
  });
}

describe("publisher library", () => {
  it("creates a repository, asking each role's passphrase once for its new keys", async (t) => {
    const dir = path.join(tempDir(t), "repo");
    const asked: string[] = [];
    const made = await initRepository(dir, options(asked));
    assert.equal(made.dir, dir);
    assert.deepEqual(Object.keys(made.roles), ["root", "timestamp", "snapshot", "targets"]);
    assert.equal(made.roles.root.keys.length, 3);
    assert.equal(made.roles.root.threshold, 2);
    assert.deepEqual(asked, ["root:create", "timestamp:create", "snapshot:create", "targets:create"]);
    const root = Metadata.fromBytes(readFileSync(path.join(dir, "public", "metadata", "1.root.json")), "root");
    assert.equal(root.signed.role("root").threshold, 2);
    assert.ok(existsSync(path.join(dir, "bulwark.json")));
    await assert.rejects(initRepository(dir, options()), { code: PUBLISHER_ERRORS.ALREADY_A_REPOSITORY });
  });

  it("adds a release and publishes it, reporting progress through the callback", async (t) => {
    const base = tempDir(t);
    const dir = path.join(base, "repo");
    const file = path.join(base, "app-1.0.0.tar.gz");
    writeFileSync(file, "the release");
    const events: ProgressEvent[] = [];
    await initRepository(dir, { ...options(), singleKey: true });
    const added = await addRelease(dir, {
      ...options(),
      onProgress: (e) => events.push(e),
      name: "app",
      version: "1.0.0",
      files: [{ file }],
    });
    const published = await publish(dir, options());
    assert.deepEqual(
      added.files.map((f) => f.path),
      ["app/1.0.0/app-1.0.0.tar.gz"],
    );
    assert.equal(added.channel, "stable");
    assert.deepEqual(
      events.map((e) => e.phase),
      ["start", "advance", "end"],
    );
    assert.equal(published.dryRun, false);
    assert.equal(published.targets, 2, "the release file and its index");
    assert.equal(published.versions.timestamp, 2);
    const sha256 = added.files[0]?.sha256 as string;
    assert.equal(
      readFileSync(path.join(dir, "public", "targets", "app", "1.0.0", `${sha256}.app-1.0.0.tar.gz`), "utf8"),
      "the release",
    );
  });

  it("reports staged changes, then what clients see once published", async (t) => {
    const base = tempDir(t);
    const dir = path.join(base, "repo");
    const file = path.join(base, "app-1.0.0.tar.gz");
    writeFileSync(file, "the release");
    await initRepository(dir, { ...options(), singleKey: true });
    await addRelease(dir, { ...options(), name: "app", version: "1.0.0", files: [{ file }] });
    const before = await repositoryStatus(dir, options());
    assert.deepEqual(
      before.stagedTargets.map((t) => [t.path, t.role]),
      [
        ["app/1.0.0/app-1.0.0.tar.gz", "targets"],
        ["app/index.json", "targets"],
      ],
    );
    assert.ok(before.pendingRoles.includes("targets"));
    assert.equal(before.roles.find((r) => r.name === "targets")?.staged, true);
    assert.equal(before.keys[0]?.location, "file");
    await publish(dir, options());
    const after = await repositoryStatus(dir, options());
    assert.deepEqual(after.stagedTargets, []);
    assert.deepEqual(after.pendingRoles, []);
    assert.deepEqual(
      after.roles.map((r) => [r.name, r.version, r.staged]),
      [
        ["root", 1, false],
        ["targets", 2, false],
        ["snapshot", 2, false],
        ["timestamp", 2, false],
      ],
    );
  });

  it("prints nothing, whatever it does", async (t) => {
    const base = tempDir(t);
    writeFileSync(path.join(base, "app.tgz"), "the release");
    const { stdout, stderr } = await runIsolated(
      `
const options = { passphrase: async () => process.env.PASSPHRASE, cwd: process.env.BASE };
await lib.initRepository("repo", { ...options, singleKey: true });
await lib.addRelease("repo", { ...options, name: "app", version: "1.0.0", files: [{ file: "app.tgz" }] });
await lib.publish("repo", options);
await lib.rolloutRelease("repo", { name: "app", version: "1.0.0", percent: 10 }, options);
await lib.refreshRepository("repo", { ...options, force: true });
await lib.revokeRelease("repo", { name: "app", version: "1.0.0" }, options);
await lib.addRelease("repo", { ...options, name: "app", version: "1.0.0", files: [{ file: "nowhere.tgz" }] }).catch(() => undefined);
`,
      { PASSPHRASE, BASE: base },
    );
    assert.equal(stdout, "");
    assert.equal(stderr, "");
    assert.ok(existsSync(path.join(base, "repo", "public", "metadata", "4.targets.json")));
  });

  it("refuses a release it cannot check before reading anything", async (t) => {
    const dir = path.join(tempDir(t), "repo");
    await initRepository(dir, { ...options(), singleKey: true });
    for (const [what, release, code] of [
      ["a version that is not semver", { name: "app", version: "one" }, PUBLISHER_ERRORS.BAD_VERSION],
      ["a name with a slash", { name: "a/b", version: "1.0.0" }, PUBLISHER_ERRORS.BAD_NAME],
      ["an upper-case channel", { name: "app", version: "1.0.0", channel: "Beta" }, PUBLISHER_ERRORS.BAD_CHANNEL],
    ] as const) {
      await assert.rejects(addRelease(dir, { ...options(), ...release, files: [{ file: "missing" }] }), (e) => {
        assert.ok(e instanceof PublisherError, what);
        assert.equal(e.code, code, what);
        return true;
      });
    }
  });

  it("refreshes a timestamp about to expire, and nothing right after", async (t) => {
    const dir = path.join(tempDir(t), "repo");
    await initRepository(dir, { ...options(), singleKey: true });
    const fresh = await refreshRepository(dir, options());
    assert.deepEqual(fresh.due, []);
    assert.equal(fresh.refreshed, false);
    const later = () => Date.now() + 0.9 * DAY;
    const refreshed = await refreshRepository(dir, options([], later));
    assert.deepEqual(refreshed.due, ["timestamp"]);
    assert.equal(refreshed.refreshed, true);
    assert.equal(refreshed.versions.timestamp, 2);
    const again = await refreshRepository(dir, options([], later));
    assert.deepEqual(again.due, [], "a refresh is idempotent");
  });

  it("fails with a typed error when a key needs a passphrase and no callback gives one", async (t) => {
    const dir = path.join(tempDir(t), "repo");
    await assert.rejects(initRepository(dir, { singleKey: true }), (e) => {
      assert.ok(e instanceof PublisherError);
      assert.equal(e.code, PUBLISHER_ERRORS.NO_PASSPHRASE);
      assert.ok(e.hint);
      return true;
    });
    await initRepository(dir, { ...options(), singleKey: true });
    await assert.rejects(refreshRepository(dir, { force: true }), { code: PUBLISHER_ERRORS.NO_PASSPHRASE });
    await assert.rejects(refreshRepository(dir, { force: true, passphrase: async () => "short" }), {
      code: PUBLISHER_ERRORS.WEAK_PASSPHRASE,
    });
  });
});
