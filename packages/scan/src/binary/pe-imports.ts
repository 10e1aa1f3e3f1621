/**
 * The PE import table and delay-load import table (PE Format, ".idata Section" and "Delay-Load
 * Import Tables"), as normalised strings `kernel32.dll!LoadLibraryW` / `ws2_32.dll!#12`.
 *
 * Hostile tables are refused: descriptor and function counts are bounded, a thunk array or a
 * name that points back into the descriptor table (a self-referencing, looping table) and a
 * descriptor repeated verbatim are `SCAN_BAD_PE` errors.
 */
import { BINARY_LIMITS } from "./limits.js";
import { DIRECTORY, directory, needOffset, type PeImage } from "./pe.js";
import { WalkBudget } from "./reader.js";

const DESCRIPTOR_SIZE = 20;
const DELAY_DESCRIPTOR_SIZE = 32;

interface Descriptor {
  readonly nameRva: number;
  readonly thunkRva: number;
}

/**
 * Every import of the image (regular and delay-load), normalised, sorted and unique.
 * @throws ScanFormatError `SCAN_BAD_PE` for an unmapped or looping table.
 * @throws ScanLimitError `SCAN_LIMIT_PE_IMPORTS` past the bounds in {@link BINARY_LIMITS}.
 */
export function readImports(image: PeImage): string[] {
  const functions = new WalkBudget(BINARY_LIMITS.peImportedFunctions, "SCAN_LIMIT_PE_IMPORTS", "imported functions");
  const out = new Set<string>();
  const regular = directory(image, DIRECTORY.import);
  if (regular) {
    const descriptors = walkDescriptors(image, regular.rva, DESCRIPTOR_SIZE, "import", (at) => ({
      // OriginalFirstThunk (the lookup table) when present, else FirstThunk.
      thunkRva: image.reader.u32(at) || image.reader.u32(at + 16),
      nameRva: image.reader.u32(at + 12),
    }));
    for (const d of descriptors) readThunks(image, d, regular.rva, descriptors.length, DESCRIPTOR_SIZE, functions, out);
  }
  const delay = directory(image, DIRECTORY.delayImport);
  if (delay) {
    const descriptors = walkDescriptors(image, delay.rva, DELAY_DESCRIPTOR_SIZE, "delay-import", (at) => {
      // Attributes bit 0 clear: the old format, whose fields are VAs rather than RVAs.
      const rvaBased = (image.reader.u32(at) & 1) === 1;
      const toRva = (value: number): number =>
        rvaBased || value === 0 ? value : Number(BigInt(value) - image.imageBase);
      return { nameRva: toRva(image.reader.u32(at + 4)), thunkRva: toRva(image.reader.u32(at + 16)) };
    });
    for (const d of descriptors) {
      readThunks(image, d, delay.rva, descriptors.length, DELAY_DESCRIPTOR_SIZE, functions, out);
    }
  }
  return [...out].sort();
}

function walkDescriptors(
  image: PeImage,
  tableRva: number,
  size: number,
  what: string,
  read: (offset: number) => Descriptor,
): Descriptor[] {
  const r = image.reader;
  const start = needOffset(image, tableRva, `the ${what} directory`);
  const budget = new WalkBudget(BINARY_LIMITS.peImportDescriptors, "SCAN_LIMIT_PE_IMPORTS", `${what} descriptors`);
  const seen = new Set<string>();
  const out: Descriptor[] = [];
  for (let at = start; ; at += size) {
    budget.step(r.file);
    r.need(at, size, `an ${what} descriptor`);
    if (r.bytesAt(at, size, `an ${what} descriptor`).every((b) => b === 0)) break;
    const d = read(at);
    if (d.nameRva === 0) break;
    const key = `${d.nameRva}:${d.thunkRva}`;
    if (seen.has(key)) r.fail(`the ${what} table loops: descriptor at offset ${at} repeats an earlier one`, at);
    seen.add(key);
    out.push(d);
  }
  return out;
}

function readThunks(
  image: PeImage,
  d: Descriptor,
  tableRva: number,
  count: number,
  size: number,
  functions: WalkBudget,
  out: Set<string>,
): void {
  const r = image.reader;
  const tableEnd = tableRva + (count + 1) * size;
  const inTable = (rva: number): boolean => rva >= tableRva && rva < tableEnd;
  if (inTable(d.nameRva) || inTable(d.thunkRva)) {
    r.fail(
      `a self-referencing import table: a descriptor points back into the descriptor table (RVA 0x${tableRva.toString(16)})`,
    );
  }
  const dll = r
    .cString(needOffset(image, d.nameRva, "an imported DLL name"), "an imported DLL name", 256)
    .toLowerCase();
  if (d.thunkRva === 0) return;
  const width = image.pe32Plus ? 8 : 4;
  const start = needOffset(image, d.thunkRva, `the import lookup table of ${dll}`);
  for (let at = start; ; at += width) {
    functions.step(r.file);
    const entry = image.pe32Plus ? r.u64Big(at, "an import thunk") : BigInt(r.u32(at, "an import thunk"));
    if (entry === 0n) break;
    const ordinalFlag = image.pe32Plus ? 1n << 63n : 1n << 31n;
    if ((entry & ordinalFlag) !== 0n) {
      out.add(`${dll}!#${Number(entry & 0xffffn)}`);
      continue;
    }
    const hintName = Number(entry & 0x7fffffffn);
    if (inTable(hintName) || (hintName >= d.thunkRva && hintName < d.thunkRva + (at - start + width))) {
      r.fail(`a self-referencing import table: an import name of ${dll} points into the table being read`, at);
    }
    const nameAt = needOffset(image, hintName, `an import name of ${dll}`);
    out.add(`${dll}!${r.cString(nameAt + 2, `an import name of ${dll}`, BINARY_LIMITS.nameBytes)}`);
  }
}
