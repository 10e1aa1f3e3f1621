/**
 * Writes Mach-O files for the tests: 64-bit little-endian thin files (an MH_EXECUTE or an
 * MH_DYLIB) with segments, sections, dylib load commands, LC_ID_DYLIB and an embedded code
 * signature (a superblock with a real CodeDirectory: identifier, team id, SHA-256 page hashes),
 * and fat files that bundle several of them.
 */
import { createHash } from "node:crypto";

export interface MachoSectionSpec {
  readonly segment: string;
  readonly name: string;
  readonly data: Uint8Array;
  readonly executable?: boolean;
}

export interface WriteMachoOptions {
  readonly kind: "execute" | "dylib";
  readonly cpu?: "arm64" | "x86_64";
  /** LC_ID_DYLIB of a library: its install name and current_version `a.b.c`. */
  readonly id?: { readonly name: string; readonly version: string };
  readonly dylibs: readonly string[];
  readonly sections: readonly MachoSectionSpec[];
  /** The code signature: the CodeDirectory identifier, a team id, and whether it is ad-hoc (no CMS blob). */
  readonly sign?: { readonly identifier: string; readonly teamId?: string; readonly adhoc?: boolean };
}

const CPU = { arm64: 0x0100000c, x86_64: 0x01000007 } as const;
const align = (n: number, a: number): number => Math.ceil(n / a) * a;

function dylibCommand(cmd: number, name: string, version: number): Buffer {
  const size = align(24 + name.length + 1, 8);
  const b = Buffer.alloc(size);
  b.writeUInt32LE(cmd, 0);
  b.writeUInt32LE(size, 4);
  b.writeUInt32LE(24, 8);
  b.writeUInt32LE(2, 12);
  b.writeUInt32LE(version, 16);
  b.writeUInt32LE(0x10000, 20);
  b.write(name, 24, "latin1");
  return b;
}

function packedVersion(text: string): number {
  const [a = 0, b = 0, c = 0] = text.split(".").map((p) => Number.parseInt(p, 10) || 0);
  return ((a & 0xffff) << 16) | ((b & 0xff) << 8) | (c & 0xff);
}

/** Writes a thin 64-bit little-endian Mach-O. */
export function writeMacho(options: WriteMachoOptions): Uint8Array {
  const segments = [...new Set(options.sections.map((s) => s.segment))];
  const signed = options.sign !== undefined;
  const commands: { build: (layout: Layout) => Buffer; size: number }[] = [];
  interface Layout {
    sectionOffsets: number[];
    linkedit: { offset: number; size: number };
  }
  for (const segment of segments) {
    const members = options.sections.map((s, i) => ({ s, i })).filter(({ s }) => s.segment === segment);
    const size = 72 + members.length * 80;
    commands.push({
      size,
      build: (layout) => {
        const b = Buffer.alloc(size);
        b.writeUInt32LE(0x19, 0);
        b.writeUInt32LE(size, 4);
        b.write(segment, 8, "latin1");
        const offsets = members.map(({ i }) => layout.sectionOffsets[i] ?? 0);
        const start = Math.min(...offsets);
        const end = Math.max(...members.map(({ s, i }) => (layout.sectionOffsets[i] ?? 0) + s.data.length));
        b.writeBigUInt64LE(BigInt(0x100000000 + start), 24);
        b.writeBigUInt64LE(BigInt(end - start), 32);
        b.writeBigUInt64LE(BigInt(start), 40);
        b.writeBigUInt64LE(BigInt(end - start), 48);
        const exec = members.some(({ s }) => s.executable);
        b.writeUInt32LE(exec ? 5 : 3, 56);
        b.writeUInt32LE(exec ? 5 : 3, 60);
        b.writeUInt32LE(members.length, 64);
        members.forEach(({ s, i }, k) => {
          const h = 72 + k * 80;
          b.write(s.name, h, "latin1");
          b.write(segment, h + 16, "latin1");
          b.writeBigUInt64LE(BigInt(0x100000000 + (layout.sectionOffsets[i] ?? 0)), h + 32);
          b.writeBigUInt64LE(BigInt(s.data.length), h + 40);
          b.writeUInt32LE(layout.sectionOffsets[i] ?? 0, h + 48);
          b.writeUInt32LE(s.executable ? 0x80000400 : 0, h + 64);
        });
        return b;
      },
    });
  }
  if (options.id) {
    const cmd = dylibCommand(0xd, options.id.name, packedVersion(options.id.version));
    commands.push({ size: cmd.length, build: () => cmd });
  }
  for (const dylib of options.dylibs) {
    const cmd = dylibCommand(0xc, dylib, 0x10000);
    commands.push({ size: cmd.length, build: () => cmd });
  }
  if (signed) {
    commands.push({
      size: 72,
      build: (layout) => {
        const b = Buffer.alloc(72);
        b.writeUInt32LE(0x19, 0);
        b.writeUInt32LE(72, 4);
        b.write("__LINKEDIT", 8, "latin1");
        b.writeBigUInt64LE(BigInt(0x100000000 + layout.linkedit.offset), 24);
        b.writeBigUInt64LE(BigInt(layout.linkedit.size), 32);
        b.writeBigUInt64LE(BigInt(layout.linkedit.offset), 40);
        b.writeBigUInt64LE(BigInt(layout.linkedit.size), 48);
        b.writeUInt32LE(1, 56);
        b.writeUInt32LE(1, 60);
        return b;
      },
    });
    commands.push({
      size: 16,
      build: (layout) => {
        const b = Buffer.alloc(16);
        b.writeUInt32LE(0x1d, 0);
        b.writeUInt32LE(16, 4);
        b.writeUInt32LE(layout.linkedit.offset, 8);
        b.writeUInt32LE(layout.linkedit.size, 12);
        return b;
      },
    });
  }
  const sizeofcmds = commands.reduce((n, c) => n + c.size, 0);
  let cursor = align(32 + sizeofcmds, 16);
  const sectionOffsets = options.sections.map((s) => {
    const at = cursor;
    cursor = align(cursor + s.data.length, 16);
    return at;
  });
  const codeLimit = align(cursor, 16);
  const identifier = options.sign?.identifier ?? "";
  const teamId = options.sign?.teamId;
  const pages = Math.ceil(codeLimit / 4096);
  const cdHeader = 88;
  const identOffset = cdHeader;
  const teamOffset = teamId === undefined ? 0 : identOffset + identifier.length + 1;
  const hashOffset = align(
    (teamId === undefined ? identOffset + identifier.length : teamOffset + teamId.length) + 1,
    4,
  );
  const cdLength = hashOffset + pages * 32;
  const cms = signed && !options.sign?.adhoc;
  const cmsLength = cms ? 8 + 64 : 0;
  const blobCount = cms ? 2 : 1;
  const superLength = 12 + blobCount * 8 + cdLength + cmsLength;
  const linkedit = { offset: codeLimit, size: signed ? align(superLength, 16) : 0 };
  const out = Buffer.alloc(codeLimit + linkedit.size);
  out.writeUInt32LE(0xfeedfacf, 0);
  out.writeUInt32LE(CPU[options.cpu ?? "arm64"], 4);
  out.writeUInt32LE(options.kind === "execute" ? 2 : 6, 12);
  out.writeUInt32LE(commands.length, 16);
  out.writeUInt32LE(sizeofcmds, 20);
  out.writeUInt32LE(0x00200085, 24);
  let at = 32;
  for (const c of commands) {
    out.set(c.build({ sectionOffsets, linkedit }), at);
    at += c.size;
  }
  options.sections.forEach((s, i) => {
    out.set(s.data, sectionOffsets[i] ?? 0);
  });
  if (signed) {
    const sb = codeLimit;
    out.writeUInt32BE(0xfade0cc0, sb);
    out.writeUInt32BE(superLength, sb + 4);
    out.writeUInt32BE(blobCount, sb + 8);
    const cd = sb + 12 + blobCount * 8;
    out.writeUInt32BE(0, sb + 12); // CSSLOT_CODEDIRECTORY
    out.writeUInt32BE(cd - sb, sb + 16);
    out.writeUInt32BE(0xfade0c02, cd);
    out.writeUInt32BE(cdLength, cd + 4);
    out.writeUInt32BE(0x20400, cd + 8);
    out.writeUInt32BE(options.sign?.adhoc ? 0x2 : 0, cd + 12);
    out.writeUInt32BE(hashOffset, cd + 16);
    out.writeUInt32BE(identOffset, cd + 20);
    out.writeUInt32BE(pages, cd + 28);
    out.writeUInt32BE(codeLimit, cd + 32);
    out.writeUInt8(32, cd + 36);
    out.writeUInt8(2, cd + 37); // SHA-256
    out.writeUInt8(12, cd + 39); // 4096-byte pages
    out.writeUInt32BE(teamOffset, cd + 48);
    out.write(`${identifier}\0`, cd + identOffset, "latin1");
    if (teamId !== undefined) out.write(`${teamId}\0`, cd + teamOffset, "latin1");
    for (let p = 0; p < pages; p++) {
      const page = out.subarray(p * 4096, Math.min(codeLimit, (p + 1) * 4096));
      out.set(createHash("sha256").update(page).digest(), cd + hashOffset + p * 32);
    }
    if (cms) {
      const blob = cd + cdLength;
      out.writeUInt32BE(0x10000, sb + 20); // CSSLOT_SIGNATURESLOT
      out.writeUInt32BE(blob - sb, sb + 24);
      out.writeUInt32BE(0xfade0b01, blob);
      out.writeUInt32BE(cmsLength, blob + 4);
      // The reader records that a CMS blob is there; it does not verify its content.
      out.set(
        createHash("sha512")
          .update(out.subarray(cd, cd + cdLength))
          .digest(),
        blob + 8,
      );
    }
  }
  return new Uint8Array(out);
}

/** Bundles thin Mach-O files into a fat (universal) file, slices aligned to 16 KiB. */
export function writeFat(slices: readonly Uint8Array[]): Uint8Array {
  const parts: Buffer[] = [];
  const header = Buffer.alloc(8 + slices.length * 20);
  header.writeUInt32BE(0xcafebabe, 0);
  header.writeUInt32BE(slices.length, 4);
  let cursor = align(header.length, 0x4000);
  parts.push(header, Buffer.alloc(cursor - header.length));
  slices.forEach((slice, i) => {
    const view = Buffer.from(slice.buffer, slice.byteOffset, slice.byteLength);
    header.writeUInt32BE(view.readUInt32LE(4), 8 + i * 20);
    header.writeUInt32BE(cursor, 8 + i * 20 + 8);
    header.writeUInt32BE(slice.length, 8 + i * 20 + 12);
    header.writeUInt32BE(14, 8 + i * 20 + 16);
    parts.push(view);
    const padded = align(slice.length, 0x4000);
    if (i < slices.length - 1) parts.push(Buffer.alloc(padded - slice.length));
    cursor += padded;
  });
  return new Uint8Array(Buffer.concat(parts));
}
