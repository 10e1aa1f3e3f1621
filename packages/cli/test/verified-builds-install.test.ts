/**
 * The client checks the builder quorum itself, whatever the publisher did: releases
 * listed with stolen online keys whose attestations are missing, malformed, oversized or
 * about something else are refused with a typed error and install nothing; a builder key
 * rotated out of the policy stops counting; a root whose policy cannot be read refuses
 * everything.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { before, describe, it } from "node:test";
import { ATTESTATION_LIMITS, CLIENT_ERRORS } from "@bulwark/client";
import fc from "fast-check";
import type { DirectListing } from "../src/quickstart/stolen-keys.js";
import { demoFiles, type Endpoint, endpoint, installedFiles, type Vendor } from "./e2e-helpers.js";
import { runCli } from "./helpers.js";
import {
  attest,
  type Builder,
  bundleOf,
  errorOf,
  genuineBuild,
  listDirectly,
  makeBuilders,
  OTHER_SOURCE,
  openRepo,
  refusedInstall,
  releaseAdd,
  SOURCE,
  setPolicy,
  sharedScope,
  vendorWithPolicy,
  writeArtifact,
} from "./verified-builds-helpers.js";

type Listing = Omit<DirectListing, "name" | "version" | "fileName" | "bytes">;

/** A's and B's attestations of the genuine bytes as one release, from the signed source or another. */
interface Attestations {
  readonly byA: Buffer;
  readonly byB: Buffer;
  readonly aOtherSource: Buffer;
  readonly bOtherSource: Buffer;
}

describe("the client verifies the quorum itself", () => {
  const scope = sharedScope();
  let vendor: Vendor;
  let ep: Endpoint;
  let a: Builder;
  let b: Builder;
  let artifact: Buffer;
  /** A's and B's attestations of release 1.2.0. */
  let of120: Attestations;
  let version = 0;

  async function attestations(v: string): Promise<Attestations> {
    const file = writeArtifact(vendor.work, `app-${v}.tar.gz`, artifact);
    const options = v === "1.2.0" ? {} : { version: v };
    return {
      byA: readFileSync(await attest(a, file, options)),
      byB: readFileSync(await attest(b, file, options)),
      aOtherSource: readFileSync(await attest(a, file, { ...options, source: OTHER_SOURCE })),
      bOtherSource: readFileSync(await attest(b, file, { ...options, source: OTHER_SOURCE })),
    };
  }

  before(async () => {
    const fixture = await vendorWithPolicy(scope);
    vendor = fixture.vendor;
    [a, b] = fixture.builders as [Builder, Builder];
    artifact = genuineBuild("1.2.0");
    of120 = await attestations("1.2.0");
    ep = endpoint(scope, vendor);
  });

  /**
   * Lists the genuine bytes as a new version with `listing`, given A's and B's attestations
   * of them as that version; returns the version.
   */
  async function list(listing: (own: Attestations) => Listing): Promise<string> {
    const v = `3.0.${version++}`;
    const own = await attestations(v);
    await listDirectly(vendor, { version: v, fileName: `app-${v}.tar.gz`, bytes: artifact, ...listing(own) });
    return v;
  }

  it("installs what A and B attest as this release, listed with the stolen keys or not", async () => {
    const v = await list(({ byA, byB }) => ({ bundle: bundleOf(byA, byB), custom: { source: SOURCE } }));
    const release = (await ep.client.releases()).find((r) => r.version === v);
    assert.ok(release);
    await ep.client.install(release);
    assert.deepEqual(installedFiles(ep), demoFiles("1.2.0"));
  });

  const cases: ReadonlyArray<{ name: string; listing: (own: Attestations) => Listing; message: RegExp }> = [
    {
      name: "an old attested build relabelled as a new version (relabelled release)",
      listing: () => ({ bundle: bundleOf(of120.byA, of120.byB), custom: { source: SOURCE } }),
      message:
        /attested by 0 of the 2.*disagreed: https:\/\/builder-a\.example \(attestation 0: its subject is named "app-1\.2\.0\.tar\.gz", not "app-3\.0\.\d+\.tar\.gz"\)/,
    },
    {
      name: "junk lines beside one good attestation",
      listing: ({ byA }) => ({
        bundle: Buffer.concat([byA, Buffer.from('not json\n{"payloadType":1}\n\u0000\n')]),
        custom: { source: SOURCE },
      }),
      message: /attested by 1 of the 2.*invalid: attestation 1 \(.*attestation 3/,
    },
    {
      name: "an envelope over the 1 MiB limit",
      listing: ({ byA }) => ({
        bundle: Buffer.concat([byA, Buffer.from(`{"payload":"${"A".repeat(1024 * 1024)}"}\n`)]),
        custom: { source: SOURCE },
      }),
      message: /invalid: attestation 1 \(.*(too large|more than|limit)/i,
    },
    {
      name: "a bundle over the 4 MiB limit (refused before it is fetched)",
      listing: () => ({
        bundle: Buffer.alloc(ATTESTATION_LIMITS.maxBundleBytes + 1, 0x20),
        custom: { source: SOURCE },
      }),
      message: /is 4194305 bytes, more than the 4194304 allowed/,
    },
    {
      name: "more than 64 attestations",
      listing: ({ byA }) => ({
        bundle: bundleOf(...Array.from({ length: 65 }, () => byA)),
        custom: { source: SOURCE },
      }),
      message: /more than the 64 attestations allowed/,
    },
    {
      name: "more than 8 attestation bundles",
      listing: () => ({
        custom: { source: SOURCE, attestations: Array.from({ length: 9 }, (_, i) => `app/${i}.jsonl`) },
      }),
      message: /lists 9 attestation bundles, more than the 8 allowed/,
    },
    {
      name: "attestations of another source than the signed one",
      listing: ({ aOtherSource, bOtherSource }) => ({
        bundle: bundleOf(aOtherSource, bOtherSource),
        custom: { source: SOURCE },
      }),
      message: /disagreed: https:\/\/builder-a\.example \(.*another source/,
    },
    {
      name: "a signed source other than the one attested",
      listing: ({ byA, byB }) => ({ bundle: bundleOf(byA, byB), custom: { source: OTHER_SOURCE } }),
      message: /another source/,
    },
    {
      name: "no signed source digest",
      listing: ({ byA, byB }) => ({ bundle: bundleOf(byA, byB) }),
      message: /requires a source digest, and the signed release names none/,
    },
    {
      name: "a malformed signed source digest",
      listing: ({ byA, byB }) => ({ bundle: bundleOf(byA, byB), custom: { source: "md5:0123" } }),
      message: /its source digest "md5:0123" is malformed/,
    },
  ];
  for (const c of cases) {
    it(`refuses ${c.name}`, async () => {
      const v = await list(c.listing);
      await refusedInstall(ep, v, CLIENT_ERRORS.NO_BUILD_QUORUM, c.message);
    });
  }

  it("never offers a release whose attestation list is not a list of paths", async () => {
    const v = await list(() => ({ custom: { source: SOURCE, attestations: "app/x.intoto.jsonl" } }));
    assert.equal(
      (await ep.client.releases()).find((r) => r.version === v),
      undefined,
    );
  });

  it("downloads no attestation bundle over the limit", () => {
    const big = readdirSync(path.join(ep.dataDir, "downloads")).filter((f) => f.endsWith(".intoto.jsonl"));
    for (const f of big)
      assert.ok(readFileSync(path.join(ep.dataDir, "downloads", f)).length <= ATTESTATION_LIMITS.maxBundleBytes);
  });

  it("refuses arbitrary bundles beside one good attestation with a typed error (property)", async () => {
    const junk = fc.sample(
      fc.oneof(
        fc.uint8Array({ maxLength: 300 }),
        fc.array(fc.json(), { maxLength: 4 }).map((lines) => new TextEncoder().encode(lines.join("\n"))),
      ),
      { numRuns: 12, seed: 6 },
    );
    for (const bytes of junk) {
      const v = await list(({ byA }) => ({
        bundle: Buffer.concat([byA, Buffer.from(bytes)]),
        custom: { source: SOURCE },
      }));
      await refusedInstall(ep, v, CLIENT_ERRORS.NO_BUILD_QUORUM, /attested by 1 of the 2/);
    }
  });
});

describe("builder keys rotated out of the policy", () => {
  it("stop counting, at publish and at install, until the builder attests again with its new key", async (t) => {
    const { vendor, builders } = await vendorWithPolicy(t);
    const [a, b, c] = builders as [Builder, Builder, Builder];
    const file = writeArtifact(vendor.work, "app-1.2.0.tar.gz", genuineBuild("1.2.0"));
    const oldB = await attest(b, file);
    assert.equal((await releaseAdd(vendor.dir, file, "1.2.0", [await attest(a, file), oldB])).code, 0);
    await vendor.publish();
    const early = endpoint(t, vendor);
    await early.client.update();
    assert.deepEqual(installedFiles(early), demoFiles("1.2.0"));

    // B's key is replaced in a new root: its old attestations count for nothing, so the
    // change is refused, naming 1.2.0, until the vendor accepts that clients will refuse it.
    const [fresh] = (await makeBuilders(vendor.work, ["B2"])) as [Builder];
    const newB: Builder = { ...fresh, id: b.id };
    const refused = await setPolicy(vendor.dir, [a, newB, c], 2, ["--json"]);
    assert.equal(errorOf(refused).code, "UNATTESTED_RELEASES");
    assert.match(
      errorOf(refused).message,
      /app 1\.2\.0 \(app\/1\.2\.0\/app-1\.2\.0\.tar\.gz: .*signed by no builder key/,
    );
    assert.equal((await setPolicy(vendor.dir, [a, newB, c], 2, ["--allow-unattested-existing"])).code, 0);
    await vendor.publish();
    const next = writeArtifact(vendor.work, "app-1.3.0.tar.gz", genuineBuild("1.3.0"));
    const stale = await releaseAdd(vendor.dir, next, "1.3.0", [await attest(a, next), await attest(b, next)]);
    assert.equal(errorOf(stale).code, "ATTEST_NO_QUORUM");
    assert.match(errorOf(stale).message, /invalid: attestation 1 \(it is signed by no builder key in the policy\)/);
    const late = endpoint(t, vendor);
    await refusedInstall(late, "1.2.0", CLIENT_ERRORS.NO_BUILD_QUORUM, /signed by no builder key in the policy/);

    // B attests 1.2.0 again with its new key; the vendor re-adds it (same bytes, new bundle).
    const again = await releaseAdd(vendor.dir, file, "1.2.0", [await attest(a, file), await attest(newB, file)]);
    assert.equal(again.code, 0, again.stderr);
    await vendor.publish();
    const release = (await late.client.releases()).find((r) => r.version === "1.2.0");
    assert.ok(release);
    await late.client.install(release);
    assert.deepEqual(installedFiles(late), demoFiles("1.2.0"));
  });
});

describe("a root whose release policy cannot be read", () => {
  it("refuses every release at the client and at publish", async (t) => {
    const { vendor, builders } = await vendorWithPolicy(t);
    const [a, b] = builders as [Builder, Builder];
    const file = writeArtifact(vendor.work, "app-1.2.0.tar.gz", genuineBuild("1.2.0"));
    assert.equal((await releaseAdd(vendor.dir, file, "1.2.0", [await attest(a, file), await attest(b, file)])).code, 0);
    await vendor.publish();
    // A policy this version cannot read (an unknown requirement), signed into root 3.
    const repoDir = await openRepo(vendor.dir);
    await repoDir.locked(async () => {
      const repo = await repoDir.load();
      const root = repo.rotateRoot();
      root.unrecognized = { "x-bulwark-release-policy": { products: {}, require_witnesses: 3 } };
      await repoDir.stage(repo);
      await repoDir.publish(repo);
    });
    await refusedInstall(
      endpoint(t, vendor),
      "1.2.0",
      CLIENT_ERRORS.BAD_RELEASE_POLICY,
      /unknown field "require_witnesses"/,
    );
    const add = await releaseAdd(vendor.dir, file, "1.2.1", []);
    assert.equal(add.code, 1);
    assert.equal(errorOf(add).code, "ATTEST_BAD_POLICY");
    assert.equal(errorOf(await runCli(["policy", "show", vendor.dir, "--json"])).code, "ATTEST_BAD_POLICY");
  });
});
