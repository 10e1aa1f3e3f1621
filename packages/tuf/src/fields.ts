import { MetadataFormatError } from "./errors.js";
import { checkJsonDepth, JsonFloat, type JsonObject, type JsonValue } from "./json.js";

/** Fields of a JSON object that a model does not know, kept for a lossless round-trip. */
export type Unrecognized = Readonly<Record<string, JsonValue>>;

/** The shared empty {@link Unrecognized}: most objects have no unknown fields. */
export const NO_FIELDS: Unrecognized = Object.freeze({});

/** True for a JSON object (not an array, not null, not a float wrapper). */
export function isJsonObject(v: JsonValue | undefined): v is JsonObject {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof JsonFloat);
}

/** Describes a value in an error message without echoing large or sensitive content. */
function describe(v: JsonValue | undefined): string {
  if (v === undefined) return "missing";
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  if (v instanceof JsonFloat) return `the float ${v.source}`;
  if (typeof v === "object") return "an object";
  if (typeof v === "string") return v.length > 40 ? "a long string" : `the string ${JSON.stringify(v)}`;
  return `${typeof v} ${String(v)}`;
}

/**
 * Reads the fields of one untrusted JSON object into typed values, naming the bad field
 * in every error, and returns what was left over as {@link Unrecognized}.
 */
export class FieldReader {
  private readonly seen = new Set<string>();

  constructor(
    private readonly obj: JsonObject,
    /** Where this object sits, for error messages: `root.signed.roles["root"]`. */
    readonly where: string,
    /**
     * The object's nesting level in its document (the document is level 1): what it
     * keeps unread is held to the one depth limit of every document (MAX_JSON_DEPTH).
     */
    readonly level: number,
  ) {}

  /** Starts reading `value`, which must be a JSON object at nesting level `level`. */
  static of(value: JsonValue | undefined, where: string, level: number): FieldReader {
    if (!isJsonObject(value)) throw new MetadataFormatError(`${where} must be an object, got ${describe(value)}`);
    return new FieldReader(value, where, level);
  }

  fail(name: string, expected: string, got: JsonValue | undefined): never {
    throw new MetadataFormatError(`${this.where}.${name} must be ${expected}, got ${describe(got)}`);
  }

  has(name: string): boolean {
    return Object.hasOwn(this.obj, name);
  }

  raw(name: string): JsonValue | undefined {
    this.seen.add(name);
    return Object.hasOwn(this.obj, name) ? this.obj[name] : undefined;
  }

  string(name: string): string {
    const v = this.raw(name);
    if (typeof v !== "string") this.fail(name, "a string", v);
    return v;
  }

  optionalString(name: string): string | undefined {
    return this.has(name) ? this.string(name) : (this.raw(name) as undefined);
  }

  /** A non-negative safe integer (at least `min`). */
  integer(name: string, min = 0): number {
    const v = this.raw(name);
    if (typeof v !== "number" || !Number.isSafeInteger(v) || v < min) {
      this.fail(name, `an integer >= ${min}`, v);
    }
    return v;
  }

  boolean(name: string): boolean {
    const v = this.raw(name);
    if (typeof v !== "boolean") this.fail(name, "a boolean", v);
    return v;
  }

  object(name: string): JsonObject {
    const v = this.raw(name);
    if (!isJsonObject(v)) this.fail(name, "an object", v);
    return v;
  }

  array(name: string): JsonValue[] {
    const v = this.raw(name);
    if (!Array.isArray(v)) this.fail(name, "an array", v);
    return v;
  }

  stringArray(name: string): string[] {
    const arr = this.array(name);
    for (const [i, s] of arr.entries()) {
      if (typeof s !== "string") this.fail(`${name}[${i}]`, "a string", s);
    }
    return arr as string[];
  }

  /** An object whose values are all strings (for example `hashes`). */
  stringMap(name: string): Map<string, string> {
    const obj = this.object(name);
    const out = new Map<string, string>();
    for (const [k, v] of Object.entries(obj)) {
      if (typeof v !== "string") this.fail(`${name}[${JSON.stringify(k)}]`, "a string", v);
      out.set(k, v);
    }
    return out;
  }

  /** The object's field names in source order, shared between objects of the same shape. */
  order(): readonly string[] {
    return internOrder(Object.keys(this.obj));
  }

  /**
   * Every field not read so far, kept as it is, and so checked against the depth limit here.
   * @throws {MetadataFormatError} when an unread field nests too deeply.
   */
  rest(): Unrecognized {
    const keys = Object.keys(this.obj);
    if (keys.length === this.seen.size && keys.every((k) => this.seen.has(k))) return NO_FIELDS;
    const out: Record<string, JsonValue> = {};
    for (const key of keys) {
      if (!this.seen.has(key)) {
        const where = `${this.where}.${key}`;
        try {
          checkJsonDepth(this.obj[key] as JsonValue, this.level + 1, where);
        } catch (cause) {
          throw new MetadataFormatError((cause as Error).message, { cause });
        }
        Object.defineProperty(out, key, {
          value: this.obj[key],
          enumerable: true,
          writable: true,
          configurable: true,
        });
      }
    }
    return out;
  }
}

/** A model that remembers the field order of the JSON it was parsed from. */
export interface Ordered {
  keyOrder: readonly string[] | undefined;
}

/** Records `r`'s field order on `model`, and returns the model. */
export function withOrder<T extends Ordered>(model: T, r: FieldReader): T {
  model.keyOrder = r.order();
  return model;
}

const orders = new Map<string, readonly string[]>();

/** One shared frozen array per distinct field order (there are few). */
export function internOrder(keys: string[]): readonly string[] {
  const id = keys.join("\u0000");
  let shared = orders.get(id);
  if (shared === undefined) {
    shared = Object.freeze(keys);
    if (orders.size < 10_000) orders.set(id, shared);
  }
  return shared;
}

/**
 * Builds a JSON object from known fields and the unrecognized ones. With `order` (the
 * field order of the parsed source) fields come out in that order, so a file re-serialises
 * byte for byte; fields not in it follow, known ones in spec order, then unrecognized.
 * Known fields win over unrecognized ones of the same name.
 */
export function withUnrecognized(
  known: Array<[string, JsonValue | undefined]>,
  unrecognized: Unrecognized,
  order?: readonly string[],
): JsonObject {
  const entries: Array<[string, JsonValue]> = [];
  const done = new Set<string>();
  const knownMap = new Map(known);
  const emit = (k: string) => {
    if (done.has(k)) return;
    done.add(k);
    const v = knownMap.has(k) ? knownMap.get(k) : Object.hasOwn(unrecognized, k) ? unrecognized[k] : undefined;
    if (v !== undefined) entries.push([k, v]);
  };
  if (order !== undefined) for (const k of order) emit(k);
  for (const [k] of known) emit(k);
  for (const k of Object.keys(unrecognized)) emit(k);
  return Object.fromEntries(entries) as JsonObject;
}

/** A JSON object from a map, safely (a `__proto__` key stays an own property). */
export function objectFromMap<V>(map: ReadonlyMap<string, V>, toJson: (v: V) => JsonValue): JsonObject {
  const out: JsonObject = {};
  for (const [k, v] of map) {
    Object.defineProperty(out, k, { value: toJson(v), enumerable: true, writable: true, configurable: true });
  }
  return out;
}
