/**
 * The 3CX replay. Three independent builders rebuild app 1.2.0 from the same commit; the
 * root requires 2 of 3 to agree. Builder C's machine is compromised and produces other
 * bytes. Its build is refused at publish, with a message naming who agreed and who did
 * not; with the online keys stolen as well, C's build listed directly in signed targets
 * metadata is refused by every client; the build A and B agree on is accepted and installs.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { QuorumError } from "@bulwark/attest";
import { CLIENT_ERRORS, ClientError } from "@bulwark/client";
import { currentLink, demoFiles, endpoint, installedFiles } from "./e2e-helpers.js";
import {
  attest,
  bundleOf,
  errorOf,
  genuineBuild,
  listDirectly,
  refusedInstall,
  releaseAdd,
  SOURCE,
  trojanBuild,
  vendorWithPolicy,
  writeArtifact,
} from "./verified-builds-helpers.js";

describe("verified builds: the 3CX replay", () => {
  it("refuses C's build at publish and at every client, even with the online keys stolen; installs what A and B agree on", async (t) => {
    const { vendor, builders } = await vendorWithPolicy(t);
    const [a, b, c] = builders as [(typeof builders)[0], (typeof builders)[0], (typeof builders)[0]];
    const file = "app-1.2.0.tar.gz";
    const genuine = writeArtifact(vendor.work, file, genuineBuild("1.2.0"));
    const rebuilt = writeArtifact(vendor.work, file, genuineBuild("1.2.0"));
    const trojan = writeArtifact(vendor.work, file, trojanBuild("1.2.0"));
    const byA = await attest(a, genuine);
    const byB = await attest(b, rebuilt);
    const byC = await attest(c, trojan);

    // The compromised pipeline publishes C's build with every attestation it has.
    const all = await releaseAdd(vendor.dir, trojan, "1.2.0", [byA, byB, byC]);
    assert.equal(all.code, 1);
    const refused = errorOf(all);
    assert.equal(refused.code, "ATTEST_NO_QUORUM");
    assert.match(refused.message, /attested by 1 of the 2 independent builders required/);
    assert.match(refused.message, /agreed: https:\/\/builder-c\.example;/);
    assert.match(
      refused.message,
      /disagreed: https:\/\/builder-a\.example \(.*another artifact.*https:\/\/builder-b\.example \(/,
    );

    // C alone: refused, A and B named as absent.
    const alone = errorOf(await releaseAdd(vendor.dir, trojan, "1.2.0", [byC]));
    assert.equal(alone.code, "ATTEST_NO_QUORUM");
    assert.match(
      alone.message,
      /agreed: https:\/\/builder-c\.example; no attestation from: https:\/\/builder-a\.example, https:\/\/builder-b\.example/,
    );

    // The genuine build with C's disagreeing attestation among them: C is the one named.
    const mixed = errorOf(await releaseAdd(vendor.dir, genuine, "1.2.0", [byA, byC]));
    assert.match(
      mixed.message,
      /agreed: https:\/\/builder-a\.example; disagreed: https:\/\/builder-c\.example \(.*another artifact/,
    );

    // A and B agree: accepted, published with their attestations, installed by clients.
    const add = await releaseAdd(vendor.dir, genuine, "1.2.0", [byA, byB, byC]);
    assert.equal(add.code, 0, add.stderr);
    assert.deepEqual(add.json<{ attestedBy: Record<string, string[]> }>().attestedBy, {
      "app/1.2.0/app-1.2.0.tar.gz": [a.id, b.id],
    });
    await vendor.publish();
    const fresh = endpoint(t, vendor);
    const events: string[] = [];
    fresh.client.on("builds-verified", (e: { message: string }) => events.push(e.message));
    assert.deepEqual(await fresh.client.update(), { action: "installed", to: "1.2.0" });
    assert.deepEqual(installedFiles(fresh), demoFiles("1.2.0"));
    assert.match(events.join("\n"), /attested by https:\/\/builder-a\.example, https:\/\/builder-b\.example/);
    const second = endpoint(t, vendor);

    // The attacker holds the online keys too, and lists C's build with C's attestation of it
    // as that release.
    const byC121 = await attest(c, writeArtifact(vendor.work, "app-1.2.1.tar.gz", trojanBuild("1.2.0")), {
      version: "1.2.1",
    });
    await listDirectly(vendor, {
      version: "1.2.1",
      fileName: "app-1.2.1.tar.gz",
      bytes: readFileSync(trojan),
      bundle: readFileSync(byC121),
      custom: { source: SOURCE },
    });
    for (const ep of [fresh, second]) {
      const error = await refusedInstall(
        ep,
        "1.2.1",
        CLIENT_ERRORS.NO_BUILD_QUORUM,
        /agreed: https:\/\/builder-c\.example/,
      );
      assert.ok(error instanceof ClientError);
      assert.ok(error.cause instanceof QuorumError);
      assert.deepEqual(error.cause.result.agreeing, [c.id]);
      assert.deepEqual(error.cause.result.absent, [a.id, b.id]);
    }
    // update() refuses it the same way, and the endpoint stays on 1.2.0.
    await assert.rejects(fresh.client.update(), { code: CLIENT_ERRORS.NO_BUILD_QUORUM });
    assert.equal(currentLink(fresh), "versions/1.2.0");

    // A's and B's genuine attestations beside C's do not help: they attest other bytes.
    await listDirectly(vendor, {
      version: "1.2.2",
      fileName: "app-1.2.2.tar.gz",
      bytes: readFileSync(trojan),
      bundle: bundleOf(readFileSync(byA), readFileSync(byB), readFileSync(byC)),
      custom: { source: SOURCE },
    });
    await refusedInstall(fresh, "1.2.2", CLIENT_ERRORS.NO_BUILD_QUORUM, /disagreed: https:\/\/builder-a\.example/);

    // No attestations at all, or a list naming a file that is not a signed target.
    await listDirectly(vendor, {
      version: "1.2.3",
      fileName: "a.tar.gz",
      bytes: readFileSync(trojan),
      custom: { source: SOURCE },
    });
    await refusedInstall(fresh, "1.2.3", CLIENT_ERRORS.NO_BUILD_QUORUM, /no attestation from/);
    await listDirectly(vendor, {
      version: "1.2.4",
      fileName: "a.tar.gz",
      bytes: readFileSync(trojan),
      custom: { source: SOURCE, attestations: ["app/1.2.0/app-1.2.0.tar.gz.intoto.jsonl.gone"] },
    });
    await refusedInstall(fresh, "1.2.4", CLIENT_ERRORS.NO_BUILD_QUORUM, /is not a signed target/);
    assert.equal(currentLink(fresh), "versions/1.2.0");
  });
});
