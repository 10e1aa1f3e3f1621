/**
 * Route 2 of issue 12, the relabelled release, through the CLI and the agent: whoever holds
 * the online keys takes an old attested build and offers it as a new version, with the
 * builders' real attestations copied. `release add` refuses it (the attestations bind the
 * file name and version, not only the bytes), and when the attacker lists it directly,
 * `bulwark agent --once` refuses to install it and keeps running the real release.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { CLIENT_ERRORS } from "@bulwark/client";
import { agentOnce, cycleFailure, plainAgentConfig, runningVersion } from "./agent-helpers.js";
import {
  attest,
  type Builder,
  bundleOf,
  errorOf,
  genuineBuild,
  listDirectly,
  releaseAdd,
  SOURCE,
  vendorWithPolicy,
  writeArtifact,
} from "./verified-builds-helpers.js";

describe("relabelled release", () => {
  it("an old attested build relabelled as a new version is refused by release add and by the endpoint (relabelled release)", async (t) => {
    const { vendor, builders } = await vendorWithPolicy(t);
    const [a, b] = builders as [Builder, Builder];
    // The vendor releases 1.2.0: A and B rebuild it from the tag and attest it.
    const build = genuineBuild("1.2.0");
    const file = writeArtifact(vendor.work, "app-1.2.0.tar.gz", build);
    const attestations = [await attest(a, file), await attest(b, file)];
    const added = await releaseAdd(vendor.dir, file, "1.2.0", attestations);
    assert.equal(added.code, 0, added.stdout);
    await vendor.publish();
    const setup = plainAgentConfig(t, vendor);
    assert.equal((await agentOnce(setup)).code, 0);
    assert.equal(runningVersion(setup), "1.2.0");

    // The attacker offers the same build, with the same attestations, as 9.0.0 ...
    const relabelled = writeArtifact(vendor.work, "app-9.0.0.tar.gz", build);
    const refused = await releaseAdd(vendor.dir, relabelled, "9.0.0", attestations);
    assert.equal(refused.code, 1, refused.stdout);
    const error = errorOf(refused);
    assert.equal(error.code, "ATTEST_NO_QUORUM");
    assert.match(error.message, /attested by 0 of the 2/);
    assert.match(error.message, /its subject is named "app-1\.2\.0\.tar\.gz", not "app-9\.0\.0\.tar\.gz"/);

    // ... and, refused there, lists it with the stolen online keys directly.
    await listDirectly(vendor, {
      version: "9.0.0",
      fileName: "app-9.0.0.tar.gz",
      bytes: build,
      bundle: bundleOf(...attestations.map((f) => readFileSync(f))),
      custom: { source: SOURCE },
    });
    const run = await agentOnce(setup);
    assert.equal(run.code, 1, run.stdout);
    const failed = cycleFailure(run);
    assert.equal(failed?.code, CLIENT_ERRORS.NO_BUILD_QUORUM, run.stdout);
    assert.match(failed?.message ?? "", /not "app-9\.0\.0\.tar\.gz"/);
    assert.equal(runningVersion(setup), "1.2.0", "the endpoint keeps running the real release");
  });
});
