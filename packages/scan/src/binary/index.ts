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
export { BINARY_FINDINGS } from "./findings.js";
export { BINARY_LIMITS } from "./limits.js";
export { type BinaryFormat, sniffBinary } from "./sniff.js";
export type { BinaryInfo, SectionInfo, SignatureInfo } from "./types.js";

function notABinary(file: string): never {
  throw new ScanFormatError("SCAN_BAD_BINARY", `${file}: not a PE, ELF or Mach-O file`, { file });
}

/**
 * Parses a binary and checks its signature in one pass (one parse, one Authenticode hash): what
 * {@link analyzeBinary} and {@link checkSignature} return together, for a pipeline that wants both.
 * @throws ScanFormatError `SCAN_BAD_PE` / `SCAN_BAD_ELF` / `SCAN_BAD_MACHO` on malformed input,
 * `SCAN_BAD_BINARY` when the bytes are none of these.
 * @throws ScanLimitError `SCAN_LIMIT_*` when a table is over its bound ({@link BINARY_LIMITS}).
 */
export function readBinary(bytes: Uint8Array, file: string): { info: BinaryInfo; findings: Finding[] } {
  switch (sniffBinary(bytes)) {
    case "pe": {
      const { binary, findings } = analyzePe(bytes, file);
      return { info: binary, findings };
    }
    case "elf":
      // ELF has no standard embedded signature.
      return { info: analyzeElf(bytes, file), findings: [] };
    case "macho": {
      const { binary, findings } = analyzeMacho(bytes, file);
      return { info: binary, findings };
    }
    default:
      return notABinary(file);
  }
}

/**
 * Parses a binary, its signature included (synchronously: signatures are checked with node:crypto).
 * @throws as {@link readBinary}.
 */
export function analyzeBinary(bytes: Uint8Array, file: string): BinaryInfo {
  return readBinary(bytes, file).info;
}

/**
 * Layer 2 on one file: the signature and every structural problem of it (Authenticode digest
 * mismatch, signer signature invalid, data after the PKCS#7 blob inside the certificate table,
 * an overlay after the table, a table that is not the last thing in the file, malformed entries;
 * Mach-O code signature missing on an executable, ad-hoc, malformed, data after it). Async for
 * the contract's sake; the work is synchronous.
 * @throws as {@link readBinary}.
 */
export async function checkSignature(
  bytes: Uint8Array,
  file: string,
): Promise<{ info: SignatureInfo; findings: Finding[] }> {
  const { info, findings } = readBinary(bytes, file);
  return { info: info.signature, findings };
}
