import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { before, describe, test } from "node:test";
import fc from "fast-check";
import { analyzeBinary, checkSignature, sniffBinary } from "../src/binary/index.js";
import { ScanFormatError, ScanLimitError } from "../src/errors.js";
import { makeSigningIdentity, writeElf, writeFat, writeMacho, writePe } from "./corpus/index.js";

/**
 * Mutated valid files never make the readers throw anything but a ScanFormatError or a
 * ScanLimitError (no RangeError, no TypeError, no pkijs/asn1js error escaping), and never hang:
 * every walk is bounded by BINARY_LIMITS, so a run that terminates is the property.
 */

const seeds: [string, Uint8Array][] = [];

before(() => {
  const id = makeSigningIdentity("Fuzz Signer");
  const sections = [
    { name: ".text", data: randomBytes(700), executable: true },
    { name: ".data", data: new TextEncoder().encode("https://example.com/a") },
  ];
  seeds.push(
    [
      "signed PE32+ DLL with imports, delay imports, version and appended data",
      writePe({
        dll: true,
        sections,
        imports: [
          { dll: "KERNEL32.dll", functions: ["LoadLibraryW", "GetProcAddress", 7] },
          { dll: "ws2_32.dll", functions: [12] },
        ],
        delayImports: [{ dll: "user32.dll", functions: ["MessageBoxW"] }],
        version: { FileVersion: "1.2.3.4", ProductVersion: "1.2", OriginalFilename: "x.dll" },
        sign: { key: id.key, cert: id.cert, appendToCertTable: randomBytes(64) },
      }),
    ],
    [
      "PE32 exe with overlay",
      writePe({ machine: "x86", sections, imports: [{ dll: "a.dll", functions: ["f"] }], overlay: randomBytes(100) }),
    ],
  );
  for (const bits of [32, 64] as const) {
    for (const endian of ["little", "big"] as const) {
      seeds.push([
        `ELF${bits} ${endian}`,
        writeElf({
          soname: "libx.so.1.2",
          needed: ["libc.so.6"],
          undefinedSymbols: ["dlopen", "malloc"],
          sections,
          executable: bits === 64,
          bits,
          endian,
        }),
      ]);
    }
  }
  const thin = writeMacho({
    kind: "dylib",
    id: { name: "@rpath/libx.dylib", version: "1.2.3" },
    dylibs: ["/usr/lib/libSystem.B.dylib"],
    sections: [{ segment: "__TEXT", name: "__text", data: randomBytes(300), executable: true }],
    sign: { identifier: "libx", teamId: "TEAM" },
  });
  seeds.push(
    ["Mach-O thin", thin],
    ["Mach-O fat", writeFat([thin, writeMacho({ kind: "execute", cpu: "x86_64", dylibs: [], sections: [] })])],
  );
});

const mutation = fc.oneof(
  // Overwrite a few bytes, mostly in the headers and tables near the start.
  fc.record({
    kind: fc.constant("bytes" as const),
    edits: fc.array(fc.tuple(fc.oneof(fc.nat(1024), fc.nat()), fc.integer({ min: 0, max: 255 })), {
      minLength: 1,
      maxLength: 8,
    }),
  }),
  // Put an extreme 32-bit value (a count, an offset, a size) somewhere.
  fc.record({
    kind: fc.constant("word" as const),
    at: fc.oneof(fc.nat(1024), fc.nat()),
    value: fc.constantFrom(0, 1, 0x7fffffff, 0x80000000, 0xffffffff, 0xfffffff0, 0x10000, 8),
  }),
  fc.record({ kind: fc.constant("truncate" as const), at: fc.nat() }),
);

type Mutation = typeof mutation extends fc.Arbitrary<infer T> ? T : never;

function mutate(seed: Uint8Array, m: Mutation): Uint8Array {
  const bytes = new Uint8Array(seed);
  if (m.kind === "truncate") return bytes.subarray(0, m.at % bytes.length);
  if (m.kind === "word") {
    const at = m.at % Math.max(1, bytes.length - 4);
    new DataView(bytes.buffer).setUint32(at, m.value, at % 2 === 0);
    return bytes;
  }
  for (const [at, value] of m.edits) bytes[at % bytes.length] = value;
  return bytes;
}

function typed(error: unknown): boolean {
  return error instanceof ScanFormatError || error instanceof ScanLimitError;
}

describe("binary readers under fuzzing (fast-check)", () => {
  test("mutated PE, ELF and Mach-O files give a result or a typed error, never another throw", async () => {
    for (const [name, seed] of seeds) {
      assert.ok(sniffBinary(seed), name);
      await fc.assert(
        fc.asyncProperty(mutation, async (m) => {
          const bytes = mutate(seed, m);
          try {
            analyzeBinary(bytes, "fuzz");
          } catch (error) {
            if (!typed(error)) throw error;
          }
          try {
            await checkSignature(bytes, "fuzz");
          } catch (error) {
            if (!typed(error)) throw error;
          }
        }),
        { numRuns: 300 },
      );
    }
  });

  test("arbitrary bytes behind a valid magic give a result or a typed error", () => {
    const magics = [
      Uint8Array.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]),
      Uint8Array.from([0xcf, 0xfa, 0xed, 0xfe]),
      Uint8Array.from([0xca, 0xfe, 0xba, 0xbe, 0, 0, 0, 2]),
    ];
    fc.assert(
      fc.property(fc.constantFrom(...magics), fc.uint8Array({ maxLength: 2048 }), (magic, rest) => {
        const bytes = new Uint8Array([...magic, ...rest]);
        try {
          analyzeBinary(bytes, "fuzz");
        } catch (error) {
          if (!typed(error)) throw error;
        }
      }),
      { numRuns: 500 },
    );
  });
});
