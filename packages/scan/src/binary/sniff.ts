/** Recognising a binary by its magic bytes. */

/** The binary formats the scan reads. */
export type BinaryFormat = "pe" | "elf" | "macho";

/** Mach-O magics as read little-endian from the first four bytes. */
export const MACHO_MAGICS = new Set([0xfeedface, 0xcefaedfe, 0xfeedfacf, 0xcffaedfe]);
/** Fat (universal) Mach-O magics, stored big-endian. */
export const FAT_MAGIC = 0xcafebabe;
export const FAT_MAGIC_64 = 0xcafebabf;

/**
 * Recognises a binary by its magic bytes, without parsing further: `MZ` followed by a `PE\0\0`
 * header where e_lfanew points, `\x7fELF`, or a Mach-O (thin or fat) magic. A Java class file
 * shares the fat magic `0xcafebabe`; it is told apart by its version field (≥ 45 where a fat
 * header has a small architecture count).
 */
export function sniffBinary(bytes: Uint8Array): BinaryFormat | undefined {
  if (bytes.length < 8) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes[0] === 0x4d && bytes[1] === 0x5a && bytes.length >= 64) {
    const lfanew = view.getUint32(0x3c, true);
    if (lfanew + 4 <= bytes.length && view.getUint32(lfanew, true) === 0x00004550) return "pe";
    return undefined;
  }
  if (bytes[0] === 0x7f && bytes[1] === 0x45 && bytes[2] === 0x4c && bytes[3] === 0x46) return "elf";
  if (MACHO_MAGICS.has(view.getUint32(0, true))) return "macho";
  const be = view.getUint32(0, false);
  if ((be === FAT_MAGIC || be === FAT_MAGIC_64) && view.getUint32(4, false) > 0 && view.getUint32(4, false) < 45) {
    return "macho";
  }
  return undefined;
}
