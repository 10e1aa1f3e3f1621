/**
 * Tar archives built to write outside the destination or to smuggle something in: path
 * traversal, absolute and Windows paths, link attacks, special files and duplicates; and
 * malformed ones. Each case is named after the attack; after each refusal nothing exists at
 * `dest`, no `.partial-` directory is left, and nothing was written anywhere else in the sandbox.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ARCHIVE_ERRORS } from "../src/archive/index.js";
import { type AttackCase, gzip, itRefuses, patchTarHeader, paxRecord, type TarSpec, tar } from "./archive-fixtures.js";

const { UNSAFE_PATH, UNSUPPORTED_ENTRY, MALFORMED, UNSUPPORTED } = ARCHIVE_ERRORS;

/** `bytes` with the byte at `at` inverted. */
function flip(bytes: Buffer, at: number): Buffer {
  bytes.writeUInt8(bytes.readUInt8(at) ^ 0xff, at);
  return bytes;
}

const file = (name: string, data = "x"): TarSpec => ({ name, data });
const link = (name: string, linkname: string): TarSpec => ({ name, type: "2", linkname });

const tarCases: AttackCase[] = [
  {
    attack: "path traversal with a leading ..",
    archive: () => tar([file("../evil")]),
    code: UNSAFE_PATH,
    message: '"../evil"',
  },
  { attack: "path traversal with .. in the middle", archive: () => tar([file("a/../../evil")]), code: UNSAFE_PATH },
  { attack: "path traversal in a directory entry", archive: () => tar([{ name: "../evil/" }]), code: UNSAFE_PATH },
  { attack: "an absolute path", archive: () => tar([file("/tmp/evil")]), code: UNSAFE_PATH, message: '"/tmp/evil"' },
  { attack: "a Windows drive path", archive: () => tar([file("C:\\Windows\\evil.dll")]), code: UNSAFE_PATH },
  {
    attack: "a Windows drive-relative path with forward slashes",
    archive: () => tar([file("C:/evil")]),
    code: UNSAFE_PATH,
  },
  { attack: "a UNC path", archive: () => tar([file("\\\\server\\share\\evil")]), code: UNSAFE_PATH },
  { attack: "traversal with backslashes", archive: () => tar([file("a\\..\\..\\evil")]), code: UNSAFE_PATH },
  { attack: "an alternate data stream name", archive: () => tar([file("a:stream")]), code: UNSAFE_PATH },
  {
    attack: "a NUL inside a pax path",
    archive: () => tar([{ ...file("ok"), pax: { path: "ok\u0000/../../evil" } }]),
    code: UNSAFE_PATH,
  },
  { attack: "a newline in a name (log and terminal spoofing)", archive: () => tar([file("a\nb")]), code: UNSAFE_PATH },
  { attack: "an escape sequence in a name", archive: () => tar([file("a\u001b[2Jb")]), code: UNSAFE_PATH },
  { attack: "an empty name", archive: () => tar([file("")]), code: UNSAFE_PATH },
  { attack: "an empty segment", archive: () => tar([file("a//b")]), code: UNSAFE_PATH },
  { attack: "a file named . (the destination itself)", archive: () => tar([file(".")]), code: UNSAFE_PATH },
  {
    attack: "a pax path that climbs out behind an innocent header name",
    archive: () => tar([{ ...file("innocent"), pax: { path: "../../evil" } }]),
    code: UNSAFE_PATH,
    message: '"../../evil"',
  },
  {
    attack: "a GNU long name that climbs out",
    archive: () =>
      tar([
        {
          ...file(
            `${"a/".repeat(60)}../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../evil`,
          ),
          longName: true,
          gnu: true,
        },
      ]),
    code: UNSAFE_PATH,
  },
  {
    attack: "a symlink pointing outside, then a write through it",
    archive: () => tar([link("a", ".."), file("a/evil")]),
    code: UNSAFE_PATH,
    message: '"a"',
  },
  {
    attack: "a symlink to an absolute path",
    archive: () => tar([link("etc", "/etc"), file("etc/evil")]),
    code: UNSAFE_PATH,
    message: "absolute",
  },
  {
    attack: "a write through a symlink that points inside",
    archive: () => tar([{ name: "sub/" }, link("a", "sub"), file("a/evil")]),
    code: UNSAFE_PATH,
    message: "through the symbolic link",
  },
  {
    attack: "a write through a symlink to the root",
    archive: () => tar([link("a", "."), file("a/evil")]),
    code: UNSAFE_PATH,
  },
  {
    attack: "a symlink chain: each link inside alone, outside through the other",
    archive: () => tar([{ name: "d/" }, link("d/up", ".."), link("d/up2", "up/..")]),
    code: UNSAFE_PATH,
    message: '"d/up2"',
  },
  {
    attack: "a symlink chain in reverse order",
    archive: () => tar([{ name: "d/" }, link("d/up2", "up/.."), link("d/up", "..")]),
    code: UNSAFE_PATH,
    message: '"d/up2"',
  },
  {
    attack: "a link target that reaches another link by case alone (case-insensitive file systems)",
    archive: () => tar([{ name: "p/q/" }, link("p/q/x", ".."), link("p/q/l", "X/../../..")]),
    code: UNSAFE_PATH,
    message: "differs only in case",
  },
  {
    attack: "a symlink loop",
    archive: () => tar([link("a", "b"), link("b", "a")]),
    code: UNSAFE_PATH,
    message: "loop",
  },
  {
    attack: "a symlink whose target has a backslash",
    archive: () => tar([link("a", "..\\..\\etc")]),
    code: UNSAFE_PATH,
  },
  { attack: "a symlink with an empty target", archive: () => tar([link("a", "")]), code: UNSAFE_PATH },
  {
    attack: "a symlink replacing a directory written earlier",
    archive: () => tar([{ name: "a/" }, file("a/x"), link("a", "b")]),
    code: UNSAFE_PATH,
    message: "duplicate",
  },
  {
    attack: "a symlink when symlinks are not allowed",
    archive: () => tar([link("a", "b")]),
    code: UNSUPPORTED_ENTRY,
    options: { allowSymlinks: false },
  },
  {
    attack: "a hard link to /etc/passwd",
    archive: () => tar([{ name: "passwd", type: "1", linkname: "/etc/passwd" }]),
    code: UNSAFE_PATH,
    message: "absolute",
  },
  {
    attack: "a hard link that climbs out",
    archive: () => tar([{ name: "passwd", type: "1", linkname: "../../../etc/passwd" }]),
    code: UNSAFE_PATH,
    message: '"passwd"',
  },
  {
    attack: "a hard link inside the archive (never extracted)",
    archive: () => tar([file("a"), { name: "b", type: "1", linkname: "a" }]),
    code: UNSUPPORTED_ENTRY,
    message: "hard link",
  },
  {
    attack: "a character device",
    archive: () => tar([{ name: "null", type: "3" }]),
    code: UNSUPPORTED_ENTRY,
    message: "character-device",
  },
  { attack: "a block device", archive: () => tar([{ name: "sda", type: "4" }]), code: UNSUPPORTED_ENTRY },
  { attack: "a FIFO", archive: () => tar([{ name: "fifo", type: "6" }]), code: UNSUPPORTED_ENTRY, message: "fifo" },
  { attack: "a GNU sparse file", archive: () => tar([{ name: "sparse", type: "S" }]), code: UNSUPPORTED_ENTRY },
  {
    attack: "a pax sparse file",
    archive: () => tar([{ ...file("sparse"), pax: { "GNU.sparse.major": "1" } }]),
    code: UNSUPPORTED_ENTRY,
  },
  {
    attack: "a duplicate file (overwrite after checks)",
    archive: () => tar([file("a", "good"), file("a", "evil")]),
    code: UNSAFE_PATH,
    message: "duplicate",
  },
  {
    attack: "a duplicate through a ./ prefix",
    archive: () => tar([file("a", "good"), file("./a", "evil")]),
    code: UNSAFE_PATH,
    message: "duplicate",
  },
  {
    attack: "a duplicate directory",
    archive: () => tar([{ name: "d/" }, { name: "d/" }]),
    code: UNSAFE_PATH,
    message: "duplicate",
  },
  { attack: "a directory over a file", archive: () => tar([file("a"), { name: "a/" }]), code: UNSAFE_PATH },
  {
    attack: "a write inside a file",
    archive: () => tar([file("a"), file("a/b")]),
    code: UNSAFE_PATH,
    message: "inside the file",
  },
  {
    attack: "a file over an implicit directory",
    archive: () => tar([file("a/b"), file("a")]),
    code: UNSAFE_PATH,
    message: "duplicate",
  },
];

const malformedTars: AttackCase[] = [
  {
    attack: "a header with a bad checksum",
    archive: () => tar([{ ...file("a"), checksumDelta: 1 }]),
    code: MALFORMED,
    message: "checksum",
  },
  {
    attack: "a truncated tar (cut in the data)",
    archive: () => tar([file("a", "x".repeat(2000))]).subarray(0, 1200),
    code: MALFORMED,
    message: "truncated",
  },
  {
    attack: "a truncated tar (cut in a header)",
    archive: () => tar([file("a"), file("b")]).subarray(0, 1024 + 300),
    code: MALFORMED,
  },
  {
    attack: "a truncated tar.gz",
    archive: () => gzip(tar([file("a", "y".repeat(100_000))])).subarray(0, 60),
    code: MALFORMED,
  },
  {
    attack: "a tar.gz with a corrupted deflate stream",
    archive: () => {
      const b = gzip(tar([file("a", "hello ".repeat(1000))]));
      return flip(b, b.length - 12);
    },
    code: MALFORMED,
  },
  {
    attack: "a tar.gz whose gzip CRC is wrong",
    archive: () => {
      const b = gzip(tar([file("a", "hello")]));
      return flip(b, b.length - 8);
    },
    code: MALFORMED,
  },
  {
    attack: "a tar that ends without its zero blocks (truncated at an entry boundary)",
    archive: () => tar([file("a")], { end: false }),
    code: MALFORMED,
    message: "end-of-archive",
  },
  {
    attack: "a lone zero block followed by more entries",
    archive: () => Buffer.concat([tar([file("a")], { end: false }), Buffer.alloc(512), tar([file("hidden")])]),
    code: MALFORMED,
    message: "lone zero block",
  },
  {
    attack: "data hidden after the end-of-archive blocks",
    archive: () => tar([file("a")], { trailing: tar([file("hidden")]) }),
    code: MALFORMED,
  },
  {
    attack: "a header without the ustar magic after the first",
    archive: () => {
      const b = tar([file("a"), file("b")]);
      b.write("xxxxx", 1024 + 257, "latin1");
      return b;
    },
    code: MALFORMED,
  },
  {
    attack: "a size field that is not octal",
    archive: () => patchTarHeader(tar([file("a")]), 0, Buffer.from("9"), 124),
    code: MALFORMED,
    message: "size",
  },
  {
    attack: "a pax record whose length overruns it",
    archive: () => tar([{ ...file("a"), pax: { comment: "x" } }]).fill(0x39, 512, 514),
    code: MALFORMED,
    message: "overruns",
  },
  {
    attack: "a pax header without its entry",
    archive: () =>
      Buffer.concat([
        tar([{ ...file("a"), pax: { path: "b" } }], { end: false }).subarray(0, 1024),
        Buffer.alloc(1024),
      ]),
    code: MALFORMED,
  },
  { attack: "a symlink with data", archive: () => tar([{ ...link("a", "b"), data: "data" }]), code: MALFORMED },
  {
    attack: "a name that is not UTF-8",
    archive: () => patchTarHeader(tar([file("ab")]), 0, Buffer.from([0x61, 0xff])),
    code: UNSUPPORTED,
    message: "UTF-8",
  },
  {
    attack: "a pre-POSIX tar without magic",
    archive: () => {
      const b = tar([file("a")]);
      b.fill(0, 257, 265);
      return b;
    },
    code: UNSUPPORTED,
  },
];

describe("tar archives that try to escape or smuggle", () => {
  itRefuses(tarCases);
});

describe("malformed tar and tar.gz archives", () => {
  itRefuses(malformedTars);

  it("parses a well-formed pax record (the fixture's encoder is right)", () => {
    assert.equal(paxRecord("path", "abc"), "12 path=abc\n");
    // 98 bytes of body: a 2-digit length would make 100, which has 3 digits.
    assert.equal(paxRecord("path", "x".repeat(91)), `101 path=${"x".repeat(91)}\n`);
  });
});
