import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { describe, test } from "node:test";
import { analyzeBinary, checkSignature } from "../src/binary/index.js";
import { ScanFormatError, ScanLimitError } from "../src/errors.js";
import { writeElf } from "./corpus/index.js";
import { hasTool, missing, runTool } from "./corpus/oracle.js";

const library = (bits: 32 | 64, endian: "little" | "big"): Uint8Array =>
  writeElf({
    soname: "libffmpeg.so.5.1.2",
    needed: ["libc.so.6", "libm.so.6"],
    undefinedSymbols: ["malloc", "dlopen"],
    sections: [
      { name: ".text", data: new Uint8Array(600).fill(0x90), executable: true },
      { name: ".rodata", data: new TextEncoder().encode("ffmpeg") },
    ],
    executable: false,
    bits,
    endian,
    ...(endian === "big" ? { machine: bits === 64 ? 43 : 8 } : {}), // SPARC V9 / MIPS
  });

describe("ELF reader", () => {
  for (const bits of [32, 64] as const) {
    for (const endian of ["little", "big"] as const) {
      test(`reads a ${bits}-bit ${endian}-endian library: DT_NEEDED, DT_SONAME, undefined dynamic symbols, sections`, () => {
        const info = analyzeBinary(library(bits, endian), "libffmpeg.so");
        assert.equal(info.format, "elf");
        assert.equal(info.executable, false);
        assert.equal(info.name, "libffmpeg.so.5.1.2");
        assert.equal(info.version, "5.1.2");
        assert.deepEqual(info.imports, ["needed:libc.so.6", "needed:libm.so.6", "sym:dlopen", "sym:malloc"]);
        const text = info.sections.find((s) => s.name === ".text");
        assert.deepEqual(text && [text.size, text.executable, text.entropy], [600, true, 0]);
        assert.equal(info.overlay, undefined);
        assert.deepEqual(info.signature, { present: false });
      });
    }
  }

  test("a PIE with an interpreter is executable; appended bytes are an overlay", () => {
    const extra = randomBytes(2048);
    const exe = writeElf({ needed: ["libc.so.6"], undefinedSymbols: ["puts"], sections: [], executable: true });
    const info = analyzeBinary(new Uint8Array(Buffer.concat([exe, extra])), "app");
    assert.equal(info.executable, true);
    assert.deepEqual(info.imports, ["needed:libc.so.6", "sym:puts"]);
    assert.deepEqual(info.overlay && [info.overlay.offset, info.overlay.size], [exe.length, extra.length]);
  });

  test("reads the dynamic section through the program headers when section headers are stripped", () => {
    const bytes = new Uint8Array(library(64, "little"));
    const view = new DataView(bytes.buffer);
    view.setBigUint64(40, 0n, true); // e_shoff
    view.setUint16(60, 0, true); // e_shnum
    view.setUint16(62, 0, true); // e_shstrndx
    const info = analyzeBinary(bytes, "stripped.so");
    assert.equal(info.name, "libffmpeg.so.5.1.2");
    assert.deepEqual(info.imports, ["needed:libc.so.6", "needed:libm.so.6"]);
  });

  test("the reader finds what readelf finds on the corpus and on this machine's own binaries (oracle)", (t) => {
    if (!hasTool("readelf")) return t.skip(missing("readelf", "binutils"));
    const own = ["/bin/ls", "/usr/bin/env"];
    const cases: [string, Uint8Array][] = [["corpus.so", library(64, "big")]];
    for (const path of own) if (existsSync(path)) cases.push([path, new Uint8Array(readFileSync(path))]);
    for (const [name, bytes] of cases) {
      const { output, status } = runTool("readelf", (f) => ["-d", "--dyn-syms", "-W", f.x ?? ""], { x: bytes });
      assert.equal(status, 0, output);
      const needed = [...output.matchAll(/\(NEEDED\)\s+Shared library: \[([^\]]+)\]/g)].map((m) => `needed:${m[1]}`);
      const undefinedSymbols = output
        .split("\n")
        .map((line) => line.trim().split(/\s+/))
        .filter((f) => f.length >= 8 && f[6] === "UND" && f[7] !== undefined)
        .map((f) => `sym:${(f[7] ?? "").replace(/@.*$/, "")}`);
      const info = analyzeBinary(bytes, name);
      const ours = info.imports.map((i) => i.replace(/@.*$/, ""));
      assert.deepEqual(ours, [...new Set([...needed, ...undefinedSymbols])].sort(), name);
    }
  });

  test("takes the version from the last symbol version definition when the soname carries none", (t) => {
    const bytes = writeElf({
      soname: "libavcodec.so",
      needed: [],
      undefinedSymbols: [],
      sections: [],
      executable: false,
      versionDefinitions: ["LIBAVCODEC_60.0", "LIBAVCODEC_60.3"],
    });
    assert.equal(analyzeBinary(bytes, "libavcodec.so").version, "LIBAVCODEC_60.3");
    if (!hasTool("readelf")) return t.skip(missing("readelf", "binutils"));
    const { output, status } = runTool("readelf", (f) => ["-V", "-W", f.x ?? ""], { x: bytes });
    assert.equal(status, 0, output);
    assert.match(output, /Version definition section '.gnu.version_d' contains 3 entries/);
    assert.match(output, /Flags: BASE\s+Index: 1\s+Cnt: 1\s+Name: libavcodec.so/);
    assert.match(output, /Index: 3\s+Cnt: 1\s+Name: LIBAVCODEC_60.3/);
  });

  test("checkSignature on an ELF reports no signature and no findings", async () => {
    assert.deepEqual(await checkSignature(library(64, "little"), "x.so"), { info: { present: false }, findings: [] });
  });
});

describe("ELF reader on hostile input", () => {
  test("refuses truncations with SCAN_BAD_ELF", () => {
    const bytes = library(64, "little");
    for (const cut of [20, 60, 200, bytes.length - 10]) {
      assert.throws(
        () => analyzeBinary(bytes.subarray(0, cut), "cut.so"),
        (e: unknown) => e instanceof ScanFormatError && e.code === "SCAN_BAD_ELF",
        `cut at ${cut}`,
      );
    }
  });

  test("refuses an unknown class or byte order", () => {
    const bytes = new Uint8Array(library(64, "little"));
    bytes[4] = 9;
    assert.throws(
      () => analyzeBinary(bytes, "x.so"),
      (e: unknown) => e instanceof ScanFormatError && e.code === "SCAN_BAD_ELF",
    );
  });

  test("refuses a dynamic symbol table over the bound with SCAN_LIMIT_ELF_SYMBOLS", () => {
    const bytes = new Uint8Array(Buffer.concat([library(64, "little"), Buffer.alloc(24 * 262_200)]));
    const view = new DataView(bytes.buffer);
    const shoff = Number(view.getBigUint64(40, true));
    // Section 1 is .dynsym: make it claim the appended zero bytes.
    view.setBigUint64(shoff + 64 + 32, BigInt(bytes.length - Number(view.getBigUint64(shoff + 64 + 24, true))), true);
    assert.throws(
      () => analyzeBinary(bytes, "x.so"),
      (e: unknown) => e instanceof ScanLimitError && e.code === "SCAN_LIMIT_ELF_SYMBOLS",
    );
  });
});
