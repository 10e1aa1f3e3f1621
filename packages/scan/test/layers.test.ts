/**
 * Layers 3, 4 and 5 through the pipeline, each alone on a release with nothing else wrong:
 * an intel URL found in a script inside an asar inside the release archive, a YARA rule
 * matching a nested file, and an OSV advisory matching an npm module of the release. Each
 * finding names the file inside the release through its archives.
 */
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { tempDir } from "@bulwark/testkit";
import { scanRelease } from "../src/index.js";
import { writePe } from "./corpus/index.js";
import { asar, type Files, writeTarGz } from "./release-builders.js";

const RELEASE: Files = {
  "app/resources/app.asar": asar({
    "package.json": '{"name":"desktop","version":"3.1.0"}',
    "main.js": 'const beacon = "https://cdn.evil-updates.example-c2.net/p.bin";\n',
    node_modules: { "left-pad-ish": { "package.json": '{"name":"left-pad-ish","version":"1.2.3"}', "index.js": "x" } },
  }),
  "app/helper.sh": "#!/bin/sh\nexec ./app --no-sandbox\n",
};

function setup(t: Parameters<typeof tempDir>[0]): { release: string; dir: string } {
  const dir = tempDir(t);
  return { dir, release: writeTarGz(path.join(dir, "app-3.1.0.tar.gz"), RELEASE) };
}

describe("layers 3-5 through the pipeline", () => {
  it("threat intelligence alone: a listed domain in a nested script → high, review", async (t) => {
    const { dir, release } = setup(t);
    const intel = path.join(dir, "intel");
    mkdirSync(intel);
    writeFileSync(
      path.join(intel, "campaign.json"),
      JSON.stringify({
        type: "bundle",
        id: "bundle--11111111-1111-4111-8111-111111111111",
        objects: [
          {
            type: "indicator",
            spec_version: "2.1",
            id: "indicator--22222222-2222-4222-8222-222222222222",
            created: "2026-01-01T00:00:00Z",
            modified: "2026-01-01T00:00:00Z",
            name: "C2 domain",
            pattern: "[domain-name:value = 'cdn.evil-updates.example-c2.net']",
            pattern_type: "stix",
            valid_from: "2026-01-01T00:00:00Z",
          },
        ],
      }),
    );
    const { report } = await scanRelease(release, { intel });
    const hit = report.findings.find((f) => f.id === "intel.domain");
    assert.equal(hit?.file, "app/resources/app.asar!/main.js");
    assert.equal(hit?.severity, "high");
    assert.equal(report.verdict, "review");
    assert.equal(report.layers.intel?.indicators, 1);
  });

  it("YARA alone: a rule matching a nested file names it, with the rule's severity", async (t) => {
    const { dir, release } = setup(t);
    const rules = path.join(dir, "rules");
    mkdirSync(rules);
    writeFileSync(
      path.join(rules, "sandbox.yar"),
      'rule no_sandbox { meta: severity = "critical" description = "disables the sandbox" strings: $a = "--no-sandbox" condition: $a }\n',
    );
    const { report } = await scanRelease(release, { rules });
    const hit = report.findings.find((f) => f.id === "yara.no_sandbox");
    assert.equal(hit?.file, "app/helper.sh");
    assert.equal(hit?.severity, "critical");
    assert.equal(report.verdict, "block");
  });

  it("SBOM alone: an OSV advisory for a bundled npm module's version, and the module in the CycloneDX document", async (t) => {
    const { dir, release } = setup(t);
    const intel = path.join(dir, "osv");
    mkdirSync(intel);
    writeFileSync(
      path.join(intel, "GHSA-test-0001-aaaa.json"),
      JSON.stringify({
        schema_version: "1.6.0",
        id: "GHSA-test-0001-aaaa",
        modified: "2026-01-02T00:00:00Z",
        summary: "Prototype pollution in left-pad-ish",
        affected: [
          {
            package: { ecosystem: "npm", name: "left-pad-ish" },
            ranges: [{ type: "SEMVER", events: [{ introduced: "0" }, { fixed: "1.2.4" }] }],
          },
        ],
        database_specific: { severity: "HIGH" },
      }),
    );
    const { report, sbom } = await scanRelease(release, { intel, sbom: true });
    const hit = report.findings.find((f) => f.id === "sbom.vulnerable-component");
    assert.equal(hit?.file, "app/resources/app.asar!/node_modules/left-pad-ish/package.json");
    assert.equal(report.layers.sbom?.advisories, 1);
    const components = (sbom as { components: Array<{ name: string; version: string }> }).components;
    assert.ok(components.some((c) => c.name === "left-pad-ish" && c.version === "1.2.3"));
  });

  it("a PE truncated in its headers inside the release is a finding (format.binary.unreadable), not the end of the scan", async (t) => {
    const dir = tempDir(t);
    const pe = writePe({
      dll: true,
      sections: [{ name: ".text", data: new Uint8Array(4096), executable: true }],
      imports: [],
    });
    const release = writeTarGz(path.join(dir, "app.tar.gz"), { ...RELEASE, "app/cut.dll": pe.subarray(0, 300) });
    const { report } = await scanRelease(release);
    const cut = report.findings.find((f) => f.id === "format.binary.unreadable");
    assert.equal(cut?.file, "app/cut.dll");
    assert.match(String(cut?.evidence.code), /^SCAN_(BAD|LIMIT)_/);
    assert.equal(report.verdict, "review");
    assert.equal(report.release.files, 7); // the scan went on past it
  });
});
