import { CanonicalJsonError } from "./errors.js";
import { JsonFloat, type JsonValue } from "./json.js";

/**
 * OLPC canonical JSON, byte-for-byte as securesystemslib's `encode_canonical` writes it:
 * object keys sorted by Unicode code point, no whitespace, only `"` and `\` escaped,
 * every other character (control characters included) emitted raw, integers only.
 *
 * @throws {CanonicalJsonError} on floats, unsafe JS numbers and lone surrogates.
 */
export function canonicalize(value: CanonicalValue): Buffer {
  return Buffer.from(canonicalString(value), "utf8");
}

/**
 * Text that is already canonical JSON, spliced in as it is: lets a model encode its large
 * collections directly instead of building an intermediate object first.
 */
export class CanonicalText {
  constructor(readonly text: string) {}
}

/** A JSON value in which parts may already be canonical text. */
export type CanonicalValue = JsonValue | CanonicalText | CanonicalValue[] | { [key: string]: CanonicalValue };

/** {@link canonicalize} before UTF-8 encoding. */
export function canonicalString(value: CanonicalValue): string {
  try {
    return encode(value);
  } catch (error) {
    if (error instanceof RangeError) throw new CanonicalJsonError("the value nests too deeply to encode");
    throw error;
  }
}

/** Anything that needs more than wrapping in quotes: an escape, or a surrogate to check. */
export const SPECIAL = /["\\\uD800-\uDFFF]/;
const NEEDS_ESCAPE = /["\\]/g;
const SURROGATE = /[\uD800-\uDFFF]/;

/** A string as canonical JSON: only `"` and `\\` escaped. */
export function encodeString(s: string): string {
  if (!SPECIAL.test(s)) return `"${s}"`;
  if (SURROGATE.test(s) && !s.isWellFormed()) {
    throw new CanonicalJsonError("a string holds a lone surrogate, which has no UTF-8 form");
  }
  return `"${s.replace(NEEDS_ESCAPE, "\\$&")}"`;
}

function byCodePoint(a: string, b: string): number {
  // Array.prototype.sort compares UTF-16 code units; code points differ above U+FFFF.
  const ia = a[Symbol.iterator]();
  const ib = b[Symbol.iterator]();
  for (;;) {
    const x = ia.next();
    const y = ib.next();
    if (x.done) return y.done ? 0 : -1;
    if (y.done) return 1;
    const cx = (x.value as string).codePointAt(0) as number;
    const cy = (y.value as string).codePointAt(0) as number;
    if (cx !== cy) return cx - cy;
  }
}

/** Sorts object keys by Unicode code point, in place. */
export function sortKeys(keys: string[]): string[] {
  keys.sort();
  for (const k of keys) {
    if (SURROGATE.test(k)) return keys.sort(byCodePoint);
  }
  return keys;
}

// String concatenation builds a rope that Buffer.from flattens once: faster than join.
function encode(value: CanonicalValue): string {
  switch (typeof value) {
    case "string":
      return encodeString(value);
    case "number":
      if (!Number.isSafeInteger(value)) {
        throw new CanonicalJsonError(`canonical JSON allows integers only, got ${value}`);
      }
      return Object.is(value, -0) ? "0" : String(value);
    case "bigint":
      return value.toString();
    case "boolean":
      return value ? "true" : "false";
    default:
      break;
  }
  if (value === null) return "null";
  if (value instanceof CanonicalText) return value.text;
  if (value instanceof JsonFloat) {
    throw new CanonicalJsonError(`canonical JSON allows integers only, got ${value.source}`);
  }
  if (Array.isArray(value)) {
    let out = "[";
    for (let i = 0; i < value.length; i++) {
      if (i > 0) out += ",";
      out += encode(value[i] as CanonicalValue);
    }
    return `${out}]`;
  }
  let out = "{";
  let first = true;
  for (const key of sortKeys(Object.keys(value))) {
    if (!first) out += ",";
    first = false;
    out += `${encodeString(key)}:${encode(value[key] as CanonicalValue)}`;
  }
  return `${out}}`;
}
