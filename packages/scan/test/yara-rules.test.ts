import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { tempDir } from "@bulwark/testkit";
import fc from "fast-check";
import { ScanFormatError } from "../src/errors.js";
import { countRules, loadYaraRules } from "../src/yara/index.js";
import { write } from "./intel-fixtures.js";

const LOADER_RULES = `
import "pe"

// A loader that reads a payload appended to a signed DLL.
rule appended_payload_loader : loader trojan {
  meta:
    severity = "critical"
    description = "reads a payload hidden after a signed DLL's certificate table"
  strings:
    $dll = "d3dcompiler_47.dll" ascii wide
    $marker = { FE ED FA CE FE ED FA CE }
  condition:
    all of them
}

rule plain_string {
  strings:
    $a = "suspicious-beacon"
  condition:
    $a
}

rule info_only {
  meta:
    severity = "info"
  condition:
    filesize < 10
}
`;

function sample(): Uint8Array {
  const bytes = Buffer.alloc(4096, 0x41);
  bytes.write("d3dcompiler_47.dll", 100, "latin1");
  Buffer.from("FEEDFACEFEEDFACE", "hex").copy(bytes, 3000);
  bytes.write("suspicious-beacon", 2000, "latin1");
  bytes[2017] = 0x00;
  return bytes;
}

describe("YARA rules", () => {
  test("matches become findings: severity from meta (default high), rule, namespace, tags and matched strings with offsets", async (t) => {
    const dir = write(tempDir(t), {
      "loader.yar": LOADER_RULES,
      "sub/other.yara": "rule plain_string { condition: false }",
    });
    const rules = await loadYaraRules(dir);
    assert.equal(rules.count, 4);
    assert.deepEqual(rules.files, ["loader.yar", "sub/other.yara"]);
    const findings = await rules.scan("resources/app/ffmpeg.dll", sample());
    assert.deepEqual(
      findings.map((f) => [f.id, f.severity, f.layer, f.file, f.evidence.namespace]),
      [
        ["yara.appended_payload_loader", "critical", "yara", "resources/app/ffmpeg.dll", "loader.yar"],
        ["yara.plain_string", "high", "yara", "resources/app/ffmpeg.dll", "loader.yar"],
      ],
    );
    const [loader, plain] = findings;
    assert.deepEqual(loader?.evidence.tags, ["loader", "trojan"]);
    assert.deepEqual(loader?.evidence.matches, [
      "$dll@100+18: d3dcompiler_47.dll",
      "$marker@3000+8: \\xfe\\xed\\xfa\\xce\\xfe\\xed\\xfa\\xce",
    ]);
    assert.match(loader?.why ?? "", /reads a payload hidden/);
    assert.deepEqual(plain?.evidence.matches, ["$a@2000+17: suspicious-beacon"]);
    assert.deepEqual(await rules.scan("clean.bin", Buffer.alloc(100, 0x20)), []);
  });

  test("a compile error names the file and the line", async (t) => {
    const dir = write(tempDir(t), {
      "good.yar": 'rule ok { strings: $a = "x" condition: $a }',
      "broken.yar": 'rule a {\n  strings:\n    $a = "x"\n  condition:\n    $b\n}\n',
    });
    await assert.rejects(loadYaraRules(dir), (e: unknown) => {
      assert.ok(e instanceof ScanFormatError);
      assert.equal(e.code, "SCAN_BAD_YARA");
      assert.equal(e.file, "broken.yar");
      assert.match(e.message, /^broken\.yar:5: unknown pattern `\$b`/);
      return true;
    });
  });

  test("rejects a rules file that includes another file (include is disabled: rules cannot read the disk)", async (t) => {
    const secret = write(tempDir(t), { "secret.yar": "rule secret_rule_name { condition: true }" });
    const dir = write(tempDir(t), { "a.yar": `include "${join(secret, "secret.yar")}"\nrule a { condition: false }` });
    await assert.rejects(loadYaraRules(dir), (e: unknown) => {
      assert.ok(e instanceof ScanFormatError && e.code === "SCAN_BAD_YARA");
      assert.match(e.message, /^a\.yar:1: include statements not allowed/);
      assert.doesNotMatch(e.message, /secret_rule_name/);
      return true;
    });
  });

  test("a string matching everywhere gives bounded evidence", async (t) => {
    const dir = write(tempDir(t), { "a.yar": 'rule many { strings: $a = "AAAA" condition: $a }' });
    const rules = await loadYaraRules(dir, { limits: { maxMatchesPerPattern: 50, maxEvidenceMatches: 5 } });
    const [f] = await rules.scan("big", Buffer.alloc(1_000_000, 0x41));
    assert.equal(f?.evidence.matchCount, 50);
    assert.equal((f?.evidence.matches as readonly string[] | undefined)?.length, 5);
  });

  test("a directory without rules files is a usage error", async (t) => {
    const dir = write(tempDir(t), { "README.md": "no rules here" });
    await assert.rejects(loadYaraRules(dir), { code: "SCAN_NO_RULES" });
  });

  test("rule counting ignores comments and strings", () => {
    assert.equal(countRules(LOADER_RULES), 3);
    assert.equal(countRules('/* rule a { */ // rule b {\nrule c { strings: $a = "rule d {" condition: $a }'), 1);
    assert.equal(countRules("private rule p { condition: true } global rule g : tag { condition: true }"), 2);
  });

  test("property: any byte content scans without throwing", async (t) => {
    const rules = await loadYaraRules(write(tempDir(t), { "loader.yar": LOADER_RULES }));
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 4096 }), async (bytes) => {
        for (const f of await rules.scan("x", bytes)) assert.equal(f.layer, "yara");
      }),
      { numRuns: 200 },
    );
  });

  test("agrees with Debian's yara on which rules match and where (oracle)", async (t) => {
    if (spawnSync("yara", ["--version"]).status !== 0) {
      t.skip("Debian's yara is not installed (apt-get install yara): oracle not run");
      return;
    }
    const dir = write(tempDir(t), { "loader.yar": LOADER_RULES, "sample.bin": "" });
    writeFileSync(join(dir, "sample.bin"), sample());
    const out = execFileSync("yara", ["-s", join(dir, "loader.yar"), join(dir, "sample.bin")], { encoding: "utf8" });
    const oracle = out
      .split("\n")
      .filter((l) => l.startsWith("0x"))
      .map((l) => {
        const [offset, id] = l.split(":");
        return `${id}@${Number(offset)}`;
      })
      .sort();
    const rules = await loadYaraRules(dir);
    const ours = (await rules.scan("sample.bin", sample()))
      .flatMap((f) => f.evidence.matches as readonly string[])
      .map((m) => m.slice(0, m.indexOf("+")))
      .sort();
    assert.deepEqual(ours, oracle);
  });
});
