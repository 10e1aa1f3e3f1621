/**
 * The file layout Bulwark writes metadata in: `{"signatures":[…],"signed":<canonical>}`
 * (plus an optional newline), where `<canonical>` is exactly the canonical JSON the
 * signatures cover. It is ordinary JSON for every other reader; a reader that recognises it
 * can verify the signatures over those bytes and parse the model from the same bytes,
 * instead of re-encoding a large model (ADR 4).
 */
import type { JsonValue } from "../json.js";

const PREFIX = Buffer.from('{"signatures":');
const MIDDLE = Buffer.from(',"signed":');
// Control characters: canonical JSON writes them raw, which JSON does not allow.
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const CONTROL = /[\u0000-\u001f]/;

/** The two parts of a file in the layout, or undefined when it is not laid out so. */
export function splitCanonicalLayout(data: Uint8Array): { signatures: Buffer; signed: Buffer } | undefined {
  const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  if (buf.length < PREFIX.length + MIDDLE.length + 2 || buf.compare(PREFIX, 0, PREFIX.length, 0, PREFIX.length) !== 0) {
    return undefined;
  }
  let end = buf.length;
  if (buf[end - 1] === 0x0a) end--;
  if (buf[end - 1] !== 0x7d) return undefined;
  end--;
  // The first `,"signed":` after the signatures array; a key ID that contains it only
  // makes the split fail to parse, and the caller falls back to the whole document.
  const mid = buf.indexOf(MIDDLE, PREFIX.length);
  if (mid < 0) return undefined;
  return { signatures: buf.subarray(PREFIX.length, mid), signed: buf.subarray(mid + MIDDLE.length, end) };
}

/** Joins signatures and canonical `signed` bytes into the layout, or undefined where it cannot. */
export function joinCanonicalLayout(signatures: JsonValue, signed: Buffer, noOtherFields: boolean): Buffer | undefined {
  if (!noOtherFields || CONTROL.test(signed.toString("latin1"))) return undefined;
  return Buffer.concat([PREFIX, Buffer.from(JSON.stringify(signatures)), MIDDLE, signed, Buffer.from("}\n")]);
}

/**
 * The path a consistent-snapshot repository stores a target under (spec 5.7.3): its file
 * name prefixed with a hash of its bytes, `<dir>/<hash>.<name>`. The one place that
 * spells the name out, for writers and readers alike.
 */
export function hashPrefixedPath(targetPath: string, hash: string): string {
  const slash = targetPath.lastIndexOf("/");
  return `${targetPath.slice(0, slash + 1)}${hash}.${targetPath.slice(slash + 1)}`;
}
