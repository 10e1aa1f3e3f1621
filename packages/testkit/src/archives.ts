/**
 * Test archives built byte by byte: a tiny tar writer (ustar, GNU long names, pax headers)
 * and zip writer (stored and deflate, data descriptors), each able to lie on request.
 * Deterministic: no clocks, no randomness. Used by the client's extraction tests and the
 * scan's archive tests.
 */
import zlib from "node:zlib";

type Bytes = Uint8Array | string;

function bytes(data: Bytes | undefined): Buffer {
  return data === undefined
    ? Buffer.alloc(0)
    : typeof data === "string"
      ? Buffer.from(data, "utf8")
      : Buffer.from(data);
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
  return c >>> 0;
});

/** CRC-32, written apart from the one under test (and checked against unzip's). */
export function fixtureCrc32(data: Uint8Array): number {
  let crc = 0xffffffff;
  for (const b of data) crc = (CRC_TABLE[(crc ^ b) & 0xff] ?? 0) ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

// ---------------------------------------------------------------------------------------
// tar

/** One tar entry; the optional fields make it lie or use an extension. */
export interface TarSpec {
  readonly name: string;
  /** Type flag; "0" by default, "5" for names ending in "/". */
  readonly type?: string;
  readonly data?: Bytes;
  readonly mode?: number;
  readonly linkname?: string;
  readonly mtime?: number;
  /** Written as the size field instead of the data's length. */
  readonly size?: number;
  /** A pax `x` header with these records before the entry. */
  readonly pax?: Readonly<Record<string, string>>;
  /** A GNU `L` header carrying the name (the header's own name field gets a placeholder). */
  readonly longName?: boolean;
  /** A GNU `K` header carrying the link name. */
  readonly longLink?: boolean;
  /** Adds this to the correct header checksum. */
  readonly checksumDelta?: number;
  /** GNU magic (`ustar  \0`) instead of POSIX (`ustar\0` `00`). */
  readonly gnu?: boolean;
}

function octal(value: number, width: number): string {
  return `${value.toString(8).padStart(width - 1, "0")}\0`;
}

function tarHeader(fields: {
  name: Buffer;
  prefix?: Buffer;
  mode: number;
  size: number;
  mtime: number;
  type: string;
  linkname: Buffer;
  gnu: boolean;
  checksumDelta: number;
}): Buffer {
  const block = Buffer.alloc(512);
  fields.name.copy(block, 0, 0, 100);
  block.write(octal(fields.mode, 8), 100, "latin1");
  block.write(octal(0, 8), 108, "latin1");
  block.write(octal(0, 8), 116, "latin1");
  block.write(octal(fields.size, 12), 124, "latin1");
  block.write(octal(fields.mtime, 12), 136, "latin1");
  block.write(fields.type, 156, "latin1");
  fields.linkname.copy(block, 157, 0, 100);
  block.write(fields.gnu ? "ustar  \0" : "ustar\u000000", 257, "latin1");
  fields.prefix?.copy(block, 345, 0, 155);
  block.fill(0x20, 148, 156);
  let sum = 0;
  for (const b of block) sum += b;
  block.write(`${(sum + fields.checksumDelta).toString(8).padStart(6, "0")}\0 `, 148, "latin1");
  return block;
}

/** Overwrites bytes of the header block at `at` and recomputes its checksum, so only the patch is wrong. */
export function patchTarHeader(archive: Buffer, at: number, patch: Uint8Array, offset = 0): Buffer {
  const out = Buffer.from(archive);
  out.set(patch, at + offset);
  out.fill(0x20, at + 148, at + 156);
  let sum = 0;
  for (const b of out.subarray(at, at + 512)) sum += b;
  out.write(`${sum.toString(8).padStart(6, "0")}\0 `, at + 148, "latin1");
  return out;
}

function pad512(data: Buffer): Buffer {
  const extra = (512 - (data.length % 512)) % 512;
  return Buffer.concat([data, Buffer.alloc(extra)]);
}

/** The pax record `"<len> key=value\n"`, whose length counts itself. */
export function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  let len = Buffer.byteLength(body) + 1;
  while (String(len).length + Buffer.byteLength(body) !== len) len = String(len).length + Buffer.byteLength(body);
  return `${len}${body}`;
}

function metaEntry(type: string, data: Buffer): Buffer {
  const header = tarHeader({
    name: Buffer.from(type === "x" ? "PaxHeaders/entry" : "././@LongLink"),
    mode: 0o644,
    size: data.length,
    mtime: 0,
    type,
    linkname: Buffer.alloc(0),
    gnu: type !== "x",
    checksumDelta: 0,
  });
  return Buffer.concat([header, pad512(data)]);
}

/** A tar archive of `entries`; `end: false` leaves out the two zero blocks, `trailing` appends bytes. */
export function tar(entries: readonly TarSpec[], options: { end?: boolean; trailing?: Buffer } = {}): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) {
    const data = bytes(e.data);
    if (e.pax !== undefined) {
      parts.push(
        metaEntry(
          "x",
          Buffer.from(
            Object.entries(e.pax)
              .map(([k, v]) => paxRecord(k, v))
              .join(""),
          ),
        ),
      );
    }
    if (e.longName) parts.push(metaEntry("L", Buffer.concat([bytes(e.name), Buffer.alloc(1)])));
    if (e.longLink) parts.push(metaEntry("K", Buffer.concat([bytes(e.linkname), Buffer.alloc(1)])));
    let name = bytes(e.longName ? "placeholder-for-a-long-name" : e.name);
    let prefix: Buffer | undefined;
    if (name.length > 100) {
      // ustar: split at a slash into prefix (155) and name (100).
      const text = name.toString("utf8");
      const cut = text.lastIndexOf("/", text.length - 1);
      prefix = Buffer.from(text.slice(0, cut));
      name = Buffer.from(text.slice(cut + 1));
    }
    const type = e.type ?? (e.name.endsWith("/") ? "5" : "0");
    parts.push(
      tarHeader({
        name,
        ...(prefix === undefined ? {} : { prefix }),
        mode: e.mode ?? (type === "5" ? 0o755 : 0o644),
        size: e.size ?? data.length,
        mtime: e.mtime ?? 1_700_000_000,
        type,
        linkname: bytes(e.longLink ? "placeholder-for-a-long-link" : e.linkname),
        gnu: e.gnu ?? false,
        checksumDelta: e.checksumDelta ?? 0,
      }),
      pad512(data),
    );
  }
  if (options.end !== false) parts.push(Buffer.alloc(1024));
  if (options.trailing !== undefined) parts.push(options.trailing);
  return Buffer.concat(parts);
}

/** gzip, deterministic (no name, mtime 0). */
export function gzip(data: Uint8Array): Buffer {
  return zlib.gzipSync(data, { level: 9 });
}

// ---------------------------------------------------------------------------------------
// zip

/** Fields of a zip record that a spec can override, to make the local header or directory lie. */
export interface ZipFields {
  readonly flags?: number;
  readonly method?: number;
  readonly crc?: number;
  readonly compressedSize?: number;
  readonly size?: number;
  readonly name?: Bytes;
  readonly localOffset?: number;
}

/** One zip entry. */
export interface ZipSpec {
  readonly name: Bytes;
  readonly data?: Bytes;
  /** 0 stored, 8 deflate (default for files with data). */
  readonly method?: number;
  /** Unix st_mode, type bits included; by default a file 0o100644 or a directory 0o040755. */
  readonly mode?: number;
  /** Makes a symbolic link to this target (mode 0o120777, the target as data). */
  readonly symlink?: string;
  /** Sizes and CRC in a data descriptor after the data (flag bit 3). */
  readonly descriptor?: boolean;
  /** Overrides for the local header, the central directory record, or both. */
  readonly local?: ZipFields;
  readonly central?: ZipFields;
  /** The host in "version made by" (3 = Unix, 0 = MS-DOS). */
  readonly host?: number;
}

export interface ZipOptions {
  /** Overrides in the end of central directory record. */
  readonly count?: number;
  readonly cdOffset?: number;
  readonly cdSize?: number;
  /** Extra central-directory records: copies of these entries' records (same local offsets). */
  readonly duplicateRecords?: readonly number[];
  /** Bytes written between the entries and the central directory. */
  readonly gap?: Buffer;
  readonly comment?: string;
  /**
   * Write zip64 forms (APPNOTE 4.3.14, 4.5.3): every entry's sizes and offset as 0xFFFFFFFF
   * with a zip64 extra field, 8-byte sizes in data descriptors, and a zip64 end record and
   * locator before an end record of 0xFFFF/0xFFFFFFFF.
   */
  readonly zip64?: boolean;
}

/** A zip64 extra field holding `values` as 8-byte integers. */
function zip64Extra(values: readonly number[]): Buffer {
  const extra = Buffer.alloc(4 + 8 * values.length);
  extra.writeUInt16LE(0x0001, 0);
  extra.writeUInt16LE(8 * values.length, 2);
  for (const [i, v] of values.entries()) extra.writeBigUInt64LE(BigInt(v), 4 + 8 * i);
  return extra;
}

/** A zip archive of `entries`. */
export function zip(entries: readonly ZipSpec[], options: ZipOptions = {}): Buffer {
  const parts: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = bytes(e.name);
    const isDir = name.toString("utf8").endsWith("/");
    const data = e.symlink !== undefined ? bytes(e.symlink) : bytes(e.data);
    const method = e.method ?? (data.length > 0 ? 8 : 0);
    const packed = method === 8 ? zlib.deflateRawSync(data, { level: 9 }) : data;
    const mode = e.mode ?? (e.symlink !== undefined ? 0o120777 : isDir ? 0o040755 : 0o100644);
    const flags = e.descriptor ? 0x0008 : 0;
    const crc = fixtureCrc32(data);
    const record = (f: ZipFields | undefined, inLocal: boolean) => ({
      flags: f?.flags ?? flags,
      method: f?.method ?? method,
      crc: f?.crc ?? (inLocal && e.descriptor ? 0 : crc),
      compressedSize: f?.compressedSize ?? (inLocal && e.descriptor ? 0 : packed.length),
      size: f?.size ?? (inLocal && e.descriptor ? 0 : data.length),
      name: f?.name === undefined ? name : bytes(f.name),
      localOffset: f?.localOffset ?? offset,
    });
    const l = record(e.local, true);
    const z64 = options.zip64 === true;
    const localExtra = z64 ? zip64Extra([l.size, l.compressedSize]) : Buffer.alloc(0);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(l.flags, 6);
    local.writeUInt16LE(l.method, 8);
    local.writeUInt16LE(0x5a21, 10); // 11:17:02
    local.writeUInt16LE(0x5781, 12); // 2023-12-01 (MS-DOS date)
    local.writeUInt32LE(l.crc >>> 0, 14);
    local.writeUInt32LE(z64 ? 0xffffffff : l.compressedSize >>> 0, 18);
    local.writeUInt32LE(z64 ? 0xffffffff : l.size >>> 0, 22);
    local.writeUInt16LE(l.name.length, 26);
    local.writeUInt16LE(localExtra.length, 28);
    const descriptor = Buffer.alloc(e.descriptor ? (z64 ? 24 : 16) : 0);
    if (e.descriptor && z64) {
      descriptor.writeUInt32LE(0x08074b50, 0);
      descriptor.writeUInt32LE(crc, 4);
      descriptor.writeBigUInt64LE(BigInt(packed.length), 8);
      descriptor.writeBigUInt64LE(BigInt(data.length), 16);
    } else if (e.descriptor) {
      descriptor.writeUInt32LE(0x08074b50, 0);
      descriptor.writeUInt32LE(crc, 4);
      descriptor.writeUInt32LE(packed.length, 8);
      descriptor.writeUInt32LE(data.length, 12);
    }
    const c = record(e.central, false);
    const cd = Buffer.alloc(46);
    cd.writeUInt32LE(0x02014b50, 0);
    cd.writeUInt16LE(((e.host ?? 3) << 8) | 20, 4);
    cd.writeUInt16LE(20, 6);
    cd.writeUInt16LE(c.flags, 8);
    cd.writeUInt16LE(c.method, 10);
    cd.writeUInt16LE(0x5a21, 12);
    cd.writeUInt16LE(0x5781, 14);
    cd.writeUInt32LE(c.crc >>> 0, 16);
    cd.writeUInt32LE(z64 ? 0xffffffff : c.compressedSize >>> 0, 20);
    cd.writeUInt32LE(z64 ? 0xffffffff : c.size >>> 0, 24);
    cd.writeUInt16LE(c.name.length, 28);
    const centralExtra = z64 ? zip64Extra([c.size, c.compressedSize, c.localOffset]) : Buffer.alloc(0);
    cd.writeUInt16LE(centralExtra.length, 30);
    cd.writeUInt32LE(((mode << 16) | (isDir ? 0x10 : 0)) >>> 0, 38);
    cd.writeUInt32LE(z64 ? 0xffffffff : c.localOffset >>> 0, 42);
    central.push(Buffer.concat([cd, c.name, centralExtra]));
    const entry = Buffer.concat([local, l.name, localExtra, packed, descriptor]);
    parts.push(entry);
    offset += entry.length;
  }
  for (const i of options.duplicateRecords ?? []) {
    const copy = central[i];
    if (copy !== undefined) central.push(copy);
  }
  if (options.gap !== undefined) {
    parts.push(options.gap);
    offset += options.gap.length;
  }
  const directory = Buffer.concat(central);
  const comment = Buffer.from(options.comment ?? "");
  const eocd = Buffer.alloc(22);
  const z64 = options.zip64 === true;
  eocd.writeUInt32LE(0x06054b50, 0);
  eocd.writeUInt16LE(z64 ? 0xffff : (options.count ?? central.length), 8);
  eocd.writeUInt16LE(z64 ? 0xffff : (options.count ?? central.length), 10);
  eocd.writeUInt32LE(z64 ? 0xffffffff : (options.cdSize ?? directory.length), 12);
  eocd.writeUInt32LE(z64 ? 0xffffffff : (options.cdOffset ?? offset), 16);
  eocd.writeUInt16LE(comment.length, 20);
  if (!z64) return Buffer.concat([...parts, directory, eocd, comment]);
  const record = Buffer.alloc(56);
  record.writeUInt32LE(0x06064b50, 0);
  record.writeBigUInt64LE(44n, 4);
  record.writeUInt16LE((3 << 8) | 45, 12);
  record.writeUInt16LE(45, 14);
  record.writeBigUInt64LE(BigInt(options.count ?? central.length), 24);
  record.writeBigUInt64LE(BigInt(options.count ?? central.length), 32);
  record.writeBigUInt64LE(BigInt(options.cdSize ?? directory.length), 40);
  record.writeBigUInt64LE(BigInt(options.cdOffset ?? offset), 48);
  const locator = Buffer.alloc(20);
  locator.writeUInt32LE(0x07064b50, 0);
  locator.writeBigUInt64LE(BigInt(offset + directory.length), 8);
  locator.writeUInt32LE(1, 16);
  return Buffer.concat([...parts, directory, record, locator, eocd, comment]);
}
