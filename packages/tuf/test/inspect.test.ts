/**
 * The repository inspector against the in-memory repository simulator: it walks what a
 * client walks, and reports every problem of a broken repository in one run, where a
 * client stops at the first.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { METADATA_URL, setup, TARGETS_URL } from "@bulwark/testkit";
import { httpRepository, inspectRepository, PrivateKeySigner } from "../src/index.js";

type T = Parameters<typeof setup>[0];

/** A published repository: two targets, a delegated role and 4 hashed bins under it. */
async function repository(t: T) {
  const env = await setup(t);
  env.repo.addTarget({ path: "app/a.txt", data: Buffer.from("a") });
  env.repo.delegate("targets", {
    name: "team",
    paths: ["team/*"],
    terminating: true,
    signers: [PrivateKeySigner.generate()],
  });
  env.repo.addTarget({ path: "team/b.txt", data: Buffer.from("b") }, "team");
  await env.repo.publish();
  env.sim.sync();
  const source = httpRepository({ metadataUrl: METADATA_URL, targetsUrl: TARGETS_URL, fetcher: env.sim });
  return { ...env, source, root: env.repo.publishedBytes("root") as Uint8Array };
}

describe("inspectRepository", () => {
  it("walks every role of a sound repository and checks its targets: no problem", async (t) => {
    const { source, root } = await repository(t);
    const r = await inspectRepository(source, { trustedRoot: root, checkTargets: true });
    assert.deepEqual(r.problems, []);
    assert.deepEqual(r.warnings, []);
    assert.equal(r.rootVerified, true);
    assert.deepEqual(
      r.roles.map((x) => x.name),
      ["root", "timestamp", "snapshot", "targets", "team"],
    );
    assert.deepEqual([...r.delegated.keys()], ["team"]);
    assert.equal(r.delegated.get("team")?.delegator, "targets");
    assert.equal(r.targetsChecked, 2);
  });

  it("trusts the served root on first use when given none", async (t) => {
    const { source } = await repository(t);
    const r = await inspectRepository(source);
    assert.deepEqual(r.problems, []);
    assert.equal(r.targetsChecked, null);
  });

  it("reports every problem of a broken repository in one run", async (t) => {
    const { source, root, sim, repo } = await repository(t);
    const snapshotVersion = repo.snapshot.signed.version;
    const teamVersion = repo.snapshot.signed.meta.get("team.json")?.version;
    sim.overrides.set(`metadata/${teamVersion}.team.json`, "missing");
    const aFile = [...sim.repo.files()].find((f) => /^targets\/app\/[0-9a-f]+\.a\.txt$/.test(f.path));
    assert.ok(aFile, "the consistent-snapshot name of app/a.txt");
    sim.overrides.set(aFile.path, Buffer.from("A"));
    const later = Date.now() + 3 * 86_400_000; // the one-day timestamp has expired
    const r = await inspectRepository(source, { trustedRoot: root, checkTargets: true, at: later });
    assert.deepEqual(r.problems.map((p) => `${p.target ?? p.role} ${p.code}`).sort(), [
      "app/a.txt TUF_LENGTH_OR_HASH_MISMATCH",
      "team METADATA_MISSING",
      "timestamp TUF_EXPIRED_METADATA",
    ]);
    assert.equal(r.problems.find((p) => p.role === "team")?.file, `${teamVersion}.team.json`);
    assert.equal(r.snapshot?.signed.version, snapshotVersion);
  });

  it("a bounded look reads the first bin of a set and counts the rest as unread", async (t) => {
    const env = await setup(t);
    env.repo.addHashedBins({ bitLength: 2, namePrefix: "bins", signers: [PrivateKeySigner.generate()] });
    await env.repo.publish();
    env.sim.sync();
    const source = httpRepository({ metadataUrl: METADATA_URL, targetsUrl: TARGETS_URL, fetcher: env.sim });
    const bounded = await inspectRepository(source, { firstBinOnly: true, maxDelegatedRoles: 16 });
    assert.deepEqual(bounded.problems, []);
    assert.deepEqual([...bounded.delegated.keys()], ["bins-0"]);
    assert.equal(bounded.unread, 3);
    assert.equal(bounded.binSets.get("bins-0"), "bins-*");
    const capped = await inspectRepository(source, { maxDelegatedRoles: 1 });
    assert.equal(capped.delegated.size, 1);
    assert.equal(capped.unread, 3);
    const full = await inspectRepository(source);
    assert.equal(full.delegated.size, 4);
    assert.equal(full.unread, 0);
  });

  it("a trusted root that its own keys did not sign: one problem, nothing else read", async (t) => {
    const { source, root, sim } = await repository(t);
    const json = JSON.parse(Buffer.from(root).toString()) as { signed: { version: number }; signatures: unknown[] };
    json.signatures = [];
    const before = sim.requests.length;
    const r = await inspectRepository(source, { trustedRoot: Buffer.from(JSON.stringify(json)) });
    assert.equal(r.rootVerified, false);
    assert.deepEqual(
      r.problems.map((p) => `${p.role} ${p.code}`),
      ["root TUF_UNSIGNED_METADATA"],
    );
    assert.equal(sim.requests.length, before);
  });
});
