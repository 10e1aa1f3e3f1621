import { BulwarkError } from "@bulwark/tuf";

/** Stable codes of {@link ArchiveError}. */
export const ARCHIVE_ERRORS = {
  /** An entry's path or link target is absolute, climbs out, or would be written through a link. */
  UNSAFE_PATH: "ARCHIVE_UNSAFE_PATH",
  /** An entry of a kind that is never extracted: a hard link, device, FIFO or unknown type. */
  UNSUPPORTED_ENTRY: "ARCHIVE_UNSUPPORTED_ENTRY",
  /** Over one of the extraction bounds (bytes, entries, path length, compression ratio). */
  TOO_LARGE: "ARCHIVE_TOO_LARGE",
  /** Not well-formed: a bad checksum or CRC, truncated, an inconsistent zip directory. */
  MALFORMED: "ARCHIVE_MALFORMED",
  /** Well-formed but using a feature this reader does not implement (zip64, encryption, a method). */
  UNSUPPORTED: "ARCHIVE_UNSUPPORTED",
} as const;

/** One of the {@link ARCHIVE_ERRORS} codes. */
export type ArchiveErrorCode = (typeof ARCHIVE_ERRORS)[keyof typeof ARCHIVE_ERRORS];

/**
 * A release archive that is refused: the bytes inside it, not the caller, are at fault.
 * Nothing is left at the destination when one is thrown.
 */
export class ArchiveError extends BulwarkError {
  /** One of {@link ARCHIVE_ERRORS}. */
  declare readonly code: ArchiveErrorCode;

  /** @param code one of {@link ARCHIVE_ERRORS}. */
  constructor(code: ArchiveErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

/** `entry "a/b"` for messages; JSON quoting makes control characters visible. */
export function entryLabel(name: string): string {
  return `entry ${JSON.stringify(name)}`;
}
