/**
 * A streaming tar reader: POSIX ustar, GNU long names (`L`, `K`) and pax extended headers
 * (`x`: `path`, `linkpath`, `size`, `mtime`; `g` is parsed and ignored). Every byte of the
 * tar stream is charged to the {@link Budget}, headers included, and the archive must end
 * with its two zero blocks followed only by zero padding.
 */
import { ByteSource } from "./byte-source.js";
import { type ArchiveEntry, dateOfSeconds, type EntryType, noData } from "./entry.js";
import { ARCHIVE_ERRORS, ArchiveError, entryLabel } from "./errors.js";
import { type Budget, MAX_PAX_HEADER_BYTES, MAX_TAR_TRAILING_BYTES } from "./limits.js";
import { BLOCK, decodeName, isZeroBlock, parsePaxRecords, parseTarHeader, type TarHeader } from "./tar-header.js";

const TYPES: Record<string, EntryType> = {
  "0": "file",
  "\0": "file",
  "7": "file", // contiguous file: a regular file everywhere but one historic system
  "1": "hardlink",
  "2": "symlink",
  "3": "character-device",
  "4": "block-device",
  "5": "directory",
  "6": "fifo",
};

/** What pax and GNU headers say about the entry that follows them. */
interface Overrides {
  path?: string | undefined;
  linkpath?: string | undefined;
  size?: number | undefined;
  mtime?: number | undefined;
}

function malformed(message: string): ArchiveError {
  return new ArchiveError(ARCHIVE_ERRORS.MALFORMED, message);
}

function padding(size: number): number {
  return (BLOCK - (size % BLOCK)) % BLOCK;
}

/** Applies pax records to `overrides`; an empty value cancels an override. */
function applyPax(overrides: Overrides, records: Map<string, string>, at: number): void {
  for (const [key, value] of records) {
    if (key.startsWith("GNU.sparse.")) {
      throw new ArchiveError(ARCHIVE_ERRORS.UNSUPPORTED_ENTRY, `the entry after byte ${at} is a GNU sparse file`);
    }
    if (key === "path") overrides.path = value === "" ? undefined : value;
    else if (key === "linkpath") overrides.linkpath = value === "" ? undefined : value;
    else if (key === "size") {
      if (value !== "" && !/^[0-9]{1,16}$/.test(value)) throw malformed(`the pax header at byte ${at} has a bad size`);
      overrides.size = value === "" ? undefined : Number(value);
      if (overrides.size !== undefined && !Number.isSafeInteger(overrides.size)) {
        throw malformed(`the pax header at byte ${at} has a bad size`);
      }
    } else if (key === "mtime") {
      if (value !== "" && !/^-?[0-9]{1,16}(\.[0-9]{0,9})?$/.test(value)) {
        throw malformed(`the pax header at byte ${at} has a bad mtime`);
      }
      overrides.mtime = value === "" ? undefined : Number(value);
    }
  }
}

/**
 * The entries of the tar stream `chunks`, in order. Each entry's data must be read (or
 * not) before the next is asked for; what is left of it is skipped.
 * @throws {ArchiveError} `ARCHIVE_MALFORMED`, `ARCHIVE_UNSUPPORTED`, `ARCHIVE_UNSUPPORTED_ENTRY`,
 * `ARCHIVE_TOO_LARGE`.
 */
export async function* readTarEntries(chunks: AsyncIterable<Uint8Array>, budget: Budget): AsyncGenerator<ArchiveEntry> {
  const iterator = chunks[Symbol.asyncIterator]();
  try {
    yield* readEntries(new ByteSource(iterator), budget);
  } finally {
    // Stopped early (a refusal, or the consumer gave up): release the stream and its file.
    await iterator.return?.();
  }
}

async function* readEntries(source: ByteSource, budget: Budget): AsyncGenerator<ArchiveEntry> {
  let at = 0;
  let overrides: Overrides = {};
  let pendingMeta = false;
  const paxBound = `${MAX_PAX_HEADER_BYTES} bytes`;
  // A GNU long name carries its terminating NUL.
  const pathMax = budget.limits.maxPathLength + 1;
  const pathBound = `maxPathLength (${budget.limits.maxPathLength} bytes)`;

  /** Reads a metadata entry's data into memory, bounded by `max` (named `bound` in messages). */
  const readMeta = async (header: TarHeader, max: number, bound: string, what: string): Promise<Buffer> => {
    if (header.size > max) {
      throw new ArchiveError(ARCHIVE_ERRORS.TOO_LARGE, `the ${what} at byte ${at} is longer than ${bound}`);
    }
    const size = header.size + padding(header.size);
    budget.addOverhead(`the ${what} at byte ${at}`, size);
    const data = await source.read(size);
    if (data.length < size) throw malformed(`the archive is truncated in the ${what} at byte ${at}`);
    at += BLOCK + size;
    return data.subarray(0, header.size);
  };

  for (;;) {
    const block = await source.read(BLOCK);
    if (block.length < BLOCK) {
      throw malformed(
        block.length === 0
          ? `the archive ends at byte ${at} without its end-of-archive blocks`
          : `the archive is truncated in the header at byte ${at}`,
      );
    }
    budget.addOverhead(`the tar header at byte ${at}`, BLOCK);
    if (isZeroBlock(block)) {
      if (pendingMeta) throw malformed(`the archive ends at byte ${at} after an extended header without its entry`);
      await readEnd(source, at);
      return;
    }
    const header = parseTarHeader(block, at);
    switch (header.typeflag) {
      case "x":
        applyPax(
          overrides,
          parsePaxRecords(await readMeta(header, MAX_PAX_HEADER_BYTES, paxBound, "pax header"), at),
          at,
        );
        pendingMeta = true;
        continue;
      case "g":
        // Global pax records (`git archive` writes its commit id in one) are checked, then ignored.
        parsePaxRecords(await readMeta(header, MAX_PAX_HEADER_BYTES, paxBound, "pax global header"), at);
        continue;
      case "L":
        overrides.path = decodeName(await readMeta(header, pathMax, pathBound, "GNU long name"), "a GNU long name");
        pendingMeta = true;
        continue;
      case "K":
        overrides.linkpath = decodeName(
          await readMeta(header, pathMax, pathBound, "GNU long link name"),
          "a GNU long link name",
        );
        pendingMeta = true;
        continue;
    }
    const path = overrides.path ?? header.name;
    const size = overrides.size ?? header.size;
    const type = TYPES[header.typeflag];
    if (type === undefined) {
      throw new ArchiveError(
        ARCHIVE_ERRORS.UNSUPPORTED_ENTRY,
        `${entryLabel(path)} has the unsupported tar type ${JSON.stringify(header.typeflag)}`,
      );
    }
    if (type !== "file" && size !== 0) throw malformed(`${entryLabel(path)} is a ${type} with ${size} bytes of data`);
    const entryAt = at;
    at += BLOCK;
    let consumed = false;
    let left = size;
    const data = async function* (): AsyncGenerator<Buffer> {
      if (consumed) throw new Error("tar entry data read twice");
      consumed = true;
      for await (const chunk of source.take(size, entryLabel(path))) {
        left -= chunk.length;
        yield chunk;
      }
    };
    yield {
      path,
      type,
      size,
      executable: (header.mode & 0o111) !== 0,
      mtime: dateOfSeconds(overrides.mtime ?? header.mtime),
      linkTarget: type === "symlink" || type === "hardlink" ? (overrides.linkpath ?? header.linkname) : undefined,
      data: type === "file" ? data : noData,
    };
    // Whatever the consumer did not read, and the padding, is skipped and charged as overhead.
    budget.addOverhead(entryLabel(path), left + padding(size));
    await source.skip(left + padding(size), entryLabel(path));
    at = entryAt + BLOCK + size + padding(size);
    overrides = {};
    pendingMeta = false;
  }
}

/**
 * After the first zero block: the second must follow, then nothing but zeros (the
 * record padding writers add), up to {@link MAX_TAR_TRAILING_BYTES}.
 */
async function readEnd(source: ByteSource, at: number): Promise<void> {
  const second = await source.read(BLOCK);
  if (second.length < BLOCK || !isZeroBlock(second)) {
    throw malformed(`the archive has a lone zero block at byte ${at} instead of its end-of-archive blocks`);
  }
  let trailing = 0;
  for (;;) {
    const chunk = await source.read(64 * 1024);
    if (chunk.length === 0) return;
    trailing += chunk.length;
    if (trailing > MAX_TAR_TRAILING_BYTES) {
      throw new ArchiveError(
        ARCHIVE_ERRORS.TOO_LARGE,
        `the archive has more than ${MAX_TAR_TRAILING_BYTES} bytes after its end-of-archive blocks`,
      );
    }
    if (!isZeroBlock(chunk)) throw malformed(`the archive has data after its end-of-archive blocks`);
  }
}
