import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { before, describe, test } from "node:test";
import { analyzeBinary, compareBinaries } from "../src/binary/index.js";
import { compareSeverity } from "../src/finding.js";
import { makeSigningIdentity, type SigningIdentity, writeElf, writeMacho, writePe } from "./corpus/index.js";

let vendor: SigningIdentity;
let stranger: SigningIdentity;
before(() => {
  vendor = makeSigningIdentity("3CX Ltd");
  stranger = makeSigningIdentity("3CX Ltd (not really)");
});

// Code-like bytes: a skewed distribution, entropy around 5 to 6 bits per byte, deterministic.
function code(size: number, seed: number): Uint8Array {
  const out = new Uint8Array(size);
  let x = seed;
  for (let i = 0; i < size; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = (x >>> 16) % 61;
  }
  return out;
}

function ffmpeg(options: {
  version: string;
  seed: number;
  loader?: boolean;
  payload?: Uint8Array;
  signer?: SigningIdentity | null;
}): Uint8Array {
  const signer = options.signer === undefined ? vendor : options.signer;
  return writePe({
    dll: true,
    sections: [
      { name: ".text", data: code(8192, options.seed), executable: true },
      { name: ".rdata", data: options.payload ?? code(4096, 7) },
    ],
    imports: [
      {
        dll: "KERNEL32.dll",
        functions: ["CreateFileW", "ReadFile", ...(options.loader ? ["LoadLibraryW", "GetProcAddress"] : [])],
      },
    ],
    version: { FileVersion: options.version, OriginalFilename: "ffmpeg.dll" },
    ...(signer ? { sign: { key: signer.key, cert: signer.cert } } : {}),
  });
}

const ids = (findings: readonly { id: string }[]): string[] => findings.map((f) => f.id).sort();

describe("compareBinaries", () => {
  test("a clean minor release (new version, changed code) gives nothing above low", () => {
    const before = analyzeBinary(ffmpeg({ version: "5.1.2.0", seed: 1 }), "ffmpeg.dll");
    const after = analyzeBinary(ffmpeg({ version: "5.1.3.0", seed: 2 }), "ffmpeg.dll");
    const findings = compareBinaries(before, after, "ffmpeg.dll");
    assert.deepEqual(
      findings.filter((f) => compareSeverity(f.severity, "low") < 0),
      [],
    );
  });

  test("the 3CX ffmpeg.dll shape: same version, new bytes, a loader import, an encrypted blob", () => {
    const before = analyzeBinary(ffmpeg({ version: "5.1.2.0", seed: 1 }), "ffmpeg.dll");
    const after = analyzeBinary(
      ffmpeg({ version: "5.1.2.0", seed: 2, loader: true, payload: randomBytes(4096) }),
      "ffmpeg.dll",
    );
    const findings = compareBinaries(before, after, "ffmpeg.dll");
    assert.deepEqual(ids(findings), [
      "diff.binary.imports-added",
      "diff.binary.loader-import-added",
      "diff.binary.section-entropy-jump",
      "diff.binary.version-unchanged",
    ]);
    const byId = new Map(findings.map((f) => [f.id, f]));
    assert.equal(byId.get("diff.binary.version-unchanged")?.severity, "high");
    assert.equal(byId.get("diff.binary.version-unchanged")?.evidence.version, "5.1.2.0");
    assert.deepEqual(byId.get("diff.binary.loader-import-added")?.evidence.added, [
      "kernel32.dll!GetProcAddress",
      "kernel32.dll!LoadLibraryW",
    ]);
    assert.equal(byId.get("diff.binary.section-entropy-jump")?.evidence.section, ".rdata");
  });

  test("a signer that changed, and a signature that disappeared", () => {
    const signed = analyzeBinary(ffmpeg({ version: "1", seed: 1 }), "a.dll");
    const resigned = analyzeBinary(ffmpeg({ version: "2", seed: 1, signer: stranger }), "a.dll");
    const unsigned = analyzeBinary(ffmpeg({ version: "2", seed: 1, signer: null }), "a.dll");
    const changed = compareBinaries(signed, resigned, "a.dll");
    assert.deepEqual(ids(changed), ["signature.binary.signer-changed"]);
    assert.equal(changed[0]?.layer, "signature");
    assert.match(String(changed[0]?.evidence.after), /not really/);
    assert.deepEqual(ids(compareBinaries(signed, unsigned, "a.dll")), ["signature.binary.signature-removed"]);
    assert.deepEqual(compareBinaries(unsigned, signed, "a.dll"), []);
  });

  test("an added high-entropy overlay is high; a low-entropy one medium", () => {
    const plain = analyzeBinary(ffmpeg({ version: "1", seed: 1, signer: null }), "a.dll");
    const packed = analyzeBinary(
      writePe({
        dll: true,
        sections: [
          { name: ".text", data: code(8192, 1), executable: true },
          { name: ".rdata", data: code(4096, 7) },
        ],
        imports: [{ dll: "KERNEL32.dll", functions: ["CreateFileW", "ReadFile"] }],
        version: { FileVersion: "2", OriginalFilename: "ffmpeg.dll" },
        overlay: randomBytes(8192),
      }),
      "a.dll",
    );
    const [overlay] = compareBinaries(plain, packed, "a.dll");
    assert.deepEqual([overlay?.id, overlay?.severity], ["diff.binary.overlay-added", "high"]);
  });

  test("ELF: a new needed library and dlopen; Mach-O: a new dylib and a changed team id", () => {
    const lib = (needed: string[], symbols: string[], soname = "libffmpeg.so.5"): ReturnType<typeof analyzeBinary> =>
      analyzeBinary(
        writeElf({ soname, needed, undefinedSymbols: symbols, sections: [], executable: false }),
        "libffmpeg.so",
      );
    const elf = compareBinaries(
      lib(["libc.so.6"], ["malloc"]),
      lib(["libc.so.6", "libdl.so.2"], ["malloc", "dlopen"]),
      "libffmpeg.so",
    );
    assert.deepEqual(ids(elf), [
      "diff.binary.imports-added",
      "diff.binary.loader-import-added",
      "diff.binary.version-unchanged",
    ]);
    const mac = (team: string, dylibs: string[]): ReturnType<typeof analyzeBinary> =>
      analyzeBinary(
        writeMacho({ kind: "execute", dylibs, sections: [], sign: { identifier: "com.example.app", teamId: team } }),
        "App",
      );
    const macho = compareBinaries(
      mac("AAAA", ["/usr/lib/libSystem.B.dylib"]),
      mac("BBBB", ["/usr/lib/libSystem.B.dylib", "/tmp/x.dylib"]),
      "App",
    );
    assert.deepEqual(ids(macho), ["diff.binary.imports-added", "signature.binary.signer-changed"]);
  });

  test("a format change is reported alone", () => {
    const pe = analyzeBinary(ffmpeg({ version: "1", seed: 1, signer: null }), "x");
    const elf = analyzeBinary(writeElf({ needed: [], undefinedSymbols: [], sections: [], executable: false }), "x");
    assert.deepEqual(ids(compareBinaries(pe, elf, "x")), ["diff.binary.format-changed"]);
  });
});
