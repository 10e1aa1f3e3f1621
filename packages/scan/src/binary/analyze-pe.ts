/** {@link BinaryInfo} of a PE: imports, sections, version resource, overlay, signature. */
import { checkAuthenticode } from "./authenticode.js";
import { entropy, entropyOfParts } from "./entropy.js";
import { endOfImage, readPe } from "./pe.js";
import { readImports } from "./pe-imports.js";
import { readVersionResource } from "./pe-version.js";
import type { BinaryInfo, SectionInfo } from "./types.js";

/**
 * Parses a PE and checks its signature.
 * @throws ScanFormatError `SCAN_BAD_PE`, ScanLimitError `SCAN_LIMIT_PE_*`.
 */
export function analyzePe(
  bytes: Uint8Array,
  file: string,
): ReturnType<typeof checkAuthenticode> & { binary: BinaryInfo } {
  const image = readPe(bytes, file);
  const sections: SectionInfo[] = image.sections.map((s) => {
    const start = Math.min(s.rawOffset, bytes.length);
    const data = bytes.subarray(start, Math.min(bytes.length, start + s.rawSize));
    return { name: s.name, offset: s.rawOffset, size: s.rawSize, entropy: entropy(data), executable: s.executable };
  });
  const version = readVersionResource(image);
  const check = checkAuthenticode(image);
  // The overlay: what follows the sections, less the certificate table (reported on its own).
  const start = endOfImage(image);
  const table = check.table;
  const parts: { offset: number; data: Uint8Array }[] = [];
  if (table && table.offset >= start && table.offset + table.size <= bytes.length) {
    parts.push({ offset: start, data: bytes.subarray(start, table.offset) });
    parts.push({ offset: table.offset + table.size, data: bytes.subarray(table.offset + table.size) });
  } else {
    parts.push({ offset: start, data: bytes.subarray(start) });
  }
  const present = parts.filter((p) => p.data.length > 0);
  const overlaySize = present.reduce((n, p) => n + p.data.length, 0);
  const overlayOffset = present[0]?.offset ?? start;
  const strings = version?.strings;
  const versionText = strings?.get("FileVersion") || strings?.get("ProductVersion") || version?.fixedFileVersion;
  const name = strings?.get("OriginalFilename") || strings?.get("InternalName");
  const binary: BinaryInfo = {
    format: "pe",
    executable: !image.dll,
    ...(versionText ? { version: versionText } : {}),
    ...(name ? { name } : {}),
    imports: readImports(image),
    sections,
    ...(overlaySize > 0
      ? { overlay: { offset: overlayOffset, size: overlaySize, entropy: entropyOfParts(present.map((p) => p.data)) } }
      : {}),
    signature: check.info,
  };
  return { ...check, binary };
}
