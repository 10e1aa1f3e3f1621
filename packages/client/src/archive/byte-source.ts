import { ARCHIVE_ERRORS, ArchiveError } from "./errors.js";

/**
 * Exact-length reads over a stream of chunks of any size: the tar reader asks for a
 * 512-byte header or an entry's `size` bytes and gets them whatever the chunking.
 */
export class ByteSource {
  private pending: Buffer = Buffer.alloc(0);
  private ended = false;

  constructor(private readonly chunks: AsyncIterator<Uint8Array>) {}

  /** Refills `pending` when it is empty; false at the end of the stream. */
  private async fill(): Promise<boolean> {
    while (this.pending.length === 0) {
      if (this.ended) return false;
      const next = await this.chunks.next();
      if (next.done) {
        this.ended = true;
        return false;
      }
      this.pending = Buffer.from(next.value.buffer, next.value.byteOffset, next.value.byteLength);
    }
    return true;
  }

  /** Up to `n` bytes; fewer only at the end of the stream. */
  async read(n: number): Promise<Buffer> {
    const parts: Buffer[] = [];
    let have = 0;
    while (have < n && (await this.fill())) {
      const part = this.pending.subarray(0, n - have);
      this.pending = this.pending.subarray(part.length);
      parts.push(part);
      have += part.length;
    }
    return parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts, have);
  }

  /**
   * Exactly `n` bytes as the chunks that hold them, without copying.
   * @throws {ArchiveError} `ARCHIVE_MALFORMED` when the stream ends first.
   */
  async *take(n: number, what: string): AsyncGenerator<Buffer> {
    let left = n;
    while (left > 0) {
      if (!(await this.fill())) {
        throw new ArchiveError(ARCHIVE_ERRORS.MALFORMED, `the archive is truncated in ${what}`);
      }
      const part = this.pending.subarray(0, left);
      this.pending = this.pending.subarray(part.length);
      left -= part.length;
      yield part;
    }
  }

  /** Skips exactly `n` bytes. @throws {ArchiveError} `ARCHIVE_MALFORMED` when the stream ends first. */
  async skip(n: number, what: string): Promise<void> {
    for await (const _ of this.take(n, what)) {
      // discarded
    }
  }
}
