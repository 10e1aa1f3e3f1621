import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { initRepo, runBin, runCli } from "./helpers.js";

describe("bulwark", () => {
  it("prints help with the commands and exit codes, and works as a real executable", async () => {
    const run = await runBin(["--help"]);
    assert.equal(run.code, 0);
    assert.match(run.stdout, /repo init/);
    assert.match(run.stdout, /Exit codes:/);
  });

  it("gives every command a --help built from its option table", async () => {
    const run = await runCli(["repo", "init", "--help"]);
    assert.equal(run.code, 0);
    assert.match(run.stdout, /--root-threshold K/);
    assert.match(run.stdout, /--json/);
  });

  it("refuses a command without a required option, naming it, and marks it required in --help", async () => {
    for (const argv of [
      ["attest", "keygen"],
      ["attest", "keygen", "--out", ""],
    ]) {
      const run = await runCli([...argv, "--json"]);
      assert.equal(run.code, 2, argv.join(" "));
      const { error } = run.json<{ error: { code: string; message: string } }>();
      assert.equal(error.code, "CLI_USAGE");
      assert.match(error.message, /--out KEYFILE is required/);
    }
    const help = await runCli(["attest", "keygen", "--help"]);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /--out KEYFILE\s+where to write the private key \(required\)/);
    assert.doesNotMatch(help.stdout, /--scheme SCHEME\s+.*\(required\)/);
  });

  it("answers an unknown command with exit code 2 and a hint", async () => {
    const run = await runCli(["nope"]);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /unknown command/);
    assert.match(run.stderr, /hint:/);
  });

  it("creates, stages and publishes a release, with --json output", async (t) => {
    const dir = await initRepo(t);
    const file = path.join(path.dirname(dir), "app-1.0.0.tgz");
    writeFileSync(file, "app 1.0.0");
    const add = await runCli(["release", "add", dir, file, "--name", "app", "--version", "1.0.0", "--json"]);
    assert.equal(add.code, 0, add.stderr);
    assert.equal(add.json<{ staged: Array<{ path: string }> }>().staged[0]?.path, "app/1.0.0/app-1.0.0.tgz");
    const pub = await runCli(["repo", "publish", dir, "--json"]);
    assert.equal(pub.code, 0, pub.stderr);
    const report = pub.json<{ files: Array<{ path: string }>; versions: Record<string, number> }>();
    assert.equal(report.versions.targets, 2);
    assert.ok(report.files.some((f) => f.path.endsWith(".app-1.0.0.tgz")));
  });

  it("refuses a version that is not semver, and a name that would escape", async (t) => {
    const dir = await initRepo(t);
    const file = path.join(path.dirname(dir), "a.tgz");
    writeFileSync(file, "a");
    for (const [flagName, value, code] of [
      ["--version", "1.0", "BAD_VERSION"],
      ["--name", "../x", "BAD_NAME"],
    ] as const) {
      const argv = ["release", "add", dir, file, "--name", "app", "--version", "1.0.0", flagName, value, "--json"];
      const run = await runCli(argv);
      assert.equal(run.code, 2);
      assert.equal(run.json<{ error: { code: string } }>().error.code, code);
    }
  });

  it("stages a release into the delegated role whose paths match it", async (t) => {
    const dir = await initRepo(t);
    const delegate = await runCli(["role", "delegate", dir, "plugins", "--paths", "plugins/*/*/*"]);
    assert.equal(delegate.code, 0, delegate.stderr);
    assert.equal((await runCli(["repo", "publish", dir])).code, 0);
    const file = path.join(path.dirname(dir), "p.tgz");
    writeFileSync(file, "plugin");
    const add = await runCli([
      "release",
      "add",
      dir,
      file,
      "--name",
      "x",
      "--version",
      "1.0.0",
      "--target",
      "plugins/x/1.0.0/p.tgz",
    ]);
    assert.equal(add.code, 0, add.stderr);
    assert.match(add.stdout, /plugins\/x\/1\.0\.0\/p\.tgz\s+6\s+\w+\s+plugins/);
    const pub = await runCli(["repo", "publish", dir, "--json"]);
    assert.equal(pub.code, 0, pub.stderr);
    assert.equal(pub.json<{ versions: Record<string, number> }>().versions.plugins, 2);
  });
});
