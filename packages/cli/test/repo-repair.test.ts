/**
 * A corrupted file in a repository folder — truncated (a disk fault, a killed copy),
 * overwritten with garbage, or with a wrong signature (a bad hand edit, tampering) — makes
 * every command fail with an error that names the file, says what is wrong and points at
 * `bulwark repo repair`; after `repo repair`, `repo publish` works and an endpoint that
 * updated before the fault updates again.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { tarGz } from "../src/quickstart/demo-archive.js";
import { demoFiles, endpoint, Vendor } from "./e2e-helpers.js";
import { runCli, snapshotTree } from "./helpers.js";

type Corruption = "truncated" | "garbage" | "a wrong signature";

const CORRUPT: Record<Corruption, (bytes: Buffer) => Buffer> = {
  truncated: (bytes) => bytes.subarray(0, Math.floor(bytes.length / 2)),
  garbage: () => Buffer.from("\u0000\u00ff this is not what was written here\n"),
  // One hex digit of the first signature changed: the file still parses.
  "a wrong signature": (bytes) => {
    const text = bytes.toString("utf8");
    const m = /"sig"\s*:\s*"([0-9a-f])/.exec(text);
    assert.ok(m, "the file has a signature");
    const at = m.index + m[0].length - 1;
    return Buffer.from(`${text.slice(0, at)}${m[1] === "0" ? "1" : "0"}${text.slice(at + 1)}`);
  },
};

/** The newest `N.<role>.json` in the repository's published metadata. */
function newest(dir: string, role: string): string {
  const versions = readdirSync(path.join(dir, "public", "metadata"))
    .map((n) => new RegExp(`^(\\d+)\\.${role}\\.json$`).exec(n)?.[1])
    .filter((v): v is string => v !== undefined)
    .map(Number);
  return `public/metadata/${Math.max(...versions)}.${role}.json`;
}

interface Case {
  readonly kind: string;
  readonly file: (dir: string) => string;
  readonly corruptions: readonly Corruption[];
  /** The error code commands fail with. */
  readonly code: string;
  /** 1.1.0 is staged when the fault happens (for the working state's files). */
  readonly staged?: "kept" | "lost";
  /** Before 1.0.0 is released. */
  readonly setup?: (vendor: Vendor) => Promise<void>;
  /** The commands that read the file (default: `release list` and `repo publish`). */
  readonly readBy?: ReadonlyArray<readonly string[]>;
}

/** A delegated role `plugins` with two plugin releases published one after the other (versions 1 and 2). */
async function withPlugins(vendor: Vendor): Promise<void> {
  assert.equal((await runCli(["role", "delegate", vendor.dir, "plugins", "--paths", "plugins/*"])).code, 0);
  for (const version of ["1.0.0", "2.0.0"]) {
    const file = path.join(vendor.work, `p-${version}.tgz`);
    writeFileSync(file, `plugin ${version}`);
    const target = `plugins/p-${version}.tgz`;
    const add = ["release", "add", vendor.dir, file, "--name", "p", "--version", version, "--target", target];
    assert.equal((await runCli(add)).code, 0);
    assert.equal((await runCli(["repo", "publish", vendor.dir])).code, 0);
  }
}

const CASES: readonly Case[] = [
  { kind: "bulwark.json", file: () => "bulwark.json", corruptions: ["truncated", "garbage"], code: "BAD_CONFIG" },
  {
    kind: "a root version",
    file: () => "public/metadata/1.root.json",
    corruptions: ["truncated", "garbage", "a wrong signature"],
    code: "CORRUPT_FILE",
  },
  {
    kind: "timestamp.json",
    file: () => "public/metadata/timestamp.json",
    corruptions: ["truncated", "garbage", "a wrong signature"],
    code: "CORRUPT_FILE",
  },
  {
    kind: "the current snapshot",
    file: (dir) => newest(dir, "snapshot"),
    corruptions: ["truncated", "garbage", "a wrong signature"],
    code: "CORRUPT_FILE",
  },
  {
    kind: "the current targets",
    file: (dir) => newest(dir, "targets"),
    corruptions: ["truncated", "garbage", "a wrong signature"],
    code: "CORRUPT_FILE",
  },
  {
    kind: "a delegated role",
    file: (dir) => newest(dir, "plugins"),
    corruptions: ["truncated", "a wrong signature"],
    code: "CORRUPT_FILE",
    setup: withPlugins,
    // Read where a command walks the delegations; a publish that changes nothing there does not.
    readBy: [
      ["release", "list"],
      ["repo", "status"],
    ],
  },
  {
    kind: "the staged state",
    file: () => "staged/state.json",
    corruptions: ["truncated", "garbage"],
    code: "CORRUPT_FILE",
    staged: "kept",
  },
  {
    kind: "a staged working copy",
    file: () => "staged/metadata/targets.json",
    corruptions: ["truncated", "garbage"],
    code: "CORRUPT_FILE",
    staged: "lost",
  },
];

describe("a corrupted repository file is named, and repo repair rebuilds from the last good state", () => {
  for (const c of CASES) {
    for (const how of c.corruptions) {
      it(`${c.kind}, ${how}`, async (t) => {
        const vendor = await Vendor.create(t);
        await c.setup?.(vendor);
        await vendor.release("1.0.0");
        const ep = endpoint(t, vendor);
        assert.equal((await ep.client.update()).action, "installed");
        const next = tarGz(demoFiles("1.1.0"));
        if (c.staged !== undefined) await vendor.add("1.1.0", next);

        const file = c.file(vendor.dir);
        const abs = path.join(vendor.dir, file);
        writeFileSync(abs, CORRUPT[how](readFileSync(abs)));

        // Every command that reads the repository names the file and the way out.
        for (const words of c.readBy ?? [
          ["release", "list"],
          ["repo", "publish"],
        ]) {
          const argv = [...words, vendor.dir, "--json"];
          const run = await runCli(argv);
          assert.notEqual(run.code, 0, `${argv.join(" ")} must refuse`);
          const { error } = run.json<{ error: { code: string; message: string; hint?: string } }>();
          assert.equal(error.code, c.code, error.message);
          assert.ok(error.message.includes(file), `${error.message} names ${file}`);
          assert.match(error.hint ?? "", /bulwark repo repair/);
        }

        const before = snapshotTree(vendor.dir);
        const dry = await runCli(["repo", "repair", vendor.dir, "--dry-run", "--json"]);
        assert.equal(dry.code, 0, dry.stderr);
        assert.ok(dry.json<{ actions: Array<{ file: string }> }>().actions.some((a) => a.file === file));
        assert.deepEqual(snapshotTree(vendor.dir), before, "--dry-run changes nothing");

        const repair = await runCli(["repo", "repair", vendor.dir, "--json"]);
        assert.equal(repair.code, 0, repair.stderr);
        const actions = repair.json<{ actions: Array<{ file: string; problem: string; action: string }> }>().actions;
        assert.ok(
          actions.some((a) => a.file === file && a.problem !== "" && a.action !== ""),
          JSON.stringify(actions),
        );

        const list = await runCli(["release", "list", vendor.dir, "--json"]);
        assert.equal(list.code, 0, list.stderr);
        const stagedNow = list
          .json<{ releases: Array<{ version: string; state: string }> }>()
          .releases.some((r) => r.version === "1.1.0" && r.state === "staged");
        if (c.staged === "kept") assert.ok(stagedNow, "the staged release is still staged");
        if (c.staged === "lost") assert.ok(!stagedNow, "a release its working copy no longer lists is unstaged");
        if (!stagedNow) await vendor.add("1.1.0", next);
        await vendor.publish();

        const outcome = await ep.client.update();
        assert.equal(outcome.action, "installed");
        assert.equal("to" in outcome ? outcome.to : undefined, "1.1.0");
        const again = await runCli(["repo", "repair", vendor.dir, "--json"]);
        assert.deepEqual(again.json<{ actions: unknown[] }>().actions, [], "nothing left to repair");
      });
    }
  }

  it("refuses a root version with no good copy, naming it", async (t) => {
    const vendor = await Vendor.create(t);
    for (const name of ["1.root.json", "root.json"]) {
      const abs = path.join(vendor.dir, "public", "metadata", name);
      writeFileSync(abs, CORRUPT.truncated(readFileSync(abs)));
    }
    const run = await runCli(["repo", "repair", vendor.dir, "--json"]);
    assert.equal(run.code, 1);
    const { error } = run.json<{ error: { code: string; message: string; hint: string } }>();
    assert.equal(error.code, "UNREPAIRABLE");
    assert.match(error.message, /public\/metadata\/1\.root\.json is corrupt/);
    assert.match(error.hint, /backup/);
  });

  it("says there is nothing to repair in a sound repository", async (t) => {
    const vendor = await Vendor.create(t);
    await vendor.release("1.0.0");
    const run = await runCli(["repo", "repair", vendor.dir]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /nothing to repair/);
  });
});
