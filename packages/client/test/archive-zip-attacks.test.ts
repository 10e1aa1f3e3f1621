/**
 * Zip archives built to escape the destination (zip-slip, links), to lie in their central
 * directory (sizes, CRCs, overlapping entries: the zip bombs), or to use what is not
 * supported (encryption, zip64, other methods); and files that are no archive at all.
 * After each refusal nothing exists at `dest` and no `.partial-` directory is left.
 */
import { describe } from "node:test";
import { ARCHIVE_ERRORS } from "../src/archive/index.js";
import { type AttackCase, itRefuses, type ZipSpec, zip } from "./archive-fixtures.js";

const { UNSAFE_PATH, UNSUPPORTED_ENTRY, MALFORMED, UNSUPPORTED } = ARCHIVE_ERRORS;

const zfile = (name: string, data = "x"): ZipSpec => ({ name, data });

const zipCases: AttackCase[] = [
  {
    attack: "zip-slip: a .. entry",
    archive: () => zip([zfile("../../evil.sh")]),
    code: UNSAFE_PATH,
    message: '"../../evil.sh"',
  },
  { attack: "zip-slip: .. in the middle", archive: () => zip([zfile("a/b/../../../evil")]), code: UNSAFE_PATH },
  { attack: "an absolute path", archive: () => zip([zfile("/etc/cron.d/evil")]), code: UNSAFE_PATH },
  { attack: "a Windows path", archive: () => zip([zfile("..\\..\\evil.exe")]), code: UNSAFE_PATH },
  { attack: "a Windows drive path", archive: () => zip([zfile("C:\\evil.exe")]), code: UNSAFE_PATH },
  { attack: "a UNC path", archive: () => zip([zfile("\\\\server\\evil")]), code: UNSAFE_PATH },
  { attack: "a NUL in a name", archive: () => zip([zfile("a\u0000.txt")]), code: UNSAFE_PATH },
  {
    attack: "a symlink pointing outside, then a write through it",
    archive: () => zip([{ name: "a", symlink: "../.." }, zfile("a/evil")]),
    code: UNSAFE_PATH,
  },
  {
    attack: "a write through a symlink pointing inside",
    archive: () => zip([{ name: "d/" }, { name: "a", symlink: "d" }, zfile("a/evil")]),
    code: UNSAFE_PATH,
  },
  {
    attack: "a symlink to /etc/passwd",
    archive: () => zip([{ name: "passwd", symlink: "/etc/passwd" }]),
    code: UNSAFE_PATH,
  },
  {
    attack: "a duplicate entry",
    archive: () => zip([zfile("a", "good"), zfile("a", "evil")]),
    code: UNSAFE_PATH,
    message: "duplicate",
  },
  {
    attack: "a FIFO by its Unix mode",
    archive: () => zip([{ name: "fifo", mode: 0o010644 }]),
    code: UNSUPPORTED_ENTRY,
  },
  {
    attack: "a character device by its Unix mode",
    archive: () => zip([{ name: "null", mode: 0o020644 }]),
    code: UNSUPPORTED_ENTRY,
  },
];

const malformedZips: AttackCase[] = [
  {
    attack: "a central directory that understates a size (bomb)",
    archive: () => zip([{ ...zfile("a", "z".repeat(10_000)), central: { size: 100 }, local: { size: 100 } }]),
    code: MALFORMED,
    message: "declares",
  },
  {
    attack: "a central directory that overstates a size",
    archive: () => zip([{ ...zfile("a", "short"), central: { size: 50 }, local: { size: 50 } }]),
    code: MALFORMED,
  },
  {
    attack: "a local header that disagrees with the central directory",
    archive: () => zip([{ ...zfile("a", "data"), local: { size: 3 } }]),
    code: MALFORMED,
    message: "disagrees",
  },
  {
    attack: "a local header naming another file",
    archive: () => zip([{ ...zfile("safe", "data"), local: { name: "../evi" } }]),
    code: MALFORMED,
    message: "another file",
  },
  {
    attack: "a wrong CRC-32",
    archive: () => zip([{ ...zfile("a", "data"), central: { crc: 1 }, local: { crc: 1 } }]),
    code: MALFORMED,
    message: "CRC",
  },
  {
    attack: "a stored entry whose sizes differ",
    archive: () => zip([{ ...zfile("a", "data"), method: 0, central: { compressedSize: 3 } }]),
    code: MALFORMED,
  },
  {
    attack: "a data descriptor that disagrees",
    archive: () => {
      const b = zip([{ ...zfile("a", "data"), descriptor: true }]);
      b.writeUInt32LE(7, 30 + 1 + 6 + 4);
      return b;
    },
    code: MALFORMED,
  },
  {
    attack: "corrupt deflate data",
    archive: () => {
      const b = zip([zfile("a", "hello hello hello hello")]);
      b.fill(0xff, 31, 35);
      return b;
    },
    code: MALFORMED,
  },
  {
    attack: "two directory records sharing one local entry (overlapping zip bomb)",
    archive: () => zip([{ ...zfile("a", "z".repeat(1000)) }], { duplicateRecords: [0] }),
    code: MALFORMED,
  },
  {
    attack: "an entry whose data range covers the next entry",
    archive: () =>
      zip([
        { ...zfile("a", "aaaa"), central: { compressedSize: 20 }, local: { compressedSize: 20 } },
        zfile("b", "bbbb"),
      ]),
    code: MALFORMED,
    message: "overlaps",
  },
  {
    attack: "a central directory offset that points elsewhere",
    archive: () => zip([zfile("a")], { cdOffset: 3 }),
    code: MALFORMED,
  },
  { attack: "an entry count that lies", archive: () => zip([zfile("a"), zfile("b")], { count: 1 }), code: MALFORMED },
  {
    attack: "a truncated zip (end record gone)",
    archive: () => zip([zfile("a", "data")]).subarray(0, 40),
    code: MALFORMED,
    message: "end of central directory",
  },
  {
    attack: "a zip cut short of its comment",
    archive: () => zip([zfile("a")], { comment: "hello" }).subarray(0, -2),
    code: MALFORMED,
  },
  {
    attack: "a local offset past the entries",
    archive: () => zip([{ ...zfile("a"), central: { localOffset: 5000 } }]),
    code: MALFORMED,
  },
  {
    attack: "an encrypted entry",
    archive: () => zip([{ ...zfile("a"), central: { flags: 1 }, local: { flags: 1 } }]),
    code: UNSUPPORTED,
    message: "encrypted",
  },
  {
    attack: "an unsupported compression method (bzip2)",
    archive: () => zip([{ ...zfile("a"), method: 12 }]),
    code: UNSUPPORTED,
    message: "method 12",
  },
  {
    attack: "a zip64 size",
    archive: () => zip([{ ...zfile("a"), central: { size: 0xffffffff } }]),
    code: UNSUPPORTED,
    message: "zip64",
  },
  {
    attack: "a zip64 end locator",
    archive: () => {
      const b = zip([zfile("a")]);
      const at = b.length - 22 - 20;
      const loc = Buffer.alloc(20);
      loc.writeUInt32LE(0x07064b50, 0);
      return Buffer.concat([b.subarray(0, at + 20), loc, b.subarray(at + 20)]);
    },
    code: UNSUPPORTED,
    message: "zip64",
  },
  {
    attack: "a name that is not UTF-8",
    archive: () => zip([{ name: Buffer.from([0x61, 0xff]), data: "x" }]),
    code: UNSUPPORTED,
  },
  { attack: "a directory with data", archive: () => zip([{ name: "d/", data: "x" }]), code: MALFORMED },
];

const notArchives: AttackCase[] = [
  { attack: "an empty file", archive: () => Buffer.alloc(0), code: UNSUPPORTED },
  { attack: "a shell script", archive: () => Buffer.from("#!/bin/sh\necho not an archive\n"), code: UNSUPPORTED },
  { attack: "a bzip2 file", archive: () => Buffer.from("BZh91AY&SY"), code: UNSUPPORTED },
];

describe("zip archives that try to escape or smuggle", () => {
  itRefuses(zipCases);
});

describe("malformed and unsupported zip archives", () => {
  itRefuses(malformedZips);
});

describe("files that are no archive", () => {
  itRefuses(notArchives);
});
