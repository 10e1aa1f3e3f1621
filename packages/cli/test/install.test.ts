/**
 * Installable outside this checkout: `npm pack --workspaces` writes one tarball per published
 * package; `npm install`ing them into an empty folder with no workspace (third-party
 * dependencies from the registry) gives a working `npx bulwark` — `--help`, `quickstart` —
 * and an app there updates itself with the client README's example, from a repository made
 * and served by that installed `bulwark`.
 */
import assert from "node:assert/strict";
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { copyFileSync, existsSync, readdirSync, readFileSync, realpathSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { tarGz } from "../src/quickstart/demo-archive.js";
import { PASSPHRASE_ENV, tempDir } from "./helpers.js";

const CHECKOUT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../..");

/** Every package `npm pack --workspaces` must write; @bulwark/testkit is private and never packed. */
const PUBLISHED = ["attest", "audit", "cli", "client", "electron", "gateway", "publisher", "scan", "tlog", "tuf"].map(
  (p) => `@bulwark/${p}`,
);

const MINUTE = 60_000;

function inside(dir: string, file: string): boolean {
  const rel = path.relative(dir, file);
  return rel === "" || (!rel.startsWith("..") && !path.isAbsolute(rel));
}

/**
 * The environment of a user's shell: without the `npm_*` settings `npm test` passes down
 * (a prefix or workspace setting would point npm back at this checkout) and without this
 * checkout's node_modules/.bin folders on PATH (its own `bulwark`).
 */
function userEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...PASSPHRASE_ENV };
  for (const [key, value] of Object.entries(process.env)) {
    if (!/^npm_/i.test(key) && key !== "INIT_CWD") env[key] = value;
  }
  env.PATH = (process.env.PATH ?? "")
    .split(path.delimiter)
    .filter((dir) => dir !== "" && !inside(CHECKOUT, path.resolve(dir)))
    .join(path.delimiter);
  return env;
}

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a command to its end (killed after `timeout` ms). */
function run(cmd: string, args: string[], cwd: string, timeout = 3 * MINUTE): Promise<Run> {
  return new Promise((resolve) => {
    execFile(cmd, args, { cwd, env: userEnv(), timeout, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
      resolve({ code, stdout, stderr: error && code === 1 && !stderr ? String(error) : stderr });
    });
  });
}

/** Like {@link run}, and fails the test unless it exits 0. */
async function ok(cmd: string, args: string[], cwd: string, timeout?: number): Promise<string> {
  const r = await run(cmd, args, cwd, timeout);
  assert.equal(r.code, 0, `${cmd} ${args.join(" ")} exited ${r.code}\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/** Why the registry cannot be used, or undefined when it answers. */
async function registryUnreachable(cwd: string): Promise<string | undefined> {
  const ping = await run("npm", ["ping"], cwd, MINUTE);
  return ping.code === 0
    ? undefined
    : `the npm registry is unreachable (npm ping: ${ping.stderr.trim().split("\n")[0]})`;
}

/** The first ```js block of the client README: the app's updater. */
function clientReadmeExample(): string {
  const readme = readFileSync(path.join(CHECKOUT, "packages", "client", "README.md"), "utf8");
  const block = /```js\n([\s\S]*?)```/.exec(readme)?.[1];
  assert.ok(block, "packages/client/README.md has no ```js example");
  return block;
}

/** `bulwark serve DIR --port 0 --json` in `cwd`, stopped after the test; its URL. */
async function serve(t: { after(fn: () => unknown): void }, bulwark: string, dir: string, cwd: string) {
  const child: ChildProcess = spawn(process.execPath, [bulwark, "serve", dir, "--port", "0", "--json"], {
    cwd,
    env: userEnv(),
    stdio: ["ignore", "pipe", "ignore"],
  });
  t.after(() => {
    child.kill("SIGTERM");
  });
  const stdout = child.stdout;
  assert.ok(stdout);
  for await (const line of createInterface({ input: stdout })) {
    return (JSON.parse(line) as { url: string }).url;
  }
  throw new Error("bulwark serve exited before listening");
}

describe("the published packages' package.json", () => {
  it("names what npm needs to publish and install each one, and the private testkit is no workspace", () => {
    const root = JSON.parse(readFileSync(path.join(CHECKOUT, "package.json"), "utf8"));
    assert.ok(root.workspaces.includes("!packages/testkit"), "npm pack --workspaces would pack the testkit");
    const folders = readdirSync(path.join(CHECKOUT, "packages")).filter((f) => f !== "testkit");
    assert.deepEqual(folders.map((f) => `@bulwark/${f}`).sort(), PUBLISHED);
    for (const folder of folders) {
      const pkg = JSON.parse(readFileSync(path.join(CHECKOUT, "packages", folder, "package.json"), "utf8"));
      const where = `packages/${folder}/package.json`;
      assert.equal(pkg.private, undefined, where);
      assert.equal(pkg.type, "module", where);
      assert.equal(pkg.license, "Apache-2.0", where);
      assert.deepEqual(pkg.engines, { node: ">=20" }, where);
      assert.equal(pkg.main, "./dist/src/index.js", where);
      assert.equal(pkg.types, "./dist/src/index.d.ts", where);
      assert.deepEqual(pkg.exports["."], { types: pkg.types, default: pkg.main }, where);
      assert.ok(pkg.files.includes("dist/src") && pkg.files.includes("src"), where);
      assert.equal(pkg.repository?.directory, `packages/${folder}`, where);
      assert.ok(pkg.description && pkg.keywords?.length > 0, where);
      assert.deepEqual(pkg.publishConfig, { access: "public" }, where);
      if (folder === "cli") assert.deepEqual(pkg.bin, { bulwark: "bin/bulwark.js" }, where);
      assert.match(pkg.scripts?.prepack ?? "", /^node \.\.\/\.\.\/scripts\/prepack\.mjs/, where);
      assert.ok(
        existsSync(path.join(CHECKOUT, "packages", folder, "README.md")),
        `packages/${folder} has no README.md`,
      );
      for (const [dep, range] of Object.entries(pkg.dependencies ?? {})) {
        if (dep.startsWith("@bulwark/")) assert.equal(range, pkg.version, `${where}: ${dep} at the exact version`);
      }
    }
  });
});

describe("installing the packed packages outside the checkout", () => {
  it("gives a working npx bulwark (--help, quickstart) and an app that updates itself with @bulwark/client", {
    timeout: 15 * MINUTE,
  }, async (t) => {
    if (process.platform === "win32") return t.skip("the release's health check is a shell script");
    const app = tempDir(t, "bulwark-install-");
    assert.ok(inside(os.tmpdir(), app) && !inside(CHECKOUT, app), `${app} is inside the checkout`);
    const unreachable = await registryUnreachable(app);
    if (unreachable) return t.skip(unreachable);

    // From the root: one tarball per published package, testkit skipped.
    const packs = tempDir(t, "bulwark-packs-");
    const packed = JSON.parse(
      await ok("npm", ["pack", "--workspaces", "--json", "--pack-destination", packs], CHECKOUT, 5 * MINUTE),
    ) as Array<{ name: string; filename: string; files: Array<{ path: string }> }>;
    assert.deepEqual(packed.map((p) => p.name).sort(), PUBLISHED);
    assert.deepEqual(readdirSync(packs).sort(), packed.map((p) => p.filename).sort());
    for (const p of packed) {
      const files = p.files.map((f) => f.path);
      for (const needed of ["package.json", "README.md", "LICENSE", "dist/src/index.js", "dist/src/index.d.ts"]) {
        assert.ok(files.includes(needed), `${p.filename} lacks ${needed}`);
      }
      assert.ok(!files.some((f) => f.startsWith("dist/test/")), `${p.filename} ships compiled tests`);
    }
    const cli = packed.find((p) => p.name === "@bulwark/cli")?.files.map((f) => f.path) ?? [];
    assert.ok(cli.includes("bin/bulwark.js") && cli.includes("schemas/agent.schema.json"));

    // An empty folder with no workspace: the tarballs, and zod and yaml from the registry.
    writeFileSync(path.join(app, "package.json"), `${JSON.stringify({ name: "install-check", private: true })}\n`);
    for (const p of packed) copyFileSync(path.join(packs, p.filename), path.join(app, p.filename));
    await ok(
      "npm",
      ["install", "--no-audit", "--no-fund", "--prefer-offline", ...packed.map((p) => `./${p.filename}`)],
      app,
      5 * MINUTE,
    );
    for (const name of PUBLISHED) {
      const installed = realpathSync(path.join(app, "node_modules", name));
      assert.ok(inside(app, installed), `${name} resolves to ${installed}, not to a copy in ${app}`);
    }

    const help = await ok("npx", ["--no", "--", "bulwark", "--help"], app);
    assert.match(help, /Usage: bulwark <command>/);
    await ok("npx", ["--no", "--", "bulwark", "quickstart"], app, 5 * MINUTE); // exits 0 only when every scene goes as expected

    // The vendor: a repository made with the installed bulwark, served by it.
    const bulwark = path.join(app, "node_modules", "@bulwark", "cli", "bin", "bulwark.js");
    const platform = `${process.platform}-${process.arch}`;
    const release = async (version: string) => {
      const file = `demo-app-${version}.tar.gz`;
      writeFileSync(path.join(app, file), tarGz({ "bin/demo-app": `#!/bin/sh\necho "demo-app ${version}"\n` }));
      const add = ["release", "add", "./updates", file, "--name", "demo-app", "--version", version];
      await ok(process.execPath, [bulwark, ...add, "--platform", platform], app);
      await ok(process.execPath, [bulwark, "repo", "publish", "./updates"], app);
    };
    await ok(process.execPath, [bulwark, "repo", "init", "./updates", "--single-key"], app);
    await release("1.0.0");
    copyFileSync(path.join(app, "updates", "public", "metadata", "1.root.json"), path.join(app, "root.json"));
    const url = await serve(t, bulwark, "./updates", app);

    // The app: the client README's example, run as written.
    writeFileSync(path.join(app, "update.mjs"), clientReadmeExample());
    const update = () => ok(process.execPath, ["update.mjs", url], app);
    assert.match(await update(), /installed 1\.0\.0/);
    await release("1.1.0");
    assert.match(await update(), /installed 1\.1\.0/);
    assert.match(await update(), /up to date/);
    const current = path.join(app, "app", "current", "bin", "demo-app");
    assert.ok(existsSync(current));
    assert.equal(await ok(current, [], app), "demo-app 1.1.0\n");
  });
});
