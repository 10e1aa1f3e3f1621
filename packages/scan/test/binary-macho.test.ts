import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { analyzeBinary, checkSignature, sniffBinary } from "../src/binary/index.js";
import { ScanFormatError, ScanLimitError } from "../src/errors.js";
import { writeFat, writeMacho } from "./corpus/index.js";
import { hasTool, missing, runTool } from "./corpus/oracle.js";

const app = (sign?: Parameters<typeof writeMacho>[0]["sign"]): Uint8Array =>
  writeMacho({
    kind: "execute",
    dylibs: ["/usr/lib/libSystem.B.dylib", "@rpath/Electron Framework.framework/Electron Framework"],
    sections: [
      { segment: "__TEXT", name: "__text", data: new Uint8Array(5000).fill(0x1f), executable: true },
      { segment: "__DATA", name: "__data", data: new TextEncoder().encode("https://example.com") },
    ],
    ...(sign ? { sign } : {}),
  });

const ffmpeg = (): Uint8Array =>
  writeMacho({
    kind: "dylib",
    cpu: "x86_64",
    id: { name: "@rpath/libffmpeg.dylib", version: "5.1.2" },
    dylibs: ["/usr/lib/libSystem.B.dylib"],
    sections: [{ segment: "__TEXT", name: "__text", data: new Uint8Array(100), executable: true }],
    sign: { identifier: "libffmpeg", teamId: "ABCDE12345" },
  });

const ids = (findings: readonly { id: string }[]): string[] => findings.map((f) => f.id);

describe("Mach-O reader", () => {
  test("reads an executable: dylib imports, sections, and the signing identity and team id from the CodeDirectory", async () => {
    const bytes = app({ identifier: "com.example.app", teamId: "ABCDE12345" });
    assert.equal(sniffBinary(bytes), "macho");
    const info = analyzeBinary(bytes, "MacOS/App");
    assert.equal(info.executable, true);
    assert.deepEqual(info.imports, [
      "dylib:/usr/lib/libSystem.B.dylib",
      "dylib:@rpath/Electron Framework.framework/Electron Framework",
    ]);
    assert.deepEqual(
      info.sections.map((s) => [s.name, s.size, s.executable]),
      [
        ["__TEXT,__text", 5000, true],
        ["__DATA,__data", 19, false],
      ],
    );
    assert.deepEqual(info.signature, {
      present: true,
      signer: "com.example.app (team ABCDE12345)",
      teamId: "ABCDE12345",
      adhoc: false,
    });
    assert.deepEqual((await checkSignature(bytes, "MacOS/App")).findings, []);
  });

  test("reads a library's LC_ID_DYLIB name and current_version", () => {
    const info = analyzeBinary(ffmpeg(), "libffmpeg.dylib");
    assert.equal(info.executable, false);
    assert.equal(info.name, "@rpath/libffmpeg.dylib");
    assert.equal(info.version, "5.1.2");
  });

  test("reports an unsigned executable (medium) and an ad-hoc signature (low)", async () => {
    const unsigned = await checkSignature(app(), "App");
    assert.deepEqual(unsigned.info, { present: false });
    assert.deepEqual(
      unsigned.findings.map((f) => [f.id, f.severity]),
      [["signature.macho.unsigned-executable", "medium"]],
    );
    const adhoc = await checkSignature(app({ identifier: "a.out", adhoc: true }), "App");
    assert.equal(adhoc.info.adhoc, true);
    assert.deepEqual(
      adhoc.findings.map((f) => [f.id, f.severity]),
      [["signature.macho.adhoc-signature", "low"]],
    );
  });

  test("reports data after the code signature", async () => {
    const bytes = new Uint8Array(
      Buffer.concat([app({ identifier: "com.example.app", teamId: "T" }), Buffer.alloc(4096, 9)]),
    );
    const { findings } = await checkSignature(bytes, "App");
    assert.deepEqual(ids(findings), ["signature.macho.data-after-signature"]);
    assert.equal(analyzeBinary(bytes, "App").overlay?.size, 4096);
  });

  test("reads a fat file: every slice's imports and sections; signed only when every slice is", async () => {
    const fat = writeFat([app({ identifier: "com.example.app", teamId: "T" }), ffmpeg()]);
    const info = analyzeBinary(fat, "Universal");
    assert.equal(info.executable, true);
    assert.deepEqual(info.imports, [
      "dylib:/usr/lib/libSystem.B.dylib",
      "dylib:@rpath/Electron Framework.framework/Electron Framework",
    ]);
    assert.deepEqual(
      info.sections.map((s) => s.name),
      ["arm64:__TEXT,__text", "arm64:__DATA,__data", "x86_64:__TEXT,__text"],
    );
    assert.equal(info.signature.signer, "com.example.app (team T)");
    const partly = writeFat([app({ identifier: "com.example.app", teamId: "T" }), app()]);
    assert.equal(analyzeBinary(partly, "Universal").signature.present, false);
    assert.deepEqual(ids((await checkSignature(partly, "Universal")).findings), [
      "signature.macho.unsigned-executable",
    ]);
  });

  test("llvm-objdump reads the same load commands (oracle)", (t) => {
    if (!hasTool("llvm-objdump")) return t.skip(missing("llvm-objdump", "llvm"));
    const bytes = ffmpeg();
    const { output, status } = runTool("llvm-objdump", (f) => ["--macho", "--private-headers", f.x ?? ""], {
      x: bytes,
    });
    assert.equal(status, 0, output);
    assert.match(output, /LC_ID_DYLIB[\s\S]*name @rpath\/libffmpeg.dylib[\s\S]*current version 5\.1\.2/);
    assert.match(output, /LC_LOAD_DYLIB[\s\S]*name \/usr\/lib\/libSystem\.B\.dylib/);
    assert.match(output, /LC_CODE_SIGNATURE/);
  });
});

describe("Mach-O reader on hostile input", () => {
  test("refuses more load commands than the bound with SCAN_LIMIT_MACHO_COMMANDS", () => {
    const bytes = new Uint8Array(ffmpeg());
    new DataView(bytes.buffer).setUint32(16, 1_000_000, true);
    assert.throws(
      () => analyzeBinary(bytes, "x"),
      (e: unknown) => e instanceof ScanLimitError && e.code === "SCAN_LIMIT_MACHO_COMMANDS",
    );
  });

  test("refuses a zero-sized load command (which would loop forever) and truncations with SCAN_BAD_MACHO", () => {
    const bytes = new Uint8Array(ffmpeg());
    new DataView(bytes.buffer).setUint32(32 + 4, 0, true);
    const bad = (b: Uint8Array): void =>
      assert.throws(
        () => analyzeBinary(b, "x"),
        (e: unknown) => e instanceof ScanFormatError && e.code === "SCAN_BAD_MACHO",
      );
    bad(bytes);
    for (const cut of [12, 40, 200]) bad(ffmpeg().subarray(0, cut));
  });

  test("refuses a fat slice that lies outside the file or over the fat header", () => {
    const fat = new Uint8Array(writeFat([ffmpeg()]));
    const view = new DataView(fat.buffer);
    view.setUint32(8 + 8, 0x7fff0000, false);
    assert.throws(
      () => analyzeBinary(fat, "x"),
      (e: unknown) => e instanceof ScanFormatError && e.code === "SCAN_BAD_MACHO",
    );
    view.setUint32(8 + 8, 0, false);
    assert.throws(
      () => analyzeBinary(fat, "x"),
      (e: unknown) => e instanceof ScanFormatError && e.code === "SCAN_BAD_MACHO",
    );
  });

  test("reports a code signature that is not a superblock as malformed rather than trusting it", async () => {
    const bytes = new Uint8Array(ffmpeg());
    const signature = bytes.length - 240; // the corpus writes a 240-byte signature at the end
    new DataView(bytes.buffer).setUint32(signature, 0xdeadbeef, false);
    const { info, findings } = await checkSignature(bytes, "x");
    assert.equal(info.present, false);
    assert.deepEqual(ids(findings), ["signature.macho.signature-malformed"]);
  });
});
