import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { type Component, CYCLONEDX_SPEC_VERSION, cycloneDx, purlOf } from "../src/sbom/index.js";

const SHA = (c: string): string => c.repeat(64);
const subject = { name: "acme-desktop", version: "18.12.416", sha256: SHA("a") };
const components: Component[] = [
  {
    type: "npm",
    name: "electron-updater",
    version: "6.1.0",
    file: "resources/app.asar!/node_modules/electron-updater/package.json",
  },
  {
    type: "npm",
    name: "@acme/ui",
    version: "2.0.0-beta.1",
    file: "resources/app.asar!/node_modules/@acme/ui/package.json",
  },
  { type: "library", name: "ffmpeg", version: "4.4.1", file: "ffmpeg.dll", sha256: SHA("b") },
  { type: "library", name: "ffmpeg", version: "4.4.1", file: "copy/ffmpeg.dll", sha256: SHA("c") },
  { type: "library", name: "d3dcompiler_47", file: "d3dcompiler_47.dll", sha256: SHA("d") },
];

type Bom = {
  bomFormat: string;
  specVersion: string;
  serialNumber: string;
  version: number;
  metadata: { timestamp?: string; component: Record<string, unknown> };
  components: Record<string, unknown>[];
  dependencies: { ref: string; dependsOn: string[] }[];
};

describe("CycloneDX SBOM", () => {
  test("a 1.6 document: the release as metadata.component, components with purls and SHA-256 hashes", () => {
    const bom = cycloneDx(components, subject) as unknown as Bom;
    assert.equal(bom.bomFormat, "CycloneDX");
    assert.equal(bom.specVersion, CYCLONEDX_SPEC_VERSION);
    assert.equal(bom.specVersion, "1.6");
    assert.match(bom.serialNumber, /^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.equal(bom.version, 1);
    assert.deepEqual(bom.metadata.component, {
      type: "application",
      "bom-ref": "release",
      name: "acme-desktop",
      version: "18.12.416",
      hashes: [{ alg: "SHA-256", content: SHA("a") }],
    });
    assert.deepEqual(
      bom.components.map((c) => [c["bom-ref"], c.purl, c.group, c.name]),
      [
        ["pkg:generic/d3dcompiler_47", "pkg:generic/d3dcompiler_47", undefined, "d3dcompiler_47"],
        ["pkg:generic/ffmpeg@4.4.1", "pkg:generic/ffmpeg@4.4.1", undefined, "ffmpeg"],
        ["pkg:generic/ffmpeg@4.4.1#2", "pkg:generic/ffmpeg@4.4.1", undefined, "ffmpeg"],
        ["pkg:npm/%40acme/ui@2.0.0-beta.1", "pkg:npm/%40acme/ui@2.0.0-beta.1", "@acme", "ui"],
        ["pkg:npm/electron-updater@6.1.0", "pkg:npm/electron-updater@6.1.0", undefined, "electron-updater"],
      ],
    );
    const ffmpeg = bom.components[2]; // sorted by purl, then by file: copy/ffmpeg.dll comes first
    assert.deepEqual(ffmpeg?.hashes, [{ alg: "SHA-256", content: SHA("b") }]);
    assert.deepEqual(ffmpeg?.properties, [{ name: "bulwark:file", value: "ffmpeg.dll" }]);
    assert.deepEqual(bom.dependencies, [{ ref: "release", dependsOn: bom.components.map((c) => c["bom-ref"]) }]);
    assert.equal(bom.metadata.timestamp, undefined);
  });

  test("the same release gives the same bytes; a different one a different serial number", () => {
    const a = JSON.stringify(cycloneDx(components, subject));
    assert.equal(JSON.stringify(cycloneDx([...components].reverse(), subject)), a);
    const b = cycloneDx(components, { ...subject, sha256: SHA("e") }) as unknown as Bom;
    assert.notEqual(b.serialNumber, (JSON.parse(a) as Bom).serialNumber);
  });

  test("a timestamp is written when asked for", () => {
    const bom = cycloneDx([], subject, { timestamp: new Date("2026-03-29T00:00:00Z") }) as unknown as Bom;
    assert.equal(bom.metadata.timestamp, "2026-03-29T00:00:00.000Z");
  });

  test("property: purls encode every name so that it decodes back", () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1 }),
        fc.option(fc.string({ minLength: 1 }), { nil: undefined }),
        (name, version) => {
          const purl = purlOf({ type: "library", name, version, file: "f" });
          const m = /^pkg:generic\/([^@/?#]+)(?:@([^@/?#]+))?$/.exec(purl);
          assert.ok(m, purl);
          assert.equal(decodeURIComponent(m[1] as string), name);
          assert.equal(m[2] === undefined ? undefined : decodeURIComponent(m[2]), version);
        },
      ),
    );
  });
});
