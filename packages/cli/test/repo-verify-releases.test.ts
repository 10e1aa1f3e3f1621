/**
 * `bulwark repo verify` checks every release as a client does before installing it, over
 * loopback HTTP: a release whose log proof was deleted or corrupted, or whose attestations
 * do not meet the builder quorum, is a problem with the client's error code (exit 1),
 * while a good repository with the same policies still verifies (exit 0).
 */
import assert from "node:assert/strict";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { CLIENT_ERRORS } from "@bulwark/client";
import { tarGz } from "../src/quickstart/demo-archive.js";
import { APP, demoFiles, type Vendor } from "./e2e-helpers.js";
import { type CliRun, runCli } from "./helpers.js";
import { proofFiles, publishJson, vendorWithLog } from "./transparency-helpers.js";
import {
  attest,
  type Builder,
  bundleOf,
  genuineBuild,
  listDirectly,
  releaseAdd,
  SOURCE,
  vendorWithPolicy,
  writeArtifact,
} from "./verified-builds-helpers.js";

interface VerifyJson {
  ok: boolean;
  releasesChecked: number | null;
  problems: Array<{ role?: string; target?: string; code: string; message: string }>;
}

const P100 = `${APP}/1.0.0/${APP}-1.0.0.tar.gz`;
const P110 = `${APP}/1.1.0/${APP}-1.1.0.tar.gz`;

/** The root the vendor's clients ship with. */
function shippedRoot(vendor: Vendor): string {
  return path.join(vendor.dir, "public", "metadata", "1.root.json");
}

/** `bulwark repo verify URL --root ROOT --json` against the vendor's server. */
function verify(vendor: Vendor, json = true): Promise<CliRun> {
  return runCli(["repo", "verify", vendor.server.url, "--root", shippedRoot(vendor), ...(json ? ["--json"] : [])]);
}

/** The problems a failed run reports, as `target code`. */
function problemsOf(run: CliRun): string[] {
  assert.equal(run.code, 1, run.stdout);
  const report = run.json<VerifyJson>();
  assert.equal(report.ok, false);
  return report.problems.map((p) => `${p.target} ${p.code}`);
}

describe("bulwark repo verify checks releases as a client does", () => {
  it("reports a release whose log proof was deleted, and one whose proof was corrupted", async (t) => {
    const { vendor } = await vendorWithLog(t);
    const v100 = tarGz(demoFiles("1.0.0"));
    const v110 = tarGz(demoFiles("1.1.0"));
    for (const [version, bytes] of [
      ["1.0.0", v100],
      ["1.1.0", v110],
    ] as const) {
      await vendor.add(version, bytes);
      const published = await publishJson(vendor);
      assert.equal(published.code, 0, published.stderr);
    }
    const good = await verify(vendor);
    assert.equal(good.code, 0, good.stdout);
    assert.equal(good.json<VerifyJson>().releasesChecked, 2);

    // The proof of 1.0.0 deleted (both names it is published under).
    const proof100 = proofFiles(vendor, P100, v100);
    const saved = readFileSync(proof100.prefixed);
    rmSync(proof100.prefixed);
    rmSync(proof100.plain);
    const missing = await verify(vendor);
    assert.deepEqual(problemsOf(missing), [`${P100} ${CLIENT_ERRORS.NOT_IN_LOG}`]);
    assert.match(missing.json<VerifyJson>().problems[0]?.message ?? "", /app 1\.0\.0 is refused: it is not in the/);
    // The same from the repository folder, as the vendor runs it before uploading.
    const folder = await runCli(["repo", "verify", vendor.dir, "--root", shippedRoot(vendor), "--json"]);
    assert.deepEqual(problemsOf(folder), [`${P100} ${CLIENT_ERRORS.NOT_IN_LOG}`]);
    const table = await verify(vendor, false);
    assert.equal(table.code, 1);
    assert.match(
      table.stdout,
      /✗ app\/1\.0\.0\/app-1\.0\.0\.tar\.gz \(targets\): app 1\.0\.0 is refused.*\[CLIENT_NOT_IN_LOG\]/,
    );
    assert.match(table.stdout, /^FAILED: 1 problem\(s\); .*2 release\(s\)/m);
    writeFileSync(proof100.prefixed, saved);
    writeFileSync(proof100.plain, saved);
    assert.equal((await verify(vendor)).code, 0);

    // The proof of 1.1.0 corrupted: one hash of its inclusion path changed.
    const proof110 = proofFiles(vendor, P110, v110);
    const text = readFileSync(proof110.prefixed, "utf8");
    const corrupt = text.replace(/[A-Za-z0-9+/]{43}=/, (hash) => `${hash[0] === "A" ? "B" : "A"}${hash.slice(1)}`);
    assert.notEqual(corrupt, text);
    writeFileSync(proof110.prefixed, corrupt);
    writeFileSync(proof110.plain, corrupt);
    const bad = await verify(vendor);
    assert.deepEqual(problemsOf(bad), [`${P110} ${CLIENT_ERRORS.BAD_LOG_PROOF}`]);
    assert.match(bad.json<VerifyJson>().problems[0]?.message ?? "", /app 1\.1\.0 is refused/);
  });

  it("reports a release whose attestations do not meet the builder quorum", async (t) => {
    const { vendor, builders } = await vendorWithPolicy(t);
    const [a, b] = builders as [Builder, Builder];
    // 1.2.0 attested by A and B, as the policy (2 of A, B, C) requires.
    const file = writeArtifact(vendor.work, `${APP}-1.2.0.tar.gz`, genuineBuild("1.2.0"));
    const added = await releaseAdd(vendor.dir, file, "1.2.0", [await attest(a, file), await attest(b, file)]);
    assert.equal(added.code, 0, added.stderr);
    await vendor.publish();
    const good = await verify(vendor);
    assert.equal(good.code, 0, good.stdout);
    assert.equal(good.json<VerifyJson>().releasesChecked, 1);

    // 1.3.0 listed with the stolen online keys, attested by A alone.
    const bytes = genuineBuild("1.3.0");
    const file130 = writeArtifact(vendor.work, `${APP}-1.3.0.tar.gz`, bytes);
    const byA = readFileSync(await attest(a, file130, { version: "1.3.0" }));
    await listDirectly(vendor, {
      version: "1.3.0",
      fileName: `${APP}-1.3.0.tar.gz`,
      bytes,
      bundle: bundleOf(byA),
      custom: { source: SOURCE },
    });
    const run = await verify(vendor);
    assert.deepEqual(problemsOf(run), [`${APP}/1.3.0/${APP}-1.3.0.tar.gz ${CLIENT_ERRORS.NO_BUILD_QUORUM}`]);
    assert.match(run.json<VerifyJson>().problems[0]?.message ?? "", /app 1\.3\.0 is refused: .*attested by 1 of the 2/);
  });
});
