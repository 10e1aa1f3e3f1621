import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { serveFiles, setup, tempDir } from "@bulwark/testkit";
import { PrivateKeySigner, writeRepositoryFiles } from "../src/index.js";

describe("Updater against the repository simulator", () => {
  it("refreshes, finds and downloads a target, then reuses the verified cached copy", async (t) => {
    const { repo, sim, updater, targetDir } = await setup(t);
    repo.addTarget({ path: "apps/demo-1.0.0.tar.gz", data: Buffer.from("demo 1.0.0") });
    await repo.publish();
    sim.sync();
    const u = updater();
    await u.refresh();
    assert.deepEqual(sim.requests, [
      "metadata/2.root.json",
      "metadata/timestamp.json",
      "metadata/2.snapshot.json",
      "metadata/2.targets.json",
    ]);
    const info = await u.getTargetInfo("apps/demo-1.0.0.tar.gz");
    assert.ok(info);
    const file = await u.downloadTarget(info);
    assert.equal(path.dirname(file), targetDir);
    assert.equal(readFileSync(file, "utf8"), "demo 1.0.0");
    assert.equal(await u.findCachedTarget(info), file);
    assert.equal(await u.getTargetInfo("missing"), undefined);
  });

  it("walks delegations and hashed bins", async (t) => {
    const { repo, sim, updater } = await setup(t);
    const dev = PrivateKeySigner.generate();
    repo.delegate("targets", { name: "releases", paths: ["releases/*"], signers: [dev] });
    repo.addTarget({ path: "releases/a.txt", data: Buffer.from("a") }, "releases");
    await repo.publish();
    sim.sync();
    const info = await updater().getTargetInfo("releases/a.txt");
    assert.equal(info?.length, 1);
  });

  it("updates over real loopback HTTP", async (t) => {
    const { repo, metadataDir } = await setup(t);
    const bins = PrivateKeySigner.generate();
    repo.addHashedBins({ bitLength: 4, signers: [bins] });
    for (let i = 0; i < 50; i++) repo.addTarget({ path: `files/${i}.txt`, data: Buffer.from(`file ${i}`) });
    await repo.publish();
    const dir = tempDir(t);
    await writeRepositoryFiles(dir, repo.files());
    const server = await serveFiles(repo.files());
    t.after(() => server.close());
    const { Updater } = await import("../src/index.js");
    const u = new Updater({
      metadataDir,
      metadataBaseUrl: `${server.url}metadata`,
      targetBaseUrl: `${server.url}targets`,
      targetDir: tempDir(t),
    });
    const info = await u.getTargetInfo("files/7.txt");
    assert.ok(info);
    assert.equal(readFileSync(await u.downloadTarget(info), "utf8"), "file 7");
  });
});
