/**
 * `bulwark audit` of TUF and Bulwark repositories, end to end: a repository made by `bulwark repo init`
 * with production defaults and a builder quorum gets the best grade; each weakening (one
 * root key, a one-year timestamp, no builder quorum, …) lowers it with the matching finding.
 */
import assert from "node:assert/strict";
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import type { AuditReport } from "@bulwark/audit";
import { audit } from "./audit.test.js";
import { runCli, serveFolder, tempDir } from "./helpers.js";

type T = { after(fn: () => void): void };

async function ok(argv: string[]): Promise<void> {
  const run = await runCli(argv);
  assert.equal(run.code, 0, `bulwark ${argv.join(" ")}: ${run.stderr}`);
}

/** `bulwark repo init DIR` with `init` options, then (unless `quorum` is false) a 2-of-3 builder policy, published. */
async function vendor(t: T, init: string[] = [], quorum = true): Promise<string> {
  const work = tempDir(t, "bulwark-audit-");
  const dir = path.join(work, "repo");
  await ok(["repo", "init", dir, ...init]);
  if (!quorum) return dir;
  const builders: string[] = [];
  for (const name of ["ci", "rebuilder", "partner"]) {
    const key = path.join(work, `${name}.pem`);
    await ok(["attest", "keygen", "--out", key]);
    builders.push("--builder", `https://${name}.example=${key.replace(/\.pem$/, ".pub.json")}`);
  }
  await ok(["policy", "set", dir, "--default", "--threshold", "2", ...builders]);
  await ok(["repo", "publish", dir]);
  return dir;
}

function ids(r: AuditReport): string {
  return r.findings.map((f) => `${f.severity} ${f.id}`).join(", ");
}

function has(r: AuditReport, id: string, severity: string): void {
  assert.ok(
    r.findings.some((f) => f.id === id && f.severity === severity),
    `expected ${severity} ${id}; got ${ids(r)}`,
  );
}

describe("bulwark audit: Bulwark repositories", () => {
  it("production defaults (root 2 of 3, timestamp 1 day) with a builder quorum: grade A", async (t) => {
    const r = await audit(await vendor(t));
    assert.equal(r.feed.type, "bulwark");
    assert.equal(r.grade, "A", ids(r));
    assert.equal(r.counts.critical + r.counts.high + r.counts.medium, 0, ids(r));
    has(r, "bulwark.release-policy", "info");
    const verdicts = Object.fromEntries(r.attacks.map((a) => [a.attack, a.verdict]));
    assert.deepEqual(verdicts, {
      "arbitrary-install": "prevented",
      rollback: "prevented",
      freeze: "limited",
      "mix-and-match": "prevented",
      "endless-data": "prevented",
      "targeted-release": "limited",
      "build-machine": "prevented",
    });
    assert.match(r.summary, /3CX\) is refused/);
  });

  const weakened: Array<[string, string[], boolean, string, string]> = [
    ["no builder quorum", [], false, "build.no-independent-builders", "high"],
    ["one root key", ["--root-keys", "1", "--root-threshold", "1"], true, "tuf.root.single-key", "high"],
    ["a one-year timestamp", ["--expiry", "timestamp=365d"], true, "tuf.timestamp.long-expiry", "high"],
    ["root threshold 1 of 3", ["--root-threshold", "1"], true, "tuf.root.threshold-one", "high"],
    ["a 14-day timestamp", ["--expiry", "timestamp=14d"], true, "tuf.timestamp.long-expiry", "medium"],
    ["a 90-day snapshot", ["--expiry", "snapshot=90d"], true, "tuf.snapshot.long-expiry", "medium"],
  ];
  for (const [name, init, quorum, id, severity] of weakened) {
    it(`${name}: grade B, ${severity} ${id}`, async (t) => {
      const r = await audit(await vendor(t, init, quorum));
      has(r, id, severity);
      assert.equal(r.grade, "B", ids(r));
    });
  }

  it("one key for every role (--single-key): the root key is online, grade D", async (t) => {
    const r = await audit(await vendor(t, ["--single-key"]));
    for (const role of ["timestamp", "snapshot", "targets"]) {
      assert.ok(
        r.findings.some((f) => f.id === "tuf.root.key-online" && f.subject === role),
        ids(r),
      );
    }
    has(r, "tuf.root.single-key", "high");
    assert.equal(r.grade, "D", ids(r));
    // The verdicts follow the finding: whoever reaches the online key holds every key.
    for (const a of r.attacks.filter((x) => x.attack !== "build-machine")) {
      assert.notEqual(a.verdict, "prevented", `${a.attack}: ${a.detail}`);
    }
    assert.equal(
      r.attacks.find((a) => a.attack === "arbitrary-install")?.verdict,
      "limited",
      "the builder quorum still holds",
    );
  });

  it("unversioned metadata (--no-consistent-snapshot) is a low finding", async (t) => {
    const r = await audit(await vendor(t, ["--no-consistent-snapshot"], false));
    has(r, "tuf.consistent-snapshot.off", "low");
  });

  it("an expired timestamp is a finding, and the freeze window is over", async (t) => {
    const dir = await vendor(t, ["--expiry", "timestamp=1s"], false);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const r = await audit(dir);
    has(r, "tuf.timestamp.expired", "medium");
  });

  it("a delegation of every path to a one-key role is a finding", async (t) => {
    const dir = await vendor(t);
    await ok(["role", "delegate", dir, "everything", "--paths", "*"]);
    await ok(["repo", "publish", dir]);
    const r = await audit(dir);
    has(r, "tuf.delegation.any-path-one-key", "medium");
    has(r, "tuf.delegation.non-terminating", "info");
    assert.match(r.feed.facts.find((f) => f.name === "delegations")?.value ?? "", /^1 \(0 terminating\)/);
  });

  it("hashed bins are summarised, one bin read", async (t) => {
    const dir = await vendor(t, [], false);
    const config = path.join(dir, "bulwark.json");
    writeFileSync(
      config,
      readFileSync(config, "utf8").replace(/"hashedBinsThreshold": \d+/, '"hashedBinsThreshold": 1'),
    );
    for (const version of ["1.0.0", "1.0.1"]) {
      const file = path.join(dir, `app-${version}.tgz`);
      writeFileSync(file, version);
      await ok(["release", "add", dir, file, "--name", "app", "--version", version]);
    }
    await ok(["repo", "publish", dir]);
    const r = await audit(dir);
    assert.match(r.feed.facts.find((f) => f.name === "delegations")?.value ?? "", /16 hashed bins bins-\*, 1 of 1 key/);
    has(r, "tuf.delegation.not-read", "info");
    assert.ok(!r.findings.some((f) => f.id.endsWith("does-not-verify") || f.id.endsWith(".missing")), ids(r));
  });

  it("reads the same repository as a folder, its metadata folder, a root.json, a URL and from a trusted root", async (t) => {
    const dir = await vendor(t);
    const metadata = path.join(dir, "public", "metadata");
    const base = (await serveFolder(t, path.join(dir, "public"))).slice(0, -1);
    for (const input of [
      metadata,
      path.join(metadata, "root.json"),
      `${base}/metadata/`,
      `${base}/metadata/root.json`,
    ]) {
      const r = await audit(input);
      assert.equal(r.feed.type, "bulwark", input);
      assert.equal(r.grade, "A", `${input}: ${ids(r)}`);
      if (input.startsWith("http")) has(r, "transport.loopback", "info");
    }
    const trusted = await audit(dir, ["--root", path.join(metadata, "1.root.json")]);
    assert.equal(trusted.feed.facts.find((f) => f.name === "root versions")?.value, "1–2");
  });

  it("a root.json alone is audited as a root", async (t) => {
    const dir = await vendor(t, [], false);
    const lone = path.join(tempDir(t), "lone");
    mkdirSync(lone);
    copyFileSync(path.join(dir, "public", "metadata", "root.json"), path.join(lone, "root.json"));
    const r = await audit(path.join(lone, "root.json"));
    has(r, "tuf.root-only", "info");
    assert.ok(!r.findings.some((f) => f.id.endsWith(".missing")), ids(r));
    assert.equal(r.attacks.find((a) => a.attack === "freeze")?.verdict, "unknown");
  });
});
