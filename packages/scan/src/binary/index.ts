/**
 * Binary readers of the scan: PE (with Authenticode), ELF and Mach-O. Each parses untrusted
 * bytes into a {@link BinaryInfo} in bounded time and memory, or throws a typed error.
 */
import { ScanFormatError } from "../errors.js";
import type { Finding } from "../finding.js";
import { analyzePe } from "./analyze-pe.js";
import { analyzeElf } from "./elf.js";
import { analyzeMacho } from "./macho.js";
import { sniffBinary } from "./sniff.js";
import type { BinaryInfo, SignatureInfo } from "./types.js";

export { COMPARE_THRESHOLDS, compareBinaries } from "./compare.js";
export { entropy } from "./entropy.js";
export { BINARY_LIMITS } from "./limits.js";
export { type BinaryFormat, sniffBinary } from "./sniff.js";
export type { BinaryInfo, SectionInfo, SignatureInfo } from "./types.js";

function notABinary(file: string): never {
  throw new ScanFormatError("SCAN_BAD_BINARY", `${file}: not a PE, ELF or Mach-O file`, { file });
}

/**
 * Parses a binary (synchronously: signatures are checked with node:crypto).
 * @throws ScanFormatError `SCAN_BAD_PE` / `SCAN_BAD_ELF` / `SCAN_BAD_MACHO` on malformed input,
 * `SCAN_BAD_BINARY` when the bytes are none of these.
 * @throws ScanLimitError `SCAN_LIMIT_*` when a table is over its bound ({@link BINARY_LIMITS}).
 */
export function analyzeBinary(bytes: Uint8Array, file: string): BinaryInfo {
  switch (sniffBinary(bytes)) {
    case "pe":
      return analyzePe(bytes, file).binary;
    case "elf":
      return analyzeElf(bytes, file);
    case "macho":
      return analyzeMacho(bytes, file).binary;
    default:
      return notABinary(file);
  }
}

/**
 * Layer 2 on one file: the signature and every structural problem of it (Authenticode digest
 * mismatch, data after the PKCS#7 blob inside the certificate table, an overlay after the table,
 * a table that is not the last thing in the file, malformed entries; Mach-O code signature
 * missing on an executable...). Async for the pipeline's sake; the work is synchronous.
 * @throws as {@link analyzeBinary}.
 */
export async function checkSignature(
  bytes: Uint8Array,
  file: string,
): Promise<{ info: SignatureInfo; findings: Finding[] }> {
  switch (sniffBinary(bytes)) {
    case "pe": {
      const { info, findings } = analyzePe(bytes, file);
      return { info, findings };
    }
    case "elf":
      // ELF has no standard embedded signature; parse it anyway so hostile bytes fail here too.
      return { info: analyzeElf(bytes, file).signature, findings: [] };
    case "macho": {
      const { binary, findings } = analyzeMacho(bytes, file);
      return { info: binary.signature, findings };
    }
    default:
      return notABinary(file);
  }
}
