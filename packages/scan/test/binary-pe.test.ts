import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { describe, test } from "node:test";
import fc from "fast-check";
import { analyzeBinary, checkSignature, entropy, readBinary, sniffBinary } from "../src/binary/index.js";
import { DIRECTORY, readPe, rvaToOffset } from "../src/binary/pe.js";
import { ScanFormatError, ScanLimitError } from "../src/errors.js";
import { makeSigningIdentity, writeElf, writeMacho, writePe } from "./corpus/index.js";
import { hasTool, missing, runTool } from "./corpus/oracle.js";

const text = { name: ".text", data: new Uint8Array(300).fill(0xc3), executable: true };
const data = { name: ".data", data: new TextEncoder().encode("connect https://example.com") };

function ffmpegDll(extra: Partial<Parameters<typeof writePe>[0]> = {}): Uint8Array {
  return writePe({
    dll: true,
    sections: [text, data],
    imports: [
      { dll: "KERNEL32.dll", functions: ["GetModuleHandleW", "CreateFileW"] },
      { dll: "WS2_32.dll", functions: [12, "send"] },
    ],
    delayImports: [{ dll: "USER32.dll", functions: ["MessageBoxW"] }],
    version: { FileVersion: "5.1.2.0", ProductVersion: "5.1", OriginalFilename: "ffmpeg.dll" },
    ...extra,
  });
}

describe("sniffBinary and entropy", () => {
  test("recognises PE, ELF and Mach-O by magic and nothing else", () => {
    assert.equal(sniffBinary(ffmpegDll()), "pe");
    assert.equal(sniffBinary(writeElf({ needed: [], undefinedSymbols: [], sections: [], executable: false })), "elf");
    assert.equal(sniffBinary(Uint8Array.from([0xcf, 0xfa, 0xed, 0xfe, 7, 0, 0, 1])), "macho");
    assert.equal(sniffBinary(Uint8Array.from([0xca, 0xfe, 0xba, 0xbe, 0, 0, 0, 2])), "macho");
    // A Java class file shares the fat magic; its version field (major 52) tells it apart.
    assert.equal(sniffBinary(Uint8Array.from([0xca, 0xfe, 0xba, 0xbe, 0, 0, 0, 52])), undefined);
    // "MZ" alone (a DOS program, a text file starting with MZ) is not a PE.
    assert.equal(sniffBinary(new TextEncoder().encode(`MZ${" ".repeat(100)}`)), undefined);
    assert.equal(sniffBinary(new Uint8Array(3)), undefined);
  });

  test("entropy is 0 for constant bytes, 8 for all byte values equally, ~8 for random bytes", () => {
    assert.equal(entropy(new Uint8Array(0)), 0);
    assert.equal(entropy(new Uint8Array(1000).fill(7)), 0);
    assert.equal(entropy(Uint8Array.from({ length: 256 }, (_, i) => i)), 8);
    assert.ok(entropy(randomBytes(65536)) > 7.99);
    assert.equal(entropy(Uint8Array.from([0, 1, 0, 1])), 1);
  });

  test("the word-at-a-time histogram counts like a byte loop, at any offset and length", () => {
    const naive = (bytes: Uint8Array): number => {
      const counts = new Map<number, number>();
      for (const b of bytes) counts.set(b, (counts.get(b) ?? 0) + 1);
      let bits = 0;
      for (const c of counts.values()) bits -= (c / bytes.length) * Math.log2(c / bytes.length);
      return Math.round(bits * 1000) / 1000;
    };
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(7), (bytes, start) => {
        const view = bytes.subarray(Math.min(start, bytes.length));
        assert.equal(entropy(view), naive(view));
      }),
      { numRuns: 500 },
    );
  });
});

describe("readBinary", () => {
  test("returns in one pass what analyzeBinary and checkSignature return, for PE, ELF and Mach-O", async () => {
    const id = makeSigningIdentity("One Pass");
    const files = [
      ffmpegDll({ sign: { key: id.key, cert: id.cert, appendToCertTable: new Uint8Array(64).fill(1) } }),
      writeElf({
        soname: "libx.so.1",
        needed: ["libc.so.6"],
        undefinedSymbols: ["dlopen"],
        sections: [],
        executable: false,
      }),
      writeMacho({ kind: "execute", dylibs: ["/usr/lib/libSystem.B.dylib"], sections: [] }),
    ];
    for (const bytes of files) {
      const both = readBinary(bytes, "f");
      assert.deepEqual(both.info, analyzeBinary(bytes, "f"));
      const signature = await checkSignature(bytes, "f");
      assert.deepEqual({ info: both.info.signature, findings: both.findings }, signature);
    }
    assert.throws(
      () => readBinary(new TextEncoder().encode("#!/bin/sh\necho hi\n"), "run.sh"),
      (e: unknown) => e instanceof ScanFormatError && e.code === "SCAN_BAD_BINARY",
    );
  });
});

describe("PE reader", () => {
  test("reads imports (ordinals, delay-load), sections, the version resource and the overlay", () => {
    const overlay = randomBytes(4096);
    const info = analyzeBinary(ffmpegDll({ overlay }), "ffmpeg.dll");
    assert.equal(info.format, "pe");
    assert.equal(info.executable, false);
    assert.equal(info.version, "5.1.2.0");
    assert.equal(info.name, "ffmpeg.dll");
    assert.deepEqual(info.imports, [
      "kernel32.dll!CreateFileW",
      "kernel32.dll!GetModuleHandleW",
      "user32.dll!MessageBoxW",
      "ws2_32.dll!#12",
      "ws2_32.dll!send",
    ]);
    assert.deepEqual(
      info.sections.map((s) => [s.name, s.executable]),
      [
        [".text", true],
        [".data", false],
        [".idata", false],
        [".didat", false],
        [".rsrc", false],
      ],
    );
    assert.ok(info.overlay);
    assert.equal(info.overlay.size, overlay.length);
    assert.ok(info.overlay.entropy > 7.9);
    assert.deepEqual(info.signature, { present: false });
  });

  test("an .exe is executable; ProductVersion stands in for a missing FileVersion; PE32 (x86) reads too", () => {
    const info = analyzeBinary(
      writePe({
        machine: "x86",
        sections: [text],
        imports: [{ dll: "kernel32.dll", functions: ["ExitProcess"] }],
        version: { ProductVersion: "2.0.1", InternalName: "setup" },
      }),
      "setup.exe",
    );
    assert.equal(info.executable, true);
    assert.equal(info.version, "2.0.1");
    assert.equal(info.name, "setup");
    assert.deepEqual(info.imports, ["kernel32.dll!ExitProcess"]);
  });

  test("objdump reads the same imports as the reader (oracle)", (t) => {
    if (!hasTool("objdump")) return t.skip(missing("objdump", "binutils"));
    const bytes = ffmpegDll();
    const { output, status } = runTool("objdump", (f) => ["-p", f["a.dll"] ?? ""], { "a.dll": bytes });
    assert.equal(status, 0, output);
    for (const name of ["KERNEL32.dll", "WS2_32.dll", "GetModuleHandleW", "CreateFileW", "send"]) {
      assert.match(output, new RegExp(name));
    }
    assert.match(output, /Delay Import Directory/);
  });
});

/** Patches a PE's import descriptor table through the reader's own RVA mapping. */
function patchImports(bytes: Uint8Array, patch: (view: DataView, table: number) => void): Uint8Array {
  const copy = new Uint8Array(bytes);
  const image = readPe(copy, "x.dll");
  const dir = image.directories[DIRECTORY.import];
  assert.ok(dir);
  const table = rvaToOffset(image, dir.rva);
  assert.ok(table !== undefined);
  patch(new DataView(copy.buffer), table);
  return copy;
}

function throwsCode(fn: () => unknown, type: typeof ScanFormatError | typeof ScanLimitError, code: string): void {
  assert.throws(fn, (e: unknown) => e instanceof type && (e as { code: string }).code === code);
}

describe("PE reader on hostile input", () => {
  test("refuses a truncated PE at every length with SCAN_BAD_PE", () => {
    const bytes = ffmpegDll();
    for (const cut of [2, 63, 0x84, 0x84 + 30, 0x190, 0x300, 0x700]) {
      throwsCode(
        () => analyzeBinary(bytes.subarray(0, cut), "cut.dll"),
        ScanFormatError,
        cut < 0x84 ? "SCAN_BAD_BINARY" : "SCAN_BAD_PE",
      );
    }
  });

  test("refuses a looping import table: a thunk array pointing back into the descriptor table", () => {
    const looped = patchImports(ffmpegDll(), (view, table) => {
      const importRva = view.getUint32(table, true) - 0x40; // the descriptor table's own RVA
      view.setUint32(table, importRva, true);
    });
    assert.throws(
      () => analyzeBinary(looped, "loop.dll"),
      (e: unknown) => e instanceof ScanFormatError && e.code === "SCAN_BAD_PE" && /self-referencing/.test(e.message),
    );
  });

  test("refuses a looping import table: a descriptor repeated verbatim", () => {
    const looped = patchImports(ffmpegDll(), (view, table) => {
      for (let i = 0; i < 20; i++) view.setUint8(table + 20 + i, view.getUint8(table + i));
    });
    assert.throws(
      () => analyzeBinary(looped, "loop.dll"),
      (e: unknown) => e instanceof ScanFormatError && e.code === "SCAN_BAD_PE" && /loops/.test(e.message),
    );
  });

  test("refuses an import name outside the file", () => {
    const bad = patchImports(ffmpegDll(), (view, table) => view.setUint32(table + 12, 0x7fff0000, true));
    throwsCode(() => analyzeBinary(bad, "bad.dll"), ScanFormatError, "SCAN_BAD_PE");
  });

  test("refuses a resource directory that loops back on itself", () => {
    const bytes = new Uint8Array(ffmpegDll());
    const rsrc = readPe(bytes, "x").sections.find((s) => s.name === ".rsrc");
    assert.ok(rsrc);
    // The root's RT_VERSION entry points at the root again instead of its name directory.
    new DataView(bytes.buffer).setUint32(rsrc.rawOffset + 20, 0x80000000, true);
    assert.throws(
      () => analyzeBinary(bytes, "x.dll"),
      (e: unknown) => e instanceof ScanFormatError && e.code === "SCAN_BAD_PE" && /loops/.test(e.message),
    );
  });

  test("refuses an import table over the function bound with SCAN_LIMIT_PE_IMPORTS", () => {
    const ordinals = Array.from({ length: 100_001 }, (_, i) => i + 1);
    const bytes = writePe({ sections: [text], imports: [{ dll: "big.dll", functions: ordinals }] });
    throwsCode(() => analyzeBinary(bytes, "big.exe"), ScanLimitError, "SCAN_LIMIT_PE_IMPORTS");
  });

  test("refuses more sections than the PE format allows with SCAN_LIMIT_PE_SECTIONS", () => {
    const bytes = new Uint8Array(ffmpegDll());
    new DataView(bytes.buffer).setUint16(0x86, 0xffff, true);
    throwsCode(() => analyzeBinary(bytes, "many.dll"), ScanLimitError, "SCAN_LIMIT_PE_SECTIONS");
  });
});
