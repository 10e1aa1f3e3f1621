/**
 * The PE version resource (RT_VERSION, a VS_VERSIONINFO tree): the strings of its
 * StringFileInfo tables (FileVersion, ProductVersion, OriginalFilename, ...) and the numeric
 * VS_FIXEDFILEINFO versions. Resource directories are walked with a visited set (a directory
 * pointing back at an ancestor is refused) and a bounded entry count.
 */
import { BINARY_LIMITS } from "./limits.js";
import { DIRECTORY, directory, needOffset, type PeImage } from "./pe.js";
import { type ByteReader, WalkBudget } from "./reader.js";

const RT_VERSION = 16;
const FIXED_SIGNATURE = 0xfeef04bd;

export interface VersionResource {
  /** StringFileInfo strings of the first string table. */
  readonly strings: ReadonlyMap<string, string>;
  /** VS_FIXEDFILEINFO file version as `a.b.c.d`, when present. */
  readonly fixedFileVersion?: string;
  readonly fixedProductVersion?: string;
}

/**
 * The version resource of the image, or undefined when it has none.
 * @throws ScanFormatError `SCAN_BAD_PE` for a looping or truncated resource tree.
 * @throws ScanLimitError `SCAN_LIMIT_PE_RESOURCES` past the resource bounds.
 */
export function readVersionResource(image: PeImage): VersionResource | undefined {
  const dir = directory(image, DIRECTORY.resource);
  if (!dir) return undefined;
  const r = image.reader;
  const root = needOffset(image, dir.rva, "the resource directory");
  const budget = new WalkBudget(BINARY_LIMITS.peResourceEntries, "SCAN_LIMIT_PE_RESOURCES", "resource entries");
  const visited = new Set<number>();
  // Three levels: type, name, language. Take the first name and the first language.
  let level = root;
  for (let depth = 0; depth < 3; depth++) {
    if (visited.has(level)) r.fail(`the resource directory loops back to offset ${level}`, level);
    visited.add(level);
    const entries = r.u16(level + 12, "a resource directory") + r.u16(level + 14, "a resource directory");
    let next: number | undefined;
    for (let i = 0; i < entries; i++) {
      budget.step(r.file);
      const e = level + 16 + i * 8;
      const id = r.u32(e, "a resource entry");
      const target = r.u32(e + 4, "a resource entry");
      if (depth === 0 && ((id & 0x80000000) !== 0 || id !== RT_VERSION)) continue;
      next = target;
      break;
    }
    if (next === undefined) return undefined;
    const subdirectory = (next & 0x80000000) !== 0;
    if (depth < 2 && !subdirectory)
      r.fail("a resource directory entry that should lead to a subdirectory does not", level);
    if (depth === 2 && subdirectory) r.fail("the version resource has more than three directory levels", level);
    level = root + (next & 0x7fffffff);
    r.need(level, 16, "a resource directory");
  }
  const dataRva = r.u32(level, "the version resource data entry");
  const size = r.u32(level + 4, "the version resource data entry");
  if (size > BINARY_LIMITS.peVersionResourceBytes) {
    r.fail(`the version resource is ${size} bytes, more than ${BINARY_LIMITS.peVersionResourceBytes}`, level);
  }
  const data = r.slice(needOffset(image, dataRva, "the version resource"), size, "the version resource");
  return parseVersionInfo(data);
}

interface VersionNode {
  readonly key: string;
  readonly valueOffset: number;
  readonly valueBytes: number;
  readonly type: number;
  readonly children: readonly VersionNode[];
}

function parseVersionInfo(r: ByteReader): VersionResource {
  const budget = new WalkBudget(BINARY_LIMITS.peVersionNodes, "SCAN_LIMIT_PE_RESOURCES", "version resource nodes");
  const root = parseNode(r, 0, r.length, 0, budget);
  if (root.key !== "VS_VERSION_INFO") r.fail(`the version resource starts with "${root.key}", not VS_VERSION_INFO`);
  const strings = new Map<string, string>();
  const fileInfo = root.children.find((c) => c.key === "StringFileInfo");
  const table = fileInfo?.children[0];
  for (const s of table?.children ?? []) {
    if (!strings.has(s.key)) strings.set(s.key, utf16z(r, s.valueOffset, s.valueBytes));
  }
  const result: { strings: Map<string, string>; fixedFileVersion?: string; fixedProductVersion?: string } = { strings };
  if (root.valueBytes >= 52 && r.u32(root.valueOffset) === FIXED_SIGNATURE) {
    result.fixedFileVersion = fixedVersion(r, root.valueOffset + 8);
    result.fixedProductVersion = fixedVersion(r, root.valueOffset + 16);
  }
  return result;
}

function parseNode(r: ByteReader, at: number, end: number, depth: number, budget: WalkBudget): VersionNode {
  budget.step(r.file);
  if (depth > 4) r.fail("the version resource nests too deeply", at);
  const length = r.u16(at, "a version resource node");
  const valueLength = r.u16(at + 2, "a version resource node");
  const type = r.u16(at + 4, "a version resource node");
  if (length < 6 || at + length > end) r.fail(`a version resource node has a bad length ${length}`, at);
  let p = at + 6;
  const keyStart = p;
  while (p + 1 < at + length && r.u16(p) !== 0) p += 2;
  const key = utf16(r, keyStart, p - keyStart);
  p = align4(p + 2);
  // wValueLength counts 16-bit words for text values, bytes for binary ones.
  const valueBytes = Math.min(type === 1 ? valueLength * 2 : valueLength, Math.max(0, at + length - p));
  const valueOffset = p;
  p = align4(p + valueBytes);
  const children: VersionNode[] = [];
  while (p + 6 <= at + length) {
    const child = parseNode(r, p, at + length, depth + 1, budget);
    children.push(child);
    p = align4(p + r.u16(p));
  }
  return { key, valueOffset, valueBytes, type, children };
}

function align4(n: number): number {
  return (n + 3) & ~3;
}

function utf16(r: ByteReader, at: number, size: number): string {
  const raw = r.bytesAt(at, size - (size % 2), "a version resource string");
  return Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString("utf16le");
}

function utf16z(r: ByteReader, at: number, size: number): string {
  const text = utf16(r, at, size);
  const nul = text.indexOf("\0");
  return (nul === -1 ? text : text.slice(0, nul)).trim();
}

function fixedVersion(r: ByteReader, at: number): string {
  const ms = r.u32(at);
  const ls = r.u32(at + 4);
  return `${ms >>> 16}.${ms & 0xffff}.${ls >>> 16}.${ls & 0xffff}`;
}
