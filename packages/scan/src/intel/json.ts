/**
 * Bounded JSON reading for intel and advisory files, which come from outside: nesting is
 * measured before parsing (a byte scan, no recursion), and every field is read through
 * the narrowing helpers below, which name the bad field.
 */
import { ScanFormatError, ScanLimitError } from "../errors.js";

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** A parsed JSON object, read with `Object.hasOwn` through {@link field}. */
export type JsonRecord = Readonly<Record<string, unknown>>;

/**
 * Parses a JSON document of at most `maxDepth` nested arrays/objects.
 *
 * @throws {ScanLimitError} `SCAN_LIMIT_JSON_DEPTH` when nested deeper.
 * @throws {ScanFormatError} `code` when the bytes are not UTF-8 JSON.
 */
export function parseBoundedJson(
  bytes: Uint8Array,
  file: string,
  code: `SCAN_BAD_${string}`,
  maxDepth: number,
): unknown {
  checkDepth(bytes, file, maxDepth);
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch (cause) {
    throw new ScanFormatError(code, `${file} is not valid UTF-8`, { cause, file });
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (cause) {
    throw new ScanFormatError(code, `${file} is not valid JSON: ${(cause as Error).message}`, { cause, file });
  }
}

function checkDepth(bytes: Uint8Array, file: string, maxDepth: number): void {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i];
    if (inString) {
      if (b === 0x5c)
        i++; // backslash: skip the escaped byte
      else if (b === 0x22) inString = false;
    } else if (b === 0x22) {
      inString = true;
    } else if (b === 0x7b || b === 0x5b) {
      if (++depth > maxDepth) {
        throw new ScanLimitError(
          "SCAN_LIMIT_JSON_DEPTH",
          `${file} nests JSON deeper than ${maxDepth} levels (at byte ${i})`,
          maxDepth,
        );
      }
    } else if (b === 0x7d || b === 0x5d) {
      depth--;
    }
  }
}

/** Whether `v` is a JSON object (not an array, not null). */
export function isRecord(v: unknown): v is JsonRecord {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** An own property of a JSON object, never one from the prototype. */
export function field(obj: JsonRecord, key: string): unknown {
  return Object.hasOwn(obj, key) ? obj[key] : undefined;
}

/** An own string property, or undefined when absent; a non-string value is an error. */
export function optionalString(
  obj: JsonRecord,
  key: string,
  where: string,
  code: `SCAN_BAD_${string}`,
  file: string,
): string | undefined {
  const v = field(obj, key);
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "string") throw new ScanFormatError(code, `${file}: ${where}.${key} must be a string`, { file });
  return v;
}

/** An own array property, or an empty array when absent; a non-array value is an error. */
export function optionalArray(
  obj: JsonRecord,
  key: string,
  where: string,
  code: `SCAN_BAD_${string}`,
  file: string,
): readonly unknown[] {
  const v = field(obj, key);
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new ScanFormatError(code, `${file}: ${where}.${key} must be an array`, { file });
  return v;
}
