/**
 * The agent's TAP 4 configuration through `bulwark agent --once`: a map that mixes with
 * `repository`, lacks a repository's root, names a repository it does not define, or
 * cannot be read is a usage error naming the field (exit 2); a repository's first mirror
 * that cannot be reached is skipped for the next one.
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import type { TestLike } from "@bulwark/testkit";
import { EXIT } from "../src/exit-codes.js";
import { tarGz } from "../src/quickstart/demo-archive.js";
import { agentConfig, agentOnce, deadUrl, runningVersion, type Setup } from "./agent-helpers.js";
import { APP, demoFiles, Vendor } from "./e2e-helpers.js";

const NOWHERE = { metadataUrl: "http://127.0.0.1:9/metadata/", targetsUrl: "http://127.0.0.1:9/targets/" };
const MAPPING = [{ paths: [`${APP}/*/*`], repositories: ["vendor", "org"], threshold: 2, terminating: true }];

/** A TAP 4 agent configuration: `fields` over a map of two repositories at `urls`. */
function tap4Config(
  t: TestLike,
  fields: Record<string, unknown>,
  urls = { vendor: ["http://127.0.0.1:9/"], org: ["http://127.0.0.1:9/"] },
): Setup {
  const setup = agentConfig(
    t,
    { ...NOWHERE, root: Buffer.from("{}") },
    {
      repository: undefined,
      repositories: urls,
      mapping: MAPPING,
      trust: { vendor: { root: "vendor-root.json" }, org: { root: "org-root.json" } },
      healthCheck: undefined,
      log: undefined,
      ...fields,
    },
  );
  return setup;
}

async function refused(setup: Setup, ...problems: string[]): Promise<void> {
  const run = await agentOnce(setup);
  assert.equal(run.code, EXIT.USAGE, run.stderr);
  assert.match(run.stderr, /\[BAD_AGENT_CONFIG\]/);
  for (const problem of problems) assert.ok(run.stderr.includes(problem), `no ${problem} in ${run.stderr}`);
}

describe("the agent's TAP 4 configuration", () => {
  it("refuses `repository` beside a map", async (t) => {
    await refused(
      tap4Config(t, { repository: { ...NOWHERE, root: "root.json" } }),
      "give exactly one of `repository` (one repository), `repositories` with `mapping`, or `map`",
    );
  });

  it("refuses `repositories` without `mapping`", async (t) => {
    await refused(tap4Config(t, { mapping: undefined }), "`repositories` and `mapping` go together");
  });

  it("refuses a map without the root of each repository (`trust`)", async (t) => {
    await refused(tap4Config(t, { trust: undefined }), "a TAP 4 map needs `trust`");
    await refused(
      tap4Config(t, { trust: { vendor: { root: "vendor-root.json" } } }),
      "trust.org: repository org of the map needs its root here",
    );
  });

  it("refuses a mapping that names a repository the map does not define", async (t) => {
    await refused(
      tap4Config(t, { mapping: [{ ...MAPPING[0], repositories: ["vendor", "gateway"] }] }),
      'names "gateway", not in "repositories"',
    );
  });

  it("refuses a threshold the mapping's repositories cannot reach", async (t) => {
    await refused(tap4Config(t, { mapping: [{ ...MAPPING[0], threshold: 3 }] }), "more than the 2 repositories");
  });

  it("refuses top-level requirePolicies with a map (they go per repository)", async (t) => {
    await refused(
      tap4Config(t, { requirePolicies: { logPolicy: true } }),
      "with a TAP 4 map, set requirePolicies per repository in `trust`",
    );
  });

  it("refuses a map file it cannot read or that is not a map, naming the map file", async (t) => {
    const missing = tap4Config(t, { repositories: undefined, mapping: undefined, map: "maps/map.json" });
    await refused(missing, path.join(path.dirname(missing.config), "maps", "map.json"), "cannot read the map file");
    const wrong = tap4Config(t, { repositories: undefined, mapping: undefined, map: "map.json" });
    writeFileSync(path.join(path.dirname(wrong.config), "map.json"), JSON.stringify({ repositories: {}, mapping: [] }));
    await refused(wrong, "must name at least one repository");
  });

  it("skips a repository mirror it cannot reach for the next one", async (t) => {
    const vendor = await Vendor.create(t);
    const org = await Vendor.create(t);
    const bytes = tarGz(demoFiles("1.0.0"));
    for (const party of [vendor, org]) {
      await party.add("1.0.0", bytes);
      await party.publish();
    }
    const setup = tap4Config(t, {}, { vendor: [await deadUrl(), vendor.server.url], org: [org.server.url] });
    const dir = path.dirname(setup.config);
    writeFileSync(path.join(dir, "vendor-root.json"), vendor.root());
    writeFileSync(path.join(dir, "org-root.json"), org.root());
    const run = await agentOnce(setup);
    assert.equal(run.code, 0, run.stdout);
    assert.equal(runningVersion(setup), "1.0.0");
  });
});
