/**
 * A small, strict reader for the subset of YAML 1.2 that electron-updater feeds
 * (`latest.yml`, `latest-mac.yml`, `latest-linux.yml`) use: block mappings, block sequences
 * (of scalars or of mappings), plain, single- and double-quoted scalars on one line, and
 * literal (`|`) or folded (`>`) block scalars. Everything else is refused with a typed
 * error rather than guessed at: anchors and aliases (`&a`, `*a`: the "billion laughs" of
 * YAML), tags (`!!python/object`), flow collections other than `[]` and `{}`, multi-line
 * plain or quoted scalars, directives, several documents, duplicate keys, tabs in
 * indentation. Nesting, node count and size are bounded ({@link YAML_LIMITS}).
 *
 * Plain scalars resolve as the YAML core schema does: `null`/`~`/empty, `true`/`false`,
 * decimal integers and floats; everything else is a string. Mappings are `Map`s, so a
 * key such as `__proto__` from the vendor's server is only a key.
 */
import { decodeUtf8, FEED_ERRORS, FeedFormatError } from "./errors.js";

/** A parsed YAML value. */
export type YamlValue = string | number | boolean | null | YamlValue[] | YamlMap;
/** A parsed YAML mapping, in document order. */
export type YamlMap = Map<string, YamlValue>;

/** Bounds of {@link parseYamlSubset}. */
export type YamlLimits = Record<keyof typeof YAML_LIMITS, number>;

/** Bounds of {@link parseYamlSubset}, each a named default. */
export const YAML_LIMITS = {
  /** Characters in the document (a real latest.yml is well under 10 KiB). */
  maxChars: 4 * 1024 * 1024,
  /** Nested collections. */
  maxDepth: 32,
  /** Scalars and collections together. */
  maxNodes: 100_000,
} as const;

interface Line {
  readonly no: number;
  indent: number;
  text: string;
}

const NUMBER = /^[-+]?(?:\d+|\d+\.\d*|\.\d+)(?:[eE][-+]?\d+)?$/;
const INTEGER = /^[-+]?\d+$/;
const ESCAPES: Readonly<Record<string, string>> = {
  "\\": "\\",
  '"': '"',
  "/": "/",
  n: "\n",
  t: "\t",
  r: "\r",
  "0": "\0",
  " ": " ",
};
const BLOCK_HEADER = /^([|>])([-+]?)(?:\s+#.*)?$/;

/**
 * Parses a document in the YAML subset described above.
 * @throws {FeedFormatError} `AUDIT_BAD_YAML`, `AUDIT_TOO_DEEP`, `AUDIT_TOO_LARGE` or `AUDIT_BAD_ENCODING`.
 */
export function parseYamlSubset(input: string | Uint8Array, limits: Partial<YamlLimits> = {}): YamlValue {
  const text = typeof input === "string" ? input : decodeUtf8(input);
  return new YamlReader(text, { ...YAML_LIMITS, ...limits }).document();
}

class YamlReader {
  private readonly lines: Line[] = [];
  private pos = 0;
  private nodes = 0;

  constructor(
    text: string,
    private readonly limits: YamlLimits,
  ) {
    if (text.length > limits.maxChars) this.fail(FEED_ERRORS.TOO_LARGE, `more than ${limits.maxChars} characters`);
    const raw = text.replace(/^\uFEFF/, "").split("\n");
    for (const [i, full] of raw.entries()) {
      const line = full.endsWith("\r") ? full.slice(0, -1) : full;
      // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
      const bad = /[\u0000-\u0008\u000b-\u001f\u007f\ufffe\uffff]/.exec(line);
      if (bad !== null) this.fail(FEED_ERRORS.YAML, "a control character is not allowed", i + 1, bad.index + 1);
      const indent = /^ */.exec(line)?.[0].length ?? 0;
      if (line[indent] === "\t" && line.slice(indent).trim() !== "") {
        this.fail(FEED_ERRORS.YAML, "a tab in indentation is not allowed", i + 1, indent + 1);
      }
      this.lines.push({ no: i + 1, indent, text: line.slice(indent) });
    }
  }

  document(): YamlValue {
    let first = this.peek();
    if (first?.text.startsWith("%")) this.fail(FEED_ERRORS.YAML, "directives are not supported", first.no);
    if (first !== undefined && /^---(?:\s|$)/.test(first.text)) {
      if (first.text.slice(3).trim() !== "")
        this.fail(FEED_ERRORS.YAML, "content after --- is not supported", first.no);
      this.pos++;
      first = this.peek();
    }
    if (first === undefined) return null;
    const value = this.block(first.indent, 0);
    const rest = this.peek();
    if (rest !== undefined) {
      if (/^(?:---|\.\.\.)(?:\s|$)/.test(rest.text))
        this.fail(FEED_ERRORS.YAML, "only one document is supported", rest.no);
      this.fail(FEED_ERRORS.YAML, "unexpected indentation or content", rest.no, rest.indent + 1);
    }
    return value;
  }

  /** The next line with content, skipping blank and comment lines. */
  private peek(): Line | undefined {
    while (this.pos < this.lines.length) {
      const line = this.lines[this.pos] as Line;
      const t = line.text.trim();
      if (t !== "" && !t.startsWith("#")) return line;
      this.pos++;
    }
    return undefined;
  }

  private count(depth: number, at: Line): void {
    if (++this.nodes > this.limits.maxNodes)
      this.fail(FEED_ERRORS.TOO_LARGE, `more than ${this.limits.maxNodes} nodes`);
    if (depth > this.limits.maxDepth)
      this.fail(FEED_ERRORS.TOO_DEEP, `nested deeper than ${this.limits.maxDepth} levels`, at.no);
  }

  /** A block node whose first line is at `indent`. */
  private block(indent: number, depth: number): YamlValue {
    const line = this.peek() as Line;
    if (isSequenceItem(line.text)) return this.sequence(indent, depth + 1);
    if (mappingKey(line) !== undefined) return this.mapping(indent, depth + 1);
    this.pos++;
    this.count(depth, line);
    return this.scalar(line.text, line, line.indent);
  }

  private sequence(indent: number, depth: number): YamlValue[] {
    const items: YamlValue[] = [];
    for (let line = this.peek(); line !== undefined && line.indent === indent; line = this.peek()) {
      if (!isSequenceItem(line.text)) break;
      this.count(depth, line);
      const rest = line.text.slice(1);
      const gap = /^ */.exec(rest)?.[0].length ?? 0;
      if (rest.trim() === "" || rest.trimStart().startsWith("#")) {
        this.pos++;
        const next = this.peek();
        items.push(next !== undefined && next.indent > indent ? this.block(next.indent, depth) : null);
        continue;
      }
      // "- key: value" and "- - x": the rest of the line is a node indented past the dash.
      line.indent = indent + 1 + gap;
      line.text = rest.slice(gap);
      items.push(this.block(line.indent, depth));
    }
    return items;
  }

  private mapping(indent: number, depth: number): YamlMap {
    const map: YamlMap = new Map();
    for (let line = this.peek(); line !== undefined && line.indent === indent; line = this.peek()) {
      if (/^(?:---|\.\.\.)(?:\s|$)/.test(line.text))
        this.fail(FEED_ERRORS.YAML, "only one document is supported", line.no);
      const entry = mappingKey(line);
      if (entry === undefined) {
        if (isSequenceItem(line.text)) break;
        this.fail(FEED_ERRORS.YAML, "expected a `key: value` line", line.no, line.indent + 1);
      }
      this.count(depth, line);
      const { key, rest } = entry;
      if (key === "<<") this.fail(FEED_ERRORS.YAML, "merge keys (<<) are not supported", line.no);
      if (map.has(key)) this.fail(FEED_ERRORS.YAML, `duplicate key ${JSON.stringify(key)}`, line.no);
      this.pos++;
      const value = rest.trim();
      if (value === "" || value.startsWith("#")) {
        const next = this.peek();
        if (next !== undefined && next.indent > indent) map.set(key, this.block(next.indent, depth));
        else if (next !== undefined && next.indent === indent && isSequenceItem(next.text))
          map.set(key, this.sequence(indent, depth + 1));
        else map.set(key, null);
        continue;
      }
      const header = BLOCK_HEADER.exec(value);
      if (header !== null) {
        map.set(key, this.blockScalar(indent, header[1] === ">", header[2] ?? ""));
        continue;
      }
      map.set(key, this.scalar(value, line, line.indent + line.text.length - rest.trimStart().length));
      const next = this.peek();
      if (next !== undefined && next.indent > indent) {
        this.fail(FEED_ERRORS.YAML, "multi-line plain scalars are not supported", next.no, next.indent + 1);
      }
    }
    return map;
  }

  /** The lines of a `|` or `>` scalar: every following line indented past `parent`, or blank. */
  private blockScalar(parent: number, folded: boolean, chomp: string): string {
    const body: string[] = [];
    let contentIndent = -1;
    while (this.pos < this.lines.length) {
      const line = this.lines[this.pos] as Line;
      const blank = line.text.trim() === "";
      if (!blank && line.indent <= parent) break;
      if (!blank && contentIndent < 0) contentIndent = line.indent;
      if (!blank && line.indent < contentIndent)
        this.fail(FEED_ERRORS.YAML, "a block scalar line is less indented than its first line", line.no);
      body.push(blank ? "" : " ".repeat(line.indent - contentIndent) + line.text);
      this.pos++;
    }
    let trailing = 0;
    while (body.length > 0 && body[body.length - 1] === "") {
      body.pop();
      trailing++;
    }
    if (body.length === 0) return "";
    const text = folded ? fold(body) : body.join("\n");
    if (chomp === "-") return text;
    if (chomp === "+") return `${text}\n${"\n".repeat(trailing)}`;
    return `${text}\n`;
  }

  private scalar(text: string, line: Line, column: number): YamlValue {
    const c = text[0] ?? "";
    if (c === '"' || c === "'") {
      const { value, end } = c === '"' ? this.doubleQuoted(text, line, column) : this.singleQuoted(text, line, column);
      const after = text.slice(end).trim();
      if (after !== "" && !after.startsWith("#")) {
        this.fail(FEED_ERRORS.YAML, "unexpected text after a quoted scalar", line.no, column + end);
      }
      return value;
    }
    if (c === "&") this.fail(FEED_ERRORS.YAML, "anchors (&) are refused", line.no, column + 1);
    if (c === "*") this.fail(FEED_ERRORS.YAML, "aliases (*) are refused", line.no, column + 1);
    if (c === "!") this.fail(FEED_ERRORS.YAML, "tags (!) are refused", line.no, column + 1);
    const plain = text.slice(0, commentStart(text)).trim();
    if (plain === "[]") return [];
    if (plain === "{}") return new Map();
    if ("[]{}|>%@`".includes(c)) {
      this.fail(FEED_ERRORS.YAML, `a value starting with ${JSON.stringify(c)} is not supported`, line.no, column + 1);
    }
    if (c === "?" && (text.length === 1 || text[1] === " ")) {
      this.fail(FEED_ERRORS.YAML, "complex keys (?) are not supported", line.no, column + 1);
    }
    if (plain.endsWith(":") || plain.includes(": ")) {
      this.fail(FEED_ERRORS.YAML, "a plain scalar must not contain `: ` (quote it)", line.no, column + 1);
    }
    return resolvePlain(plain);
  }

  private doubleQuoted(text: string, line: Line, column: number): { value: string; end: number } {
    let out = "";
    for (let i = 1; i < text.length; i++) {
      const ch = text[i] as string;
      if (ch === '"') return { value: out, end: i + 1 };
      if (ch !== "\\") {
        out += ch;
        continue;
      }
      const e = text[++i];
      if (e !== undefined && Object.hasOwn(ESCAPES, e)) {
        out += ESCAPES[e];
        continue;
      }
      const width = e === "x" ? 2 : e === "u" ? 4 : e === "U" ? 8 : 0;
      const hex = text.slice(i + 1, i + 1 + width);
      const cp = width > 0 && /^[0-9a-fA-F]+$/.test(hex) && hex.length === width ? Number.parseInt(hex, 16) : -1;
      if (cp < 0 || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
        this.fail(FEED_ERRORS.YAML, "an unsupported escape in a double-quoted scalar", line.no, column + i);
      }
      out += String.fromCodePoint(cp);
      i += width;
    }
    return this.fail(FEED_ERRORS.YAML, "a double-quoted scalar must end on its line", line.no, column + 1);
  }

  private singleQuoted(text: string, line: Line, column: number): { value: string; end: number } {
    let out = "";
    for (let i = 1; i < text.length; i++) {
      const ch = text[i] as string;
      if (ch !== "'") out += ch;
      else if (text[i + 1] === "'") {
        out += "'";
        i++;
      } else return { value: out, end: i + 1 };
    }
    return this.fail(FEED_ERRORS.YAML, "a single-quoted scalar must end on its line", line.no, column + 1);
  }

  private fail(
    code: (typeof FEED_ERRORS)[keyof typeof FEED_ERRORS],
    message: string,
    line?: number,
    column?: number,
  ): never {
    throw new FeedFormatError(code, `YAML: ${message}`, line, column);
  }
}

function isSequenceItem(text: string): boolean {
  return text === "-" || text.startsWith("- ");
}

/** The key of a `key: value` line, when it is one. */
function mappingKey(line: Line): { key: string; rest: string } | undefined {
  const t = line.text;
  if (t[0] === '"' || t[0] === "'") {
    const q = t[0];
    let i = 1;
    let key = "";
    for (; i < t.length; i++) {
      if (t[i] === q && q === "'" && t[i + 1] === "'") {
        key += "'";
        i++;
      } else if (t[i] === q) break;
      else if (t[i] === "\\" && q === '"')
        return undefined; // escapes in keys: not in this subset
      else key += t[i];
    }
    if (i >= t.length || t[i + 1] !== ":" || (t.length > i + 2 && t[i + 2] !== " ")) return undefined;
    return { key, rest: t.slice(i + 2) };
  }
  if (t.startsWith("- ") || t === "-" || /^[[\]{}&*!|>%@`#,?]/.test(t)) return undefined;
  // A linear scan, not a backtracking regular expression: lines come from the vendor's server.
  for (let i = 0; i < t.length; i++) {
    const ch = t[i];
    if (ch === "#" && t[i - 1] === " ") return undefined;
    if (ch === ":" && (i + 1 === t.length || t[i + 1] === " ")) {
      const key = t.slice(0, i).trimEnd();
      return key === "" ? undefined : { key, rest: t.slice(i + 1) };
    }
  }
  return undefined;
}

/** Where a ` #` comment starts in a plain scalar, or the text's length. */
function commentStart(text: string): number {
  for (let i = 1; i < text.length; i++) if (text[i] === "#" && (text[i - 1] === " " || text[i - 1] === "\t")) return i;
  return text.length;
}

function resolvePlain(text: string): YamlValue {
  if (text === "" || text === "~" || text === "null" || text === "Null" || text === "NULL") return null;
  if (text === "true" || text === "True" || text === "TRUE") return true;
  if (text === "false" || text === "False" || text === "FALSE") return false;
  if (text.length <= 64 && NUMBER.test(text)) {
    const n = Number(text);
    // A large integer stays a string: precision is never silently lost.
    if (INTEGER.test(text) && !Number.isSafeInteger(n)) return text;
    if (Number.isFinite(n)) return n;
  }
  return text;
}

/** YAML line folding of a `>` scalar: single line breaks between plain lines become spaces. */
function fold(lines: readonly string[]): string {
  let out = "";
  let prev: "none" | "text" | "indented" | "blank" = "none";
  for (const line of lines) {
    if (line === "") {
      out += "\n";
      prev = "blank";
      continue;
    }
    const indented = line.startsWith(" ");
    if (prev === "none" || prev === "blank") out += line;
    else if (prev === "text" && !indented) out += ` ${line}`;
    else out += `\n${line}`;
    prev = indented ? "indented" : "text";
  }
  return out;
}
