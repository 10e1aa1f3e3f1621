/**
 * Route 3 of issue 12, the withheld root update, through the CLI: the vendor adds a release
 * policy with `bulwark policy set`, which replaces the online keys in the same root version.
 * The attacker kept a copy of the CI's repository folder from before (the old online keys)
 * and serves, from its own CDN, metadata those keys sign listing an unattested trojan, and
 * a 404 for the new root. An app that bundles the old root and requires the policies
 * refuses to install anything; once the new root reaches an app, the old online keys sign
 * nothing it accepts. The agent has no `requirePolicies` setting yet, so the endpoint is
 * the client library, over loopback HTTP.
 */
import assert from "node:assert/strict";
import { cpSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { CLIENT_ERRORS, DirectoryStrategy, type RootRequirements, UpdateClient } from "@bulwark/client";
import type { TestLike } from "@bulwark/testkit";
import { BulwarkError } from "@bulwark/tuf";
import { listWithStolenKeys } from "../src/quickstart/stolen-keys.js";
import { APP, Vendor } from "./e2e-helpers.js";
import { serveFolder, tempDir } from "./helpers.js";
import { makeBuilders, openRepo, SEPARATE_ROOT, setPolicy, trojanBuild } from "./verified-builds-helpers.js";

/** An app that shipped with the vendor's first root, fetching from `baseUrl`. */
function app(t: TestLike, vendor: Vendor, baseUrl: string, requirements: RootRequirements = {}) {
  const dir = tempDir(t, "bulwark-app-");
  const install = new DirectoryStrategy(path.join(dir, "app"));
  const client = new UpdateClient({
    name: APP,
    metadataUrl: `${baseUrl}metadata/`,
    targetsUrl: `${baseUrl}targets/`,
    trustedRoot: vendor.root(),
    dataDir: path.join(dir, "data"),
    install,
    platform: "linux-x64",
    ...requirements,
  });
  return { client, install };
}

describe("withheld root update", () => {
  it("an app that bundles an old root and is served a 404 for the next root refuses to install when it requires the policies (withheld root update)", async (t) => {
    // A vendor with no release policy yet (root 1), releasing 1.0.0 from its CI.
    const vendor = await Vendor.create(t, SEPARATE_ROOT);
    await vendor.release("1.0.0");
    // The attacker owns the CI: a copy of the repository folder, with the online keys.
    const stolen = path.join(tempDir(t, "bulwark-attacker-"), "repo");
    cpSync(vendor.dir, stolen, { recursive: true });

    // The vendor adds verified builds (1.0.0 was never attested); the same root version
    // replaces the online keys.
    const builders = await makeBuilders(vendor.work, ["A", "B"]);
    const set = await setPolicy(vendor.dir, builders, 2, ["--json", "--allow-unattested-existing"]);
    assert.equal(set.code, 0, set.stderr);
    const rotated = set.json<{ rotated: Array<{ role: string; privateKey: string; oldKeyFile?: string }> }>().rotated;
    assert.deepEqual(rotated.map((r) => r.role).sort(), ["snapshot", "targets", "timestamp"]);
    for (const r of rotated) assert.ok(existsSync(path.join(vendor.dir, r.privateKey)), `new key file ${r.privateKey}`);
    await vendor.publish();
    assert.ok(existsSync(path.join(vendor.dir, "public", "metadata", "2.root.json")));

    // With the old online keys the attacker lists an unattested trojan, and its CDN has no 2.root.json.
    await listWithStolenKeys(await openRepo(stolen), {
      name: APP,
      version: "9.9.9",
      fileName: "app-9.9.9.tar.gz",
      bytes: trojanBuild("9.9.9"),
    });
    const cdn = await serveFolder(t, path.join(stolen, "public"));
    const responds = await fetch(`${cdn}metadata/2.root.json`);
    assert.equal(responds.status, 404);

    // An app that requires the release policy refuses the old root: nothing is offered or installed.
    const careful = app(t, vendor, cdn, { requirePolicies: { releasePolicy: true } });
    await assert.rejects(careful.client.update(), { code: CLIENT_ERRORS.OUTDATED_ROOT });
    assert.equal(await careful.install.active(), undefined, "nothing installed");
    const pinned = app(t, vendor, cdn, { minRootVersion: 2 });
    await assert.rejects(pinned.client.update(), { code: CLIENT_ERRORS.OUTDATED_ROOT });
    assert.equal(await pinned.install.active(), undefined, "nothing installed");

    // Once the new root reaches an app, the old online keys sign nothing it accepts.
    writeFileSync(
      path.join(stolen, "public", "metadata", "2.root.json"),
      readFileSync(path.join(vendor.dir, "public", "metadata", "2.root.json")),
    );
    const updated = app(t, vendor, cdn);
    await assert.rejects(updated.client.update(), (error: unknown) => {
      assert.ok(error instanceof BulwarkError, String(error));
      assert.equal(error.code, "TUF_UNSIGNED_METADATA", error.message);
      return true;
    });
    assert.equal(await updated.install.active(), undefined, "nothing installed");
  });
});
