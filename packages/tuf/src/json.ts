import { FormatError } from "./errors.js";

/**
 * A JSON number written with a fraction or an exponent (`8.0`, `1e2`). Kept apart from
 * integers so that canonical JSON can refuse it, as securesystemslib does.
 */
export class JsonFloat {
  constructor(
    /** The number as written in the source. */
    readonly source: string,
  ) {}

  /** The nearest IEEE-754 double. */
  get value(): number {
    return Number(this.source);
  }

  toJSON(): number {
    return this.value;
  }
}

/** A parsed JSON value. Integers beyond 2^53 are `bigint`; floats are {@link JsonFloat}. */
export type JsonValue = null | boolean | number | bigint | string | JsonFloat | JsonValue[] | JsonObject;

/** A parsed JSON object. Read it with `Object.hasOwn`, never through the prototype. */
export interface JsonObject {
  [key: string]: JsonValue;
}

/**
 * Values nested deeper than this (the document itself is level 1) are refused in every
 * document, whatever else it contains: no legitimate TUF document comes close, and code
 * that recurses into untrusted values must be able to rely on it.
 */
export const MAX_JSON_DEPTH = 512;

/** The stable code of a document nested deeper than {@link MAX_JSON_DEPTH}. */
export const JSON_TOO_DEEP = "JSON_TOO_DEEP";

function tooDeep(where: string): FormatError {
  return new FormatError(`${where} is nested deeper than ${MAX_JSON_DEPTH} levels`, { code: JSON_TOO_DEEP });
}

/**
 * Refuses `value`, which sits at nesting level `level` of its document (the document is
 * level 1), if anything in it is nested deeper than {@link MAX_JSON_DEPTH}. Iterative:
 * safe on any input.
 *
 * @throws {FormatError} `JSON_TOO_DEEP`, naming `where`.
 */
export function checkJsonDepth(value: JsonValue, level: number, where: string): void {
  if (level > MAX_JSON_DEPTH) throw tooDeep(where);
  if (typeof value !== "object" || value === null || value instanceof JsonFloat) return;
  const stack: Array<JsonValue[] | JsonObject> = [value];
  const levels: number[] = [level];
  while (stack.length > 0) {
    const container = stack.pop() as JsonValue[] | JsonObject;
    const childLevel = (levels.pop() as number) + 1;
    const children = Array.isArray(container) ? container : Object.values(container);
    for (const child of children) {
      if (childLevel > MAX_JSON_DEPTH) throw tooDeep(where);
      if (typeof child === "object" && child !== null && !(child instanceof JsonFloat)) {
        stack.push(child);
        levels.push(childLevel);
      }
    }
  }
}

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

// A number token that JSON.parse would change: 16+ digits (may exceed 2^53), or a float.
const LOSSY_NUMBER = /(?:^|[:[,])[ \t\r\n]*-?(?:\d{16}|\d+[.eE])/;

/**
 * Parses JSON bytes (strict UTF-8) without losing information: big integers stay exact
 * and floats stay distinguishable from integers. Duplicate keys keep the last value,
 * as Python's and Go's parsers do.
 *
 * @throws {FormatError} `JSON_PARSE` on invalid UTF-8 or invalid JSON; `JSON_TOO_DEEP` when
 *   anything is nested deeper than {@link MAX_JSON_DEPTH}.
 */
export function parseJson(input: Uint8Array | string): JsonValue {
  const value = parseJsonUncheckedDepth(input);
  checkJsonDepth(value, 1, "the document");
  return value;
}

/**
 * {@link parseJson} for a caller that checks the depth itself, as it reads the value into
 * a model of fixed shape ({@link FieldReader} checks what it keeps unread): saves a walk
 * over large metadata. The exact parser still refuses deep nesting as it goes.
 */
export function parseJsonUncheckedDepth(input: Uint8Array | string): JsonValue {
  let text: string;
  if (typeof input === "string") {
    text = input;
  } else {
    try {
      text = utf8.decode(input);
    } catch (cause) {
      throw new FormatError("the document is not valid UTF-8", { cause, code: "JSON_PARSE" });
    }
  }
  if (text.charCodeAt(0) === 0xfeff) {
    throw new FormatError("the document starts with a byte-order mark (U+FEFF), which JSON does not allow", {
      code: "JSON_PARSE",
    });
  }
  if (!LOSSY_NUMBER.test(text)) {
    let value: JsonValue;
    try {
      value = JSON.parse(text) as JsonValue;
    } catch (cause) {
      throw new FormatError(`the document is not valid JSON: ${(cause as Error).message}`, {
        cause,
        code: "JSON_PARSE",
      });
    }
    return value;
  }
  return new ExactParser(text).parseDocument();
}

const WHITESPACE = new Set([0x20, 0x09, 0x0a, 0x0d]);
const NUMBER = /-?(?:0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/y;

class ExactParser {
  private pos = 0;

  constructor(private readonly text: string) {}

  parseDocument(): JsonValue {
    const value = this.parseValue(1);
    this.skipWhitespace();
    if (this.pos !== this.text.length) this.fail("unexpected data after the JSON value");
    return value;
  }

  private fail(what: string): never {
    throw new FormatError(`the document is not valid JSON: ${what} at offset ${this.pos}`, { code: "JSON_PARSE" });
  }

  private skipWhitespace(): void {
    while (WHITESPACE.has(this.text.charCodeAt(this.pos))) this.pos++;
  }

  private parseValue(depth: number): JsonValue {
    if (depth > MAX_JSON_DEPTH) throw tooDeep(`the value at offset ${this.pos}`);
    this.skipWhitespace();
    const c = this.text[this.pos];
    switch (c) {
      case "{":
        return this.parseObject(depth);
      case "[":
        return this.parseArray(depth);
      case '"':
        return this.parseString();
      case "t":
        return this.literal("true", true);
      case "f":
        return this.literal("false", false);
      case "n":
        return this.literal("null", null);
      default:
        return this.parseNumber();
    }
  }

  private literal<T extends JsonValue>(word: string, value: T): T {
    if (!this.text.startsWith(word, this.pos)) this.fail("unexpected token");
    this.pos += word.length;
    return value;
  }

  private parseNumber(): number | bigint | JsonFloat {
    NUMBER.lastIndex = this.pos;
    const m = NUMBER.exec(this.text);
    if (m === null) this.fail("unexpected token");
    this.pos += m[0].length;
    if (m[1] !== undefined || m[2] !== undefined) return new JsonFloat(m[0]);
    const n = Number(m[0]);
    return Number.isSafeInteger(n) ? (Object.is(n, -0) ? 0 : n) : BigInt(m[0]);
  }

  private parseString(): string {
    // Let JSON.parse decode the escapes of one string token: exact and fast.
    const start = this.pos;
    this.pos++;
    for (;;) {
      const code = this.text.charCodeAt(this.pos);
      if (Number.isNaN(code)) this.fail("unterminated string");
      if (code === 0x22) break;
      if (code === 0x5c) this.pos++;
      this.pos++;
    }
    this.pos++;
    try {
      return JSON.parse(this.text.slice(start, this.pos)) as string;
    } catch {
      return this.fail("invalid string");
    }
  }

  private parseArray(depth: number): JsonValue[] {
    this.pos++;
    const out: JsonValue[] = [];
    this.skipWhitespace();
    if (this.text[this.pos] === "]") {
      this.pos++;
      return out;
    }
    for (;;) {
      out.push(this.parseValue(depth + 1));
      this.skipWhitespace();
      const c = this.text[this.pos++];
      if (c === "]") return out;
      if (c !== ",") this.fail("expected ',' or ']'");
    }
  }

  private parseObject(depth: number): JsonObject {
    this.pos++;
    const out: JsonObject = {};
    this.skipWhitespace();
    if (this.text[this.pos] === "}") {
      this.pos++;
      return out;
    }
    for (;;) {
      this.skipWhitespace();
      if (this.text[this.pos] !== '"') this.fail("expected a string key");
      const key = this.parseString();
      this.skipWhitespace();
      if (this.text[this.pos++] !== ":") this.fail("expected ':'");
      // defineProperty: a "__proto__" key must be an own property, as with JSON.parse.
      Object.defineProperty(out, key, {
        value: this.parseValue(depth + 1),
        enumerable: true,
        writable: true,
        configurable: true,
      });
      this.skipWhitespace();
      const c = this.text[this.pos++];
      if (c === "}") return out;
      if (c !== ",") this.fail("expected ',' or '}'");
    }
  }
}

/**
 * Serialises a JSON value as readable text (two-space indent by default, `indent: 0`
 * for compact), keeping big integers and floats as they were parsed.
 */
export function stringifyJson(value: JsonValue, options: { indent?: number | string } = {}): string {
  const indent = options.indent ?? 2;
  if (!hasExoticNumbers(value)) return JSON.stringify(value, null, indent);
  const unit = typeof indent === "number" ? " ".repeat(indent) : indent;
  return write(value, unit, "");
}

function hasExoticNumbers(value: JsonValue): boolean {
  const stack: JsonValue[] = [value];
  while (stack.length > 0) {
    const v = stack.pop() as JsonValue;
    if (typeof v === "bigint" || v instanceof JsonFloat) return true;
    if (v !== null && typeof v === "object") {
      for (const child of Array.isArray(v) ? v : Object.values(v)) stack.push(child);
    }
  }
  return false;
}

function write(value: JsonValue, unit: string, pad: string): string {
  if (typeof value === "bigint") return value.toString();
  if (value instanceof JsonFloat) return value.source;
  if (value === null || typeof value !== "object") return JSON.stringify(value);
  const inner = pad + unit;
  const nl = unit === "" ? "" : "\n";
  const sep = unit === "" ? ":" : ": ";
  if (Array.isArray(value)) {
    if (value.length === 0) return "[]";
    return `[${nl}${value.map((v) => inner + write(v, unit, inner)).join(`,${nl}`)}${nl}${pad}]`;
  }
  const keys = Object.keys(value);
  if (keys.length === 0) return "{}";
  const parts = keys.map((k) => `${inner}${JSON.stringify(k)}${sep}${write(value[k] as JsonValue, unit, inner)}`);
  return `{${nl}${parts.join(`,${nl}`)}${nl}${pad}}`;
}
