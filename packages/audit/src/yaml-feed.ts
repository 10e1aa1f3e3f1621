/**
 * Reads an electron-updater feed's YAML with the maintained `yaml` package (ADR 0010-A),
 * as electron-updater itself reads it with a full YAML parser: flow collections, block
 * scalars, quoted keys, comments, anchors and aliases, multi-line scalars and a `---`
 * start are all valid feeds. The vendor's server is untrusted, so the parse is bounded:
 *
 * - the document's size ({@link YAML_LIMITS}.maxChars), before anything is parsed;
 * - nesting, measured on the parser's own tokens before the document is composed (deep
 *   flow nesting exhausts the composer's stack, or worse);
 * - aliases (`maxAliasCount`: the "billion laughs" of YAML), and the nodes and depth of
 *   the value they expand to;
 * - only the YAML 1.2 core schema: no custom tags, no merge keys, unique keys; any error
 *   or warning of the parser (an unknown tag, several documents) refuses the document.
 *
 * Every failure is a {@link FeedFormatError}, never another throw. Mappings are `Map`s
 * with string keys, so a key such as `__proto__` from the vendor's server is only a key.
 */
import { Lexer, parseDocument } from "yaml";
import { decodeUtf8, FEED_ERRORS, FeedFormatError } from "./errors.js";

/** A parsed YAML value. */
export type YamlValue = string | number | boolean | null | YamlValue[] | YamlMap;
/** A parsed YAML mapping, in document order. */
export type YamlMap = Map<string, YamlValue>;

/** Bounds of {@link parseFeedYaml}. */
export type YamlLimits = Record<keyof typeof YAML_LIMITS, number>;

/** Bounds of {@link parseFeedYaml}, each a named default. */
export const YAML_LIMITS = {
  /** Characters in the document (a real latest.yml is well under 10 KiB). */
  maxChars: 4 * 1024 * 1024,
  /** Nested collections. */
  maxDepth: 32,
  /** Scalars and collections together, aliases expanded. */
  maxNodes: 100_000,
  /** Alias nodes resolved while building the value. */
  maxAliasCount: 100,
  /** Columns of indentation (deeper block nesting needs more). */
  maxIndent: 512,
} as const;

type Code = (typeof FEED_ERRORS)[keyof typeof FEED_ERRORS];

function fail(code: Code, message: string, line?: number, column?: number): never {
  throw new FeedFormatError(code, `YAML: ${message}`, line, column);
}

/**
 * Parses an electron-updater feed document.
 * @throws {FeedFormatError} `AUDIT_BAD_YAML`, `AUDIT_TOO_DEEP`, `AUDIT_TOO_LARGE` or `AUDIT_BAD_ENCODING`.
 */
export function parseFeedYaml(input: string | Uint8Array, limits: Partial<YamlLimits> = {}): YamlValue {
  const bounds: YamlLimits = { ...YAML_LIMITS, ...limits };
  const text = typeof input === "string" ? input : decodeUtf8(input);
  if (text.length > bounds.maxChars)
    fail(FEED_ERRORS.TOO_LARGE, `more than ${bounds.maxChars} characters (bound maxChars)`);
  try {
    refuseControlCharacters(text);
    checkNesting(text, bounds);
    const doc = parseDocument(text, {
      version: "1.2",
      schema: "core",
      customTags: [],
      merge: false,
      uniqueKeys: true,
      strict: true,
      intAsBigInt: true,
      prettyErrors: false,
    });
    const problem = doc.errors[0] ?? doc.warnings[0];
    if (problem !== undefined) {
      const at = problem.linePos?.[0];
      fail(FEED_ERRORS.YAML, problem.message.split("\n")[0] ?? problem.code, at?.line, at?.col);
    }
    let value: unknown;
    try {
      value = doc.toJS({ mapAsMap: true, maxAliasCount: bounds.maxAliasCount });
    } catch (error) {
      // yaml throws a ReferenceError for an excessive alias count (a resource exhaustion
      // attack), and for an alias to no anchor.
      const message = (error as Error).message;
      if (/excessive alias count/i.test(message)) {
        fail(
          FEED_ERRORS.TOO_LARGE,
          `aliases expand too far: more than ${bounds.maxAliasCount} aliases resolved (bound maxAliasCount), an alias bomb (YAML's "billion laughs")`,
        );
      }
      fail(FEED_ERRORS.YAML, message);
    }
    return toYamlValue(value, bounds);
  } catch (error) {
    if (error instanceof FeedFormatError) throw error;
    // Whatever else the parser throws is still a document that does not parse, never a crash.
    return fail(FEED_ERRORS.YAML, `the document does not parse: ${(error as Error).message}`);
  }
}

function refuseControlCharacters(text: string): void {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: YAML's printable set excludes them (1.2, 5.1)
  const bad = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f\ufffe\uffff]/.exec(text);
  if (bad === null) return;
  const before = text.slice(0, bad.index);
  const line = before.split("\n").length;
  fail(FEED_ERRORS.YAML, "a control character is not allowed", line, bad.index - before.lastIndexOf("\n"));
}

/**
 * Bounds nesting on the lexer's tokens (an iterative scan): flow collections open at once,
 * indicators of compact nesting on one line (`- - - x`), and indentation.
 */
function checkNesting(text: string, bounds: YamlLimits): void {
  let flow = 0;
  let line = 1;
  let indicators = 0;
  let atLineStart = true;
  let scalarNext = false;
  let tokens = 0;
  for (const token of new Lexer().lex(text)) {
    if (++tokens > bounds.maxNodes * 8)
      fail(FEED_ERRORS.TOO_LARGE, `more than ${bounds.maxNodes * 8} tokens (bound maxNodes × 8)`);
    if (scalarNext) {
      // The source of a scalar: its text is never structure.
      scalarNext = false;
      line += countNewlines(token);
      atLineStart = false;
      continue;
    }
    switch (token) {
      case "\u001f": // the lexer's scalar marker: the next token is the scalar's source
        scalarNext = true;
        continue;
      case "\n":
      case "\r\n":
        line++;
        indicators = 0;
        atLineStart = true;
        continue;
      case "[":
      case "{":
        if (++flow > bounds.maxDepth) {
          fail(
            FEED_ERRORS.TOO_DEEP,
            `flow collections nested deeper than ${bounds.maxDepth} levels (bound maxDepth)`,
            line,
          );
        }
        break;
      case "]":
      case "}":
        flow = Math.max(0, flow - 1);
        break;
      case "-":
      case "?":
      case ":":
        // Block indicators only: a flow mapping on one line may hold many keys.
        if (flow === 0 && ++indicators > 2 * bounds.maxDepth)
          fail(
            FEED_ERRORS.TOO_DEEP,
            `block collections nested deeper than ${bounds.maxDepth} levels (bound maxDepth)`,
            line,
          );
        break;
      default:
        if (atLineStart && /^ +$/.test(token) && token.length > bounds.maxIndent) {
          fail(FEED_ERRORS.TOO_DEEP, `indented more than ${bounds.maxIndent} columns (bound maxIndent)`, line);
        }
        line += countNewlines(token);
    }
    atLineStart = false;
  }
}

function countNewlines(text: string): number {
  let n = 0;
  for (let i = text.indexOf("\n"); i >= 0; i = text.indexOf("\n", i + 1)) n++;
  return n;
}

/**
 * The composed value as a {@link YamlValue}, checked for depth and size without recursion:
 * keys become strings as electron-updater's plain objects make them; integers beyond
 * 2^53 stay strings, so precision is never silently lost.
 */
function toYamlValue(value: unknown, bounds: YamlLimits): YamlValue {
  let nodes = 0;
  const convert = (v: unknown, depth: number, put: (x: YamlValue) => void, work: Array<() => void>) => {
    if (++nodes > bounds.maxNodes)
      fail(FEED_ERRORS.TOO_LARGE, `more than ${bounds.maxNodes} nodes, aliases expanded (bound maxNodes)`);
    if (v instanceof Map || Array.isArray(v)) {
      if (depth > bounds.maxDepth)
        fail(FEED_ERRORS.TOO_DEEP, `nested deeper than ${bounds.maxDepth} levels (bound maxDepth)`);
    }
    if (Array.isArray(v)) {
      const out: YamlValue[] = [];
      put(out);
      for (const item of v) work.push(() => convert(item, depth + 1, (x) => out.push(x), work));
      return;
    }
    if (v instanceof Map) {
      const out: YamlMap = new Map();
      put(out);
      for (const [k, item] of v) {
        const key = scalarKey(k);
        if (out.has(key)) fail(FEED_ERRORS.YAML, `duplicate key ${JSON.stringify(key)}`);
        out.set(key, null);
        work.push(() => convert(item, depth + 1, (x) => out.set(key, x), work));
      }
      return;
    }
    put(scalar(v));
  };
  let result: YamlValue = null;
  const work: Array<() => void> = [];
  convert(
    value,
    1,
    (x) => {
      result = x;
    },
    work,
  );
  // Breadth first, without recursion; placeholders keep every collection in document order.
  for (let i = 0; i < work.length; i++) (work[i] as () => void)();
  return result;
}

function scalar(v: unknown): YamlValue {
  if (v === null || v === undefined) return null;
  if (typeof v === "string" || typeof v === "boolean") return v;
  if (typeof v === "bigint") return Number.isSafeInteger(Number(v)) ? Number(v) : v.toString();
  if (typeof v === "number") return Number.isFinite(v) ? v : String(v);
  return fail(FEED_ERRORS.YAML, `a value of an unsupported kind (${typeof v})`);
}

function scalarKey(k: unknown): string {
  if (k instanceof Map || Array.isArray(k)) fail(FEED_ERRORS.YAML, "complex keys (a collection as a key) are refused");
  const v = scalar(k);
  return v === null ? "null" : String(v);
}
