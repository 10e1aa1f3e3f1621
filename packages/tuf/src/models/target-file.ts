import { canonicalString, encodeString, sortKeys } from "../canonical-json.js";
import {
  FieldReader,
  isJsonObject,
  NO_FIELDS,
  objectFromMap,
  type Unrecognized,
  withOrder,
  withUnrecognized,
} from "../fields.js";
import type { JsonObject, JsonValue } from "../json.js";
import { computeHashes, validateHashes, verifyHashes, verifyLength } from "./hashes.js";

const HASHES_FIRST = Object.freeze(["hashes", "length"]);
const LENGTH_FIRST = Object.freeze(["length", "hashes"]);

/** An entry of targets' `targets`: a target file's length, hashes and custom data (spec §4.5). */
export class TargetFile {
  /** Field order of the parsed source, kept so it re-serialises byte for byte. */
  keyOrder: readonly string[] | undefined = undefined;
  // A flat targets role lists 100,000s of entries and a client reads one or two: the
  // parsed `hashes` object is kept as it is and turned into a Map only when asked for.
  private hashTable: Map<string, string> | Readonly<Record<string, string>>;

  constructor(
    /** The target path, the key under which the entry is listed. */
    readonly path: string,
    public length: number,
    hashes: Map<string, string> | Readonly<Record<string, string>>,
    /** Other fields, `custom` included. */
    public unrecognized: Unrecognized = NO_FIELDS,
  ) {
    this.hashTable = hashes;
  }

  /** Digests by algorithm name (`sha256`, `sha512`), hex. */
  get hashes(): Map<string, string> {
    if (!(this.hashTable instanceof Map)) this.hashTable = new Map(Object.entries(this.hashTable));
    return this.hashTable;
  }

  set hashes(value: Map<string, string>) {
    this.hashTable = value;
  }

  /**
   * Parses the entry listed under `path` in the object at `container` (for messages).
   * @throws {MetadataFormatError}
   */
  static fromJSON(path: string, value: JsonValue | undefined, container = "targets", level = 4): TargetFile {
    // Fast path for the common `{length, hashes}` entry: a flat targets role lists 100,000s.
    if (isJsonObject(value)) {
      const fast = TargetFile.tryPlain(path, value);
      if (fast !== undefined) return fast;
    }
    const where = `${container}[${JSON.stringify(path)}]`;
    const r = FieldReader.of(value, where, level);
    const length = r.integer("length");
    const hashes = r.stringMap("hashes");
    validateHashes(hashes, where);
    return withOrder(new TargetFile(path, length, hashes, r.rest()), r);
  }

  /**
   * True for the common entry `{length, hashes}` with a non-negative integer length and
   * a non-empty object of string hashes: valid as it is, checked without allocating.
   */
  static isPlain(value: JsonValue | undefined): value is JsonObject {
    if (!isJsonObject(value)) return false;
    const length = value.length;
    const hashes = value.hashes;
    if (typeof length !== "number" || !Number.isSafeInteger(length) || length < 0 || !isJsonObject(hashes)) {
      return false;
    }
    for (const key in value) if (key !== "length" && key !== "hashes") return false;
    let count = 0;
    for (const key in hashes) {
      if (typeof hashes[key] !== "string" || !Object.hasOwn(hashes, key)) return false;
      count++;
    }
    return count > 0;
  }

  private static tryPlain(path: string, value: JsonObject): TargetFile | undefined {
    if (!TargetFile.isPlain(value)) return undefined;
    const file = new TargetFile(path, value.length as number, value.hashes as Record<string, string>);
    for (const key in value) {
      file.keyOrder = key === "hashes" ? HASHES_FIRST : LENGTH_FIRST;
      break;
    }
    return file;
  }

  /** The canonical text of a plain entry (see {@link isPlain}) without building a model. */
  static plainCanonicalText(value: JsonObject): string {
    const hashes = value.hashes as Record<string, string>;
    let only: string | undefined;
    let count = 0;
    for (const a in hashes) {
      only = a;
      if (++count > 1) break;
    }
    let text: string;
    if (count === 1 && only !== undefined) {
      text = `${only === "sha256" ? '"sha256"' : encodeString(only)}:${encodeString(hashes[only] as string)}`;
    } else {
      text = sortKeys(Object.keys(hashes))
        .map((a) => `${encodeString(a)}:${encodeString(hashes[a] as string)}`)
        .join(",");
    }
    return `{"hashes":{${text}},"length":${value.length as number}}`;
  }

  /** Describes `data` as the target `path`, with sha256 (and any other `algorithms`). */
  static fromData(path: string, data: Uint8Array, algorithms: readonly string[] = ["sha256"]): TargetFile {
    return new TargetFile(path, data.length, computeHashes(data, algorithms));
  }

  toJSON(): JsonObject {
    return withUnrecognized(
      [
        ["length", this.length],
        ["hashes", objectFromMap(this.hashes, (h) => h)],
      ],
      this.unrecognized,
      this.keyOrder,
    );
  }

  /** This entry as canonical JSON text, written directly for the common case. */
  canonicalText(): string {
    if (this.unrecognized !== NO_FIELDS && Object.keys(this.unrecognized).length > 0) {
      return canonicalString(this.toJSON());
    }
    const table = this.hashTable;
    if (!(table instanceof Map)) return TargetFile.plainCanonicalText({ length: this.length, hashes: table });
    let text = "";
    for (const a of sortKeys([...table.keys()])) {
      text += `${text === "" ? "" : ","}${encodeString(a)}:${encodeString(table.get(a) as string)}`;
    }
    return `{"hashes":{${text}},"length":${this.length}}`;
  }

  /** The opaque `custom` object, when there is one. */
  get custom(): JsonObject | undefined {
    const c = Object.hasOwn(this.unrecognized, "custom") ? this.unrecognized.custom : undefined;
    return isJsonObject(c) ? c : undefined;
  }

  set custom(value: JsonObject | undefined) {
    const rest: Record<string, JsonValue> = { ...this.unrecognized };
    delete rest.custom;
    this.unrecognized = value === undefined ? rest : { ...rest, custom: value };
  }

  /** @throws {LengthOrHashMismatchError} */
  verifyLengthAndHashes(data: Uint8Array): void {
    verifyLength(data, this.length, `target ${JSON.stringify(this.path)}`);
    verifyHashes(data, this.hashes, `target ${JSON.stringify(this.path)}`);
  }
}
