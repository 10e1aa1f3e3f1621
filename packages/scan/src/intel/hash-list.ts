/**
 * Hash lists: plain text (one digest a line, `#` comments, `sha256sum`-style `digest  name`
 * lines) and CSV with a header naming the hash columns (`sha256_hash`, `sha1`, `md5_hash`...,
 * the header possibly commented out as some feeds do). The algorithm is told by the digest's
 * length, and a line that is neither a comment nor a digest is an error: a list the scan
 * misreads would silently match nothing.
 */
import { ScanFormatError, ScanLimitError } from "../errors.js";
import { hashKindOf, type Indicator, type IndicatorSource } from "./indicator.js";
import type { IntelLimits } from "./limits.js";

const utf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * One source object per distinct label: a list of a million digests shares a handful, where
 * an object (and a line-number string) per digest would cost a hundred megabytes.
 */
function sharedSources(file: string): (name: string | undefined) => IndicatorSource {
  const byName = new Map<string, IndicatorSource>();
  return (name) => {
    const key = name ?? "";
    let source = byName.get(key);
    if (source === undefined) {
      source = { file, kind: "hash-list", name: key === "" ? undefined : key };
      if (byName.size < 100_000) byName.set(key, source);
    }
    return source;
  };
}

function lines(bytes: Uint8Array, file: string, limits: IntelLimits): string[] {
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch (cause) {
    throw new ScanFormatError("SCAN_BAD_HASH_LIST", `${file} is not valid UTF-8`, { cause, file });
  }
  const all = text.split(/\r?\n/);
  if (all.length > limits.maxObjectsPerFile) {
    throw new ScanLimitError(
      "SCAN_LIMIT_INTEL_OBJECTS",
      `${file} has more than ${limits.maxObjectsPerFile} lines`,
      limits.maxObjectsPerFile,
    );
  }
  return all;
}

/**
 * Reads a plain hash list.
 *
 * @throws {ScanFormatError} `SCAN_BAD_HASH_LIST` naming the line that is not a digest.
 */
export function readPlainHashList(bytes: Uint8Array, file: string, limits: IntelLimits): Indicator[] {
  const out: Indicator[] = [];
  const source = sharedSources(file);
  lines(bytes, file, limits).forEach((raw, i) => {
    const line = raw.trim();
    if (line === "" || line.startsWith("#") || line.startsWith(";")) return;
    const m = /^([0-9A-Fa-f]+)(?:\s+\*?(.*))?$/.exec(line);
    const kind = m === null ? undefined : hashKindOf(m[1] as string);
    if (m === null || kind === undefined) {
      throw new ScanFormatError(
        "SCAN_BAD_HASH_LIST",
        `${file} line ${i + 1} is not an MD5, SHA-1 or SHA-256 hex digest`,
        { file },
      );
    }
    const name = m[2]?.replace(/^#\s*/, "").trim();
    out.push({ kind, value: (m[1] as string).toLowerCase(), source: source(name) });
  });
  return out;
}

/** Splits one CSV record (RFC 4180 quoting; spaces around fields are dropped). */
export function splitCsvLine(line: string): string[] | undefined {
  const fields: string[] = [];
  let i = 0;
  for (;;) {
    while (line[i] === " " || line[i] === "\t") i++;
    let value = "";
    if (line[i] === '"') {
      i++;
      for (;;) {
        const c = line[i];
        if (c === undefined) return undefined; // unterminated quote
        if (c === '"') {
          if (line[i + 1] === '"') {
            value += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        value += c;
        i++;
      }
      while (line[i] === " " || line[i] === "\t") i++;
      if (i < line.length && line[i] !== ",") return undefined;
    } else {
      const end = line.indexOf(",", i);
      value = (end === -1 ? line.slice(i) : line.slice(i, end)).trim();
      i = end === -1 ? line.length : end;
    }
    fields.push(value);
    if (i >= line.length) return fields;
    i++; // the comma
  }
}

const HASH_COLUMNS = new Set(["sha256_hash", "sha256", "sha1_hash", "sha1", "md5_hash", "md5", "hash"]);
const NAME_COLUMNS = ["signature", "malware", "malware_family", "family", "name", "file_name", "filename"];

function headerOf(cells: readonly string[] | undefined): string[] | undefined {
  if (cells === undefined) return undefined;
  const lower = cells.map((c) => c.trim().toLowerCase());
  return lower.some((c) => HASH_COLUMNS.has(c)) ? lower : undefined;
}

/**
 * Reads a CSV hash list. The header is the first record, or a `#` comment line that is a
 * header (as abuse.ch-style exports write it); every digest in a hash column is an indicator.
 *
 * @throws {ScanFormatError} `SCAN_BAD_HASH_LIST` when there is no hash column or a cell is not a digest.
 */
export function readCsvHashList(bytes: Uint8Array, file: string, limits: IntelLimits): Indicator[] {
  const source = sharedSources(file);
  let header: string[] | undefined;
  const out: Indicator[] = [];
  for (const [i, raw] of lines(bytes, file, limits).entries()) {
    const line = raw.trim();
    if (line === "") continue;
    if (line.startsWith("#")) {
      header ??= headerOf(splitCsvLine(line.slice(1).trim()));
      continue;
    }
    const cells = splitCsvLine(line);
    if (cells === undefined) {
      throw new ScanFormatError("SCAN_BAD_HASH_LIST", `${file} line ${i + 1} has an unterminated quote`, { file });
    }
    if (header === undefined) {
      header = headerOf(cells);
      if (header === undefined) {
        throw new ScanFormatError(
          "SCAN_BAD_HASH_LIST",
          `${file} has no header naming a hash column (sha256_hash, sha256, sha1, md5, hash...) before line ${i + 1}`,
          { file },
        );
      }
      continue;
    }
    const nameColumn = NAME_COLUMNS.map((n) => header?.indexOf(n) ?? -1).find((k) => k >= 0);
    const name = nameColumn === undefined ? undefined : cells[nameColumn]?.trim() || undefined;
    header.forEach((column, k) => {
      if (!HASH_COLUMNS.has(column)) return;
      const cell = (cells[k] ?? "").trim();
      if (cell === "" || cell.toLowerCase() === "n/a") return;
      const kind = hashKindOf(cell);
      if (kind === undefined) {
        throw new ScanFormatError(
          "SCAN_BAD_HASH_LIST",
          `${file} line ${i + 1}, column ${column}: not an MD5, SHA-1 or SHA-256 hex digest`,
          { file },
        );
      }
      out.push({ kind, value: cell.toLowerCase(), source: source(name) });
    });
  }
  if (header === undefined) {
    throw new ScanFormatError("SCAN_BAD_HASH_LIST", `${file} has no header naming a hash column`, { file });
  }
  return out;
}
