import { CanonicalJsonError } from "./errors.js";
import { JsonFloat, type JsonValue } from "./json.js";

/**
 * OLPC canonical JSON, byte-for-byte as securesystemslib's `encode_canonical` writes it:
 * object keys sorted by Unicode code point, no whitespace, only `"` and `\` escaped,
 * every other character (control characters included) emitted raw, integers only.
 *
 * @throws {CanonicalJsonError} on floats, unsafe JS numbers and lone surrogates.
 */
export function canonicalize(value: JsonValue): Buffer {
  return Buffer.from(canonicalString(value), "utf8");
}

/** {@link canonicalize} before UTF-8 encoding. */
export function canonicalString(value: JsonValue): string {
  const parts: string[] = [];
  encode(value, parts);
  return parts.join("");
}

const NEEDS_ESCAPE = /["\\]/g;
const SURROGATE = /[\uD800-\uDFFF]/;

function encodeString(s: string): string {
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

function sortKeys(keys: string[]): string[] {
  keys.sort();
  for (const k of keys) {
    if (SURROGATE.test(k)) return keys.sort(byCodePoint);
  }
  return keys;
}

function encode(value: JsonValue, out: string[]): void {
  switch (typeof value) {
    case "string":
      out.push(encodeString(value));
      return;
    case "number":
      if (!Number.isSafeInteger(value)) {
        throw new CanonicalJsonError(`canonical JSON allows integers only, got ${value}`);
      }
      out.push(Object.is(value, -0) ? "0" : String(value));
      return;
    case "bigint":
      out.push(value.toString());
      return;
    case "boolean":
      out.push(value ? "true" : "false");
      return;
    default:
      break;
  }
  if (value === null) {
    out.push("null");
    return;
  }
  if (value instanceof JsonFloat) {
    throw new CanonicalJsonError(`canonical JSON allows integers only, got ${value.source}`);
  }
  if (Array.isArray(value)) {
    out.push("[");
    for (let i = 0; i < value.length; i++) {
      if (i > 0) out.push(",");
      encode(value[i] as JsonValue, out);
    }
    out.push("]");
    return;
  }
  out.push("{");
  let first = true;
  for (const key of sortKeys(Object.keys(value))) {
    if (!first) out.push(",");
    first = false;
    out.push(encodeString(key), ":");
    encode(value[key] as JsonValue, out);
  }
  out.push("}");
}
