/** The verdict rule, and the 3CX shape named piece by piece. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type Finding, threeCxShape, verdictOf } from "../src/index.js";

const f = (
  id: string,
  severity: Finding["severity"],
  layer: Finding["layer"],
  file: string,
  evidence: Finding["evidence"] = {},
): Finding => ({
  id,
  severity,
  layer,
  file,
  why: "test",
  evidence,
});

const rebuilt = f("diff.binary.bytes-changed-version-unchanged", "high", "diff", "app/ffmpeg.dll", {
  version: "5.1.0",
});
const loader = f("diff.binary.new-imports", "medium", "diff", "app/ffmpeg.dll", {
  added: ["kernel32.dll!GetProcAddress", "kernel32.dll!LoadLibraryW"],
});
const appended = f("signature.pe.cert-table-appended-data", "high", "signature", "app/d3dcompiler_47.dll");

describe("the verdict", () => {
  it("is clean with only low and info findings, review with medium or high, block with critical", () => {
    assert.equal(verdictOf([f("a", "low", "diff", "x"), f("b", "info", "diff", "x")]), "clean");
    assert.equal(verdictOf([f("a", "medium", "diff", "x")]), "review");
    assert.equal(verdictOf([f("a", "high", "diff", "x")]), "review");
    assert.equal(verdictOf([f("a", "critical", "intel", "x")]), "block");
  });

  it("names each piece of the 3CX shape: silent rebuild + new loader imports + appended certificate-table data", () => {
    const shape = threeCxShape([rebuilt, loader, appended]);
    assert.equal(shape?.severity, "critical");
    assert.deepEqual(shape?.evidence, {
      changedWithoutVersionChange: ["diff.binary.bytes-changed-version-unchanged (app/ffmpeg.dll)"],
      newLoaderImports: [
        "kernel32.dll!GetProcAddress in app/ffmpeg.dll",
        "kernel32.dll!LoadLibraryW in app/ffmpeg.dll",
      ],
      signatureAnomalies: ["signature.pe.cert-table-appended-data (app/d3dcompiler_47.dll)"],
    });
  });

  it("needs the silent rebuild: new imports and a signature anomaly alone are not the shape", () => {
    assert.equal(threeCxShape([loader, appended]), undefined);
  });

  it("needs a second piece: a silent rebuild alone is not the shape", () => {
    assert.equal(threeCxShape([rebuilt]), undefined);
    assert.equal(
      threeCxShape([
        rebuilt,
        f("diff.binary.new-imports", "medium", "diff", "a", { added: ["kernel32.dll!CreateFileW"] }),
      ]),
      undefined,
    );
  });

  it("takes dlopen/dlsym as loader imports of an ELF library", () => {
    const elf = f("diff.binary.new-imports", "medium", "diff", "lib/libffmpeg.so", { added: ["sym:dlsym"] });
    assert.deepEqual(threeCxShape([rebuilt, elf])?.evidence.newLoaderImports, ["sym:dlsym in lib/libffmpeg.so"]);
  });
});
