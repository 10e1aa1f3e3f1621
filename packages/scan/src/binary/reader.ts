/**
 * A bounds-checked view of an untrusted binary: every read outside the file is a
 * {@link ScanFormatError} with the format's code and the offset, never a RangeError or a
 * silently short read.
 */
import { ScanFormatError, ScanLimitError } from "../errors.js";

/** The error code of each binary format. */
export type BinaryErrorCode = "SCAN_BAD_PE" | "SCAN_BAD_ELF" | "SCAN_BAD_MACHO";

export class ByteReader {
  readonly view: DataView;
  constructor(
    readonly bytes: Uint8Array,
    readonly code: BinaryErrorCode,
    readonly file: string,
    /** Byte order of multi-byte reads. */
    readonly littleEndian = true,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get length(): number {
    return this.bytes.length;
  }

  /** A reader over the same bytes with another byte order. */
  withEndian(littleEndian: boolean): ByteReader {
    return new ByteReader(this.bytes, this.code, this.file, littleEndian);
  }

  /** A reader over `[offset, offset + size)`; offsets inside it start at 0. */
  slice(offset: number, size: number, what: string): ByteReader {
    this.need(offset, size, what);
    return new ByteReader(this.bytes.subarray(offset, offset + size), this.code, this.file, this.littleEndian);
  }

  fail(message: string, offset?: number): never {
    throw new ScanFormatError(this.code, `${this.file}: ${message}`, { offset, file: this.file });
  }

  /** Throws unless `[offset, offset + size)` lies inside the bytes. */
  need(offset: number, size: number, what: string): void {
    if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(size) || offset < 0 || size < 0) {
      this.fail(`${what} has an impossible offset or size`, offset);
    }
    if (offset + size > this.bytes.length) {
      this.fail(
        `${what} at offset ${offset} (${size} bytes) lies beyond the end of the file (${this.bytes.length} bytes)`,
        offset,
      );
    }
  }

  has(offset: number, size: number): boolean {
    return Number.isSafeInteger(offset) && offset >= 0 && size >= 0 && offset + size <= this.bytes.length;
  }

  u8(offset: number, what = "a byte"): number {
    this.need(offset, 1, what);
    return this.view.getUint8(offset);
  }

  u16(offset: number, what = "a 16-bit field"): number {
    this.need(offset, 2, what);
    return this.view.getUint16(offset, this.littleEndian);
  }

  u32(offset: number, what = "a 32-bit field"): number {
    this.need(offset, 4, what);
    return this.view.getUint32(offset, this.littleEndian);
  }

  /** A 64-bit field, refused when it does not fit a safe integer (no real offset or size does). */
  u64(offset: number, what = "a 64-bit field"): number {
    this.need(offset, 8, what);
    const value = this.view.getBigUint64(offset, this.littleEndian);
    if (value > BigInt(Number.MAX_SAFE_INTEGER)) this.fail(`${what} is too large (${value})`, offset);
    return Number(value);
  }

  /** A 64-bit field that may exceed 2^53 (addresses), as a bigint. */
  u64Big(offset: number, what = "a 64-bit field"): bigint {
    this.need(offset, 8, what);
    return this.view.getBigUint64(offset, this.littleEndian);
  }

  bytesAt(offset: number, size: number, what: string): Uint8Array {
    this.need(offset, size, what);
    return this.bytes.subarray(offset, offset + size);
  }

  /** A NUL-terminated string of at most `max` bytes (latin1, as names in binaries are bytes). */
  cString(offset: number, what: string, max: number): string {
    this.need(offset, 0, what);
    const end = Math.min(this.bytes.length, offset + max);
    let i = offset;
    while (i < end && this.bytes[i] !== 0) i++;
    if (i === end) this.fail(`${what} at offset ${offset} is not NUL-terminated within ${max} bytes`, offset);
    return latin1(this.bytes.subarray(offset, i));
  }

  /** A fixed-size field holding a string padded with NULs (section and segment names). */
  fixedString(offset: number, size: number, what: string): string {
    const raw = this.bytesAt(offset, size, what);
    const nul = raw.indexOf(0);
    return latin1(nul === -1 ? raw : raw.subarray(0, nul));
  }
}

export function latin1(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("latin1");
}

/** Counts steps of a table walk; going over the limit is a {@link ScanLimitError}. */
export class WalkBudget {
  private used = 0;
  constructor(
    private readonly limit: number,
    private readonly code: `SCAN_LIMIT_${string}`,
    private readonly what: string,
  ) {}

  step(file: string, count = 1): void {
    this.used += count;
    if (this.used > this.limit) {
      throw new ScanLimitError(this.code, `${file}: more than ${this.limit} ${this.what}`, this.limit);
    }
  }
}
