/**
 * `bulwark audit --compare A B`: two saved audits of the same vendor, before and after it
 * added a builder quorum (and the other way round).
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import type { AuditComparison } from "@bulwark/audit";
import { runCli, tempDir } from "./helpers.js";

async function ok(argv: string[]) {
  const run = await runCli(argv);
  assert.equal(run.code, 0, `bulwark ${argv.join(" ")}: ${run.stderr}`);
  return run;
}

describe("bulwark audit --compare", () => {
  it("shows the grade change, findings added and removed, and attack verdicts that changed", async (t) => {
    const work = tempDir(t, "bulwark-audit-compare-");
    const dir = path.join(work, "repo");
    await ok(["repo", "init", dir]);
    const before = path.join(work, "before.json");
    writeFileSync(before, (await ok(["audit", dir, "--format", "json", "--vendor-name", "Example"])).stdout);
    const builders: string[] = [];
    for (const name of ["ci", "rebuilder"]) {
      const key = path.join(work, `${name}.pem`);
      await ok(["attest", "keygen", "--out", key]);
      builders.push("--builder", `https://${name}.example=${key.replace(/\.pem$/, ".pub.json")}`);
    }
    await ok(["policy", "set", dir, "--default", "--threshold", "2", ...builders]);
    await ok(["repo", "publish", dir]);
    const after = path.join(work, "after.json");
    writeFileSync(after, (await ok(["audit", dir, "--json", "--vendor-name", "Example"])).stdout);

    const better = (await ok(["audit", "--compare", before, after, "--json"])).json<AuditComparison>();
    assert.equal(better.schema, "bulwark.dev/audit-compare@v1");
    assert.deepEqual([better.before.grade, better.after.grade, better.grade], ["B", "A", "better"]);
    assert.deepEqual(
      better.removed.map((f) => f.id),
      ["build.no-independent-builders"],
    );
    assert.deepEqual(
      better.added.map((f) => f.id),
      ["bulwark.release-policy"],
    );
    assert.deepEqual(better.attacks, [{ attack: "build-machine", before: "possible", after: "prevented" }]);

    const worse = await runCli(["audit", "--compare", after, before]);
    assert.equal(worse.code, 1, "a worse grade fails the run");
    assert.match(worse.stdout, /^Grade A → B \(worse\)/);
    assert.match(worse.stdout, /\+ high +nothing requires independent builders to agree/);
    assert.match(worse.stdout, /- info +clients install a release only when 2 of 2 builders attest/);
    assert.match(worse.stdout, /build machine \(3CX\): prevented → possible/);

    const same = await runCli(["audit", "--compare", after, after]);
    assert.equal(same.code, 0);
    assert.match(same.stdout, /No finding or attack verdict changed/);
  });

  it("refuses files that are not audit reports", async (t) => {
    const work = tempDir(t);
    const bad = path.join(work, "bad.json");
    writeFileSync(bad, JSON.stringify({ schema: "something/else", grade: "A" }));
    const run = await runCli(["audit", "--compare", bad, bad, "--json"]);
    assert.equal(run.code, 2);
    assert.equal(run.json<{ error: { code: string } }>().error.code, "AUDIT_BAD_REPORT");
    assert.equal((await runCli(["audit", "--compare", bad])).code, 2, "two files are needed");
  });
});
