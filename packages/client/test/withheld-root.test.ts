/**
 * Route 3 of issue 12, the withheld root update: an app bundles root version 1 (from
 * before the vendor's release policy), the vendor's root version 2 adds the policy, and a
 * CDN answers 404 for 2.root.json. The client then trusts root 1, under which metadata the
 * same online keys sign lists anything. An app that says which policies (or which root
 * version) it expects refuses, fail closed, with a typed error and a hint.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { policyToJSON, RELEASE_POLICY_FIELD } from "@bulwark/attest";
import { CLIENT_ERRORS, ClientError, OUTDATED_ROOT_HINT, type UpdateClientOptions } from "@bulwark/client";
import type { TestLike } from "@bulwark/testkit";
import { PrivateKeySigner, UsageError } from "@bulwark/tuf";
import { APP, clientOf, Vendor } from "./attack-repo.js";

/** A vendor whose root 2 requires one builder for `app`, with an unattested trojan listed by the online keys. */
async function vendorWithWithheldRoot(): Promise<Vendor> {
  const vendor = await Vendor.create();
  const builder = PrivateKeySigner.generate();
  const root = vendor.repo.rotateRoot();
  root.unrecognized = {
    ...root.unrecognized,
    [RELEASE_POLICY_FIELD]: policyToJSON({
      products: new Map([
        [
          APP,
          {
            builders: [{ id: "https://builder.example", keys: new Map([[builder.keyId, builder.publicKey]]) }],
            threshold: 1,
            require: { artifactSha256: true, sourceDigest: false },
          },
        ],
      ]),
      default: undefined,
    }),
  };
  await vendor.publish();
  // The attacker, with the online keys, lists a trojan nobody attested...
  await vendor.list({ version: "9.9.9", bytes: Buffer.from("trojan") });
  // ...and the CDN withholds the root that would make clients ask for attestations.
  vendor.sim.overrides.set("metadata/2.root.json", "missing");
  return vendor;
}

async function refusesOutdatedRoot(promise: Promise<unknown>, what: RegExp): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof ClientError, `expected a ClientError, got ${String(error)}`);
    assert.equal(error.code, CLIENT_ERRORS.OUTDATED_ROOT);
    assert.match(error.message, what);
    assert.equal(error.hint, OUTDATED_ROOT_HINT);
    assert.match(error.hint ?? "", /ship the current root in every app build/);
    return true;
  });
}

async function assertNothingOfferedOrInstalled(
  t: TestLike,
  vendor: Vendor,
  options: Partial<UpdateClientOptions>,
  what: RegExp,
): Promise<void> {
  const { client, install, events } = clientOf(t, vendor, options);
  await refusesOutdatedRoot(client.releases(), what);
  await refusesOutdatedRoot(client.check(), what);
  await refusesOutdatedRoot(client.update(), what);
  assert.equal(install.current, undefined, "nothing was installed");
  assert.equal(install.prepared.size, 0, "nothing was prepared");
  assert.equal(
    events.find((e) => e.event === "update-available"),
    undefined,
  );
}

describe("withheld root update", () => {
  it("lets a client with no root requirements install an unattested trojan (the attack this closes)", async (t) => {
    const vendor = await vendorWithWithheldRoot();
    const { client, install } = clientOf(t, vendor);
    assert.deepEqual(await client.update(), { action: "installed", to: "9.9.9" });
    assert.equal(install.current, "9.9.9");
  });

  it("refuses to trust an old root without the policies the app expects (withheld root update)", async (t) => {
    const vendor = await vendorWithWithheldRoot();
    await assertNothingOfferedOrInstalled(
      t,
      vendor,
      { requirePolicies: { releasePolicy: true } },
      /no release policy \(verified builds\) for "app"/,
    );
  });

  it("refuses to trust a root below the app's minimum root version (withheld root update)", async (t) => {
    const vendor = await vendorWithWithheldRoot();
    await assertNothingOfferedOrInstalled(t, vendor, { minRootVersion: 2 }, /it is version 1, below 2/);
  });

  it("names every requirement the root misses", async (t) => {
    const vendor = await vendorWithWithheldRoot();
    await assertNothingOfferedOrInstalled(
      t,
      vendor,
      { requirePolicies: { releasePolicy: true, logPolicy: true }, minRootVersion: 3 },
      /version 1, below 3; it has no release policy .*; it has no transparency-log policy/,
    );
  });

  it("accepts the current root once it is served, and then holds releases to its policy", async (t) => {
    const vendor = await vendorWithWithheldRoot();
    vendor.sim.overrides.delete("metadata/2.root.json");
    const { client, install } = clientOf(t, vendor, { requirePolicies: { releasePolicy: true }, minRootVersion: 2 });
    await assert.rejects(client.update(), { code: CLIENT_ERRORS.NO_BUILD_QUORUM });
    assert.equal(install.current, undefined);
  });

  it("refuses a root that has a release policy, but not the log policy the app requires", async (t) => {
    const vendor = await vendorWithWithheldRoot();
    vendor.sim.overrides.delete("metadata/2.root.json");
    const { client } = clientOf(t, vendor, { requirePolicies: { releasePolicy: true, logPolicy: true } });
    await refusesOutdatedRoot(
      client.check(),
      /^the trusted root is not one this app accepts: it has no transparency-log policy\./,
    );
  });

  it("refuses a minimum root version that is not an integer >= 1 (a caller's mistake)", (t) => {
    const vendor = { firstRoot: new Uint8Array(), sim: undefined } as unknown as Vendor;
    for (const minRootVersion of [0, -1, 1.5, Number.NaN]) {
      assert.throws(
        () => clientOf(t, vendor, { minRootVersion }),
        (e: unknown) => {
          assert.ok(e instanceof UsageError);
          assert.equal(e.code, "CLIENT_USAGE");
          return true;
        },
      );
    }
  });
});
