/** What a format reader hands to the extraction: one entry, its kind, and its data. */

/** The kinds of entry the formats can hold; only the first three are ever extracted. */
export type EntryType =
  | "file"
  | "directory"
  | "symlink"
  | "hardlink"
  | "character-device"
  | "block-device"
  | "fifo"
  | "socket";

/** One entry as a reader parsed it, not yet checked: `path` is the archive's own text. */
export interface ArchiveEntry {
  readonly path: string;
  readonly type: EntryType;
  /** Declared size of the data in bytes (0 for everything but files). */
  readonly size: number;
  /** Any execute bit set in the archived mode. */
  readonly executable: boolean;
  readonly mtime: Date | undefined;
  /** Target of a symbolic or hard link. */
  readonly linkTarget: string | undefined;
  /**
   * The file's data, exactly `size` bytes once verified (a reader throws instead of ending
   * short or running over). Read it at most once, before asking for the next entry.
   */
  data(): AsyncIterable<Buffer>;
}

const NO_DATA: AsyncIterable<Buffer> = {
  [Symbol.asyncIterator]: () => ({ next: async () => ({ done: true, value: undefined }) }),
};

/** The data of an entry that has none. */
export function noData(): AsyncIterable<Buffer> {
  return NO_DATA;
}

/** The kind named by the type bits of a Unix `st_mode` (`S_IFMT`), or undefined for 0. */
export function typeOfMode(mode: number): EntryType | "unknown" | undefined {
  switch (mode & 0o170000) {
    case 0:
      return undefined;
    case 0o100000:
      return "file";
    case 0o040000:
      return "directory";
    case 0o120000:
      return "symlink";
    case 0o020000:
      return "character-device";
    case 0o060000:
      return "block-device";
    case 0o010000:
      return "fifo";
    case 0o140000:
      return "socket";
    default:
      return "unknown";
  }
}

/** Seconds since the epoch as a Date, or undefined when not a usable instant. */
export function dateOfSeconds(seconds: number): Date | undefined {
  const date = new Date(seconds * 1000);
  return Number.isFinite(date.getTime()) ? date : undefined;
}
