/**
 * Errors of the scan, on Bulwark's one error tree. Hostile input (a truncated PE, a looping
 * import table, a zip bomb, a huge STIX bundle) is a {@link ScanFormatError} or a
 * {@link ScanLimitError} with a stable code, never a crash or a hang.
 */
import { FormatError } from "@bulwark/tuf";

/**
 * A file the scan cannot read as what it claims to be. Codes are `SCAN_BAD_<FORMAT>`
 * (`SCAN_BAD_PE`, `SCAN_BAD_ELF`, `SCAN_BAD_MACHO`, `SCAN_BAD_ZIP`, `SCAN_BAD_TAR`,
 * `SCAN_BAD_ASAR`, `SCAN_BAD_STIX`, `SCAN_BAD_MISP`, `SCAN_BAD_OSV`, `SCAN_BAD_HASH_LIST`,
 * `SCAN_BAD_YARA`, ...).
 */
export class ScanFormatError extends FormatError {
  constructor(
    code: `SCAN_BAD_${string}`,
    message: string,
    options?: { cause?: unknown; offset?: number | undefined; file?: string | undefined },
  ) {
    super(message, { code, cause: options?.cause });
    this.offset = options?.offset;
    this.file = options?.file;
  }
  /** Byte offset in the file where the problem was found, when known. */
  readonly offset: number | undefined;
  /** The file inside the release, when known. */
  readonly file: string | undefined;
}

/**
 * An input over one of the scan's bounds (decompressed size, entry count, nesting depth,
 * table entries, indicators in an intel file). Codes are `SCAN_LIMIT_<WHAT>`.
 */
export class ScanLimitError extends FormatError {
  constructor(
    code: `SCAN_LIMIT_${string}`,
    message: string,
    readonly limit: number,
  ) {
    super(message, { code });
  }
}
