/**
 * The STIX 2.1 Patterning language (STIX 2.1 part 9), parsed by a recursive-descent parser
 * over a tokenizer: the full grammar (observation expressions with AND/OR/FOLLOWEDBY and
 * qualifiers, comparison expressions with AND/OR, every comparison operator, every literal
 * kind), so a pattern the scan cannot use is told apart from one that is malformed.
 * {@link equalityIndicators} then takes the subset the scan matches on.
 */
import { ScanFormatError, ScanLimitError } from "../errors.js";

/** Longest pattern accepted, in characters. */
export const MAX_STIX_PATTERN_LENGTH = 65_536;
/** Deepest nesting of brackets and parentheses accepted. */
export const MAX_STIX_PATTERN_DEPTH = 32;

/** A literal value (9.2). */
export type StixLiteral =
  | { readonly type: "string"; readonly value: string }
  | { readonly type: "int" | "float"; readonly value: number }
  | { readonly type: "bool"; readonly value: boolean }
  | { readonly type: "timestamp" | "hex" | "binary"; readonly value: string }
  | { readonly type: "set"; readonly values: readonly StixLiteral[] };

/** One step of an object path: a property name or a list index (`*` for any). */
export type PathStep = { readonly property: string } | { readonly index: number | "*" };

/** `file:hashes.'SHA-256'`: an object type and the path to a property (9.3). */
export interface ObjectPath {
  readonly objectType: string;
  readonly steps: readonly PathStep[];
}

export type ComparisonOperator =
  | "="
  | "!="
  | ">"
  | "<"
  | ">="
  | "<="
  | "IN"
  | "LIKE"
  | "MATCHES"
  | "ISSUBSET"
  | "ISSUPERSET";

/** A comparison expression, the inside of `[...]` (9.5). */
export type ComparisonExpression =
  | {
      readonly kind: "comparison";
      readonly path: ObjectPath;
      readonly negated: boolean;
      readonly operator: ComparisonOperator;
      readonly value: StixLiteral;
    }
  | { readonly kind: "exists"; readonly path: ObjectPath }
  | { readonly kind: "and" | "or"; readonly operands: readonly ComparisonExpression[] };

/** A qualifier on an observation expression (9.6). */
export type Qualifier =
  | { readonly kind: "within"; readonly seconds: number }
  | { readonly kind: "repeats"; readonly times: number }
  | { readonly kind: "start-stop"; readonly start: string; readonly stop: string };

/** An observation expression (9.4). */
export type ObservationExpression =
  | {
      readonly kind: "observation";
      readonly comparison: ComparisonExpression;
      readonly qualifiers: readonly Qualifier[];
    }
  | {
      readonly kind: "and" | "or" | "followedby";
      readonly operands: readonly ObservationExpression[];
      readonly qualifiers: readonly Qualifier[];
    };

type Token =
  | { readonly t: "punct"; readonly v: string; readonly at: number }
  | { readonly t: "word"; readonly v: string; readonly at: number }
  | { readonly t: "literal"; readonly v: StixLiteral; readonly at: number }
  | { readonly t: "end"; readonly at: number };

const PUNCT = ["!=", "<>", ">=", "<=", "=", "<", ">", "[", "]", "(", ")", ",", ":", ".", "*"] as const;
const WORD = /[A-Za-z_][A-Za-z0-9_-]*/y;
const NUMBER = /[+-]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][+-]?\d+)?/y;
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z$/;
const HEX_BODY = /^(?:[0-9a-fA-F]{2})*$/;
const BASE64_BODY = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function bad(message: string, at: number): never {
  throw new ScanFormatError("SCAN_BAD_STIX", `STIX pattern: ${message} at offset ${at}`, { offset: at });
}

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i] as string;
    if (c === " " || c === "\t" || c === "\r" || c === "\n") {
      i++;
      continue;
    }
    const at = i;
    if (c === "'") {
      const [value, next] = readQuoted(text, i + 1);
      tokens.push({ t: "literal", v: { type: "string", value }, at });
      i = next;
      continue;
    }
    if ((c === "t" || c === "h" || c === "b") && text[i + 1] === "'") {
      const [body, next] = readQuoted(text, i + 2);
      tokens.push({ t: "literal", v: typedLiteral(c, body, at), at });
      i = next;
      continue;
    }
    NUMBER.lastIndex = i;
    const num = /[0-9+.-]/.test(c) ? NUMBER.exec(text) : null;
    if (num !== null) {
      const source = num[0];
      const isFloat = /[.eE]/.test(source);
      const value = Number(source);
      if (!Number.isFinite(value) || (!isFloat && !Number.isSafeInteger(value)))
        bad(`number ${source} out of range`, at);
      tokens.push({ t: "literal", v: { type: isFloat ? "float" : "int", value }, at });
      i += source.length;
      continue;
    }
    WORD.lastIndex = i;
    const word = WORD.exec(text);
    if (word !== null) {
      const v = word[0];
      if (v === "true" || v === "false") tokens.push({ t: "literal", v: { type: "bool", value: v === "true" }, at });
      else tokens.push({ t: "word", v, at });
      i += v.length;
      continue;
    }
    const p = PUNCT.find((q) => text.startsWith(q, i));
    if (p === undefined) bad(`unexpected character ${JSON.stringify(c)}`, at);
    tokens.push({ t: "punct", v: p === "<>" ? "!=" : p, at });
    i += p.length;
  }
  tokens.push({ t: "end", at: text.length });
  return tokens;
}

/** Reads a quoted string body from `start` (after the opening quote): `\'` and `\\` are the only escapes. */
function readQuoted(text: string, start: number): [string, number] {
  let out = "";
  let i = start;
  for (;;) {
    const c = text[i];
    if (c === undefined) bad("unterminated string", start - 1);
    if (c === "'") return [out, i + 1];
    if (c === "\\") {
      const e = text[i + 1];
      if (e !== "'" && e !== "\\") bad("invalid escape in string", i);
      out += e;
      i += 2;
    } else {
      out += c;
      i++;
    }
  }
}

function typedLiteral(prefix: string, body: string, at: number): StixLiteral {
  if (prefix === "t") {
    if (!TIMESTAMP.test(body) || Number.isNaN(Date.parse(body))) bad("invalid timestamp literal", at);
    return { type: "timestamp", value: body };
  }
  if (prefix === "h") {
    if (!HEX_BODY.test(body)) bad("invalid hex literal", at);
    return { type: "hex", value: body.toLowerCase() };
  }
  if (!BASE64_BODY.test(body)) bad("invalid binary (base64) literal", at);
  return { type: "binary", value: body };
}

const COMPARISON_WORDS = new Set(["IN", "LIKE", "MATCHES", "ISSUBSET", "ISSUPERSET"]);
const OBJECT_TYPE = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/;

class Parser {
  private pos = 0;
  private depth = 0;
  constructor(private readonly tokens: readonly Token[]) {}

  private get peek(): Token {
    return this.tokens[this.pos] as Token;
  }
  private next(): Token {
    return this.tokens[this.pos++] as Token;
  }
  private isPunct(v: string): boolean {
    const t = this.peek;
    return t.t === "punct" && t.v === v;
  }
  private isWord(v: string): boolean {
    const t = this.peek;
    return t.t === "word" && t.v === v;
  }
  private expectPunct(v: string): void {
    if (!this.isPunct(v)) bad(`expected ${JSON.stringify(v)}`, this.peek.at);
    this.pos++;
  }
  private expectWord(v: string): void {
    if (!this.isWord(v)) bad(`expected ${v}`, this.peek.at);
    this.pos++;
  }
  private enter(): void {
    if (++this.depth > MAX_STIX_PATTERN_DEPTH) {
      throw new ScanLimitError(
        "SCAN_LIMIT_STIX_PATTERN",
        `STIX pattern nests deeper than ${MAX_STIX_PATTERN_DEPTH} levels`,
        MAX_STIX_PATTERN_DEPTH,
      );
    }
  }

  parsePattern(): ObservationExpression {
    const e = this.observationExpressions();
    if (this.peek.t !== "end") bad("unexpected data after the pattern", this.peek.at);
    return e;
  }

  // Precedence, loosest first: FOLLOWEDBY, OR, AND (9.4).
  private observationExpressions(): ObservationExpression {
    return this.observationChain("followedby", "FOLLOWEDBY", () =>
      this.observationChain("or", "OR", () => this.observationChain("and", "AND", () => this.observationUnit())),
    );
  }

  private observationChain(
    kind: "and" | "or" | "followedby",
    keyword: string,
    operand: () => ObservationExpression,
  ): ObservationExpression {
    const operands = this.chain(keyword, operand);
    return operands.length === 1 ? (operands[0] as ObservationExpression) : { kind, operands, qualifiers: [] };
  }

  /** `operand (KEYWORD operand)*`: the operands, at least one. */
  private chain<T>(keyword: string, operand: () => T): T[] {
    const operands = [operand()];
    while (this.isWord(keyword)) {
      this.pos++;
      operands.push(operand());
    }
    return operands;
  }

  private observationUnit(): ObservationExpression {
    this.enter();
    let e: ObservationExpression;
    if (this.isPunct("[")) {
      this.pos++;
      const comparison = this.comparisonOr();
      this.expectPunct("]");
      e = { kind: "observation", comparison, qualifiers: [] };
    } else if (this.isPunct("(")) {
      this.pos++;
      e = this.observationExpressions();
      this.expectPunct(")");
    } else {
      bad("expected '[' or '('", this.peek.at);
    }
    this.depth--;
    const qualifiers = this.qualifiers();
    return qualifiers.length === 0 ? e : { ...e, qualifiers: [...e.qualifiers, ...qualifiers] };
  }

  private qualifiers(): Qualifier[] {
    const out: Qualifier[] = [];
    for (;;) {
      if (this.isWord("WITHIN")) {
        this.pos++;
        const seconds = this.positiveNumber(false);
        this.expectWord("SECONDS");
        out.push({ kind: "within", seconds });
      } else if (this.isWord("REPEATS")) {
        this.pos++;
        const times = this.positiveNumber(true);
        this.expectWord("TIMES");
        out.push({ kind: "repeats", times });
      } else if (this.isWord("START")) {
        this.pos++;
        const start = this.timestamp();
        this.expectWord("STOP");
        const stop = this.timestamp();
        out.push({ kind: "start-stop", start, stop });
      } else {
        return out;
      }
    }
  }

  private positiveNumber(integer: boolean): number {
    const t = this.next();
    if (t.t !== "literal" || (t.v.type !== "int" && (integer || t.v.type !== "float")) || t.v.value <= 0) {
      bad(integer ? "expected a positive integer" : "expected a positive number", t.at);
    }
    return t.v.value;
  }

  private timestamp(): string {
    const t = this.next();
    if (t.t !== "literal" || t.v.type !== "timestamp") bad("expected a timestamp literal t'...'", t.at);
    return t.v.value;
  }

  private comparisonOr(): ComparisonExpression {
    return this.comparisonChain("or", "OR", () => this.comparisonChain("and", "AND", () => this.propTest()));
  }

  private comparisonChain(
    kind: "and" | "or",
    keyword: string,
    operand: () => ComparisonExpression,
  ): ComparisonExpression {
    const operands = this.chain(keyword, operand);
    return operands.length === 1 ? (operands[0] as ComparisonExpression) : { kind, operands };
  }

  private propTest(): ComparisonExpression {
    if (this.isPunct("(")) {
      this.enter();
      this.pos++;
      const e = this.comparisonOr();
      this.expectPunct(")");
      this.depth--;
      return e;
    }
    if (this.isWord("EXISTS")) {
      this.pos++;
      return { kind: "exists", path: this.objectPath() };
    }
    const path = this.objectPath();
    let negated = false;
    if (this.isWord("NOT")) {
      negated = true;
      this.pos++;
    }
    const op = this.next();
    let operator: ComparisonOperator;
    if (op.t === "punct" && ["=", "!=", ">", "<", ">=", "<="].includes(op.v)) operator = op.v as ComparisonOperator;
    else if (op.t === "word" && COMPARISON_WORDS.has(op.v)) operator = op.v as ComparisonOperator;
    else bad("expected a comparison operator", op.at);
    const value = operator === "IN" ? this.setLiteral() : this.primitive();
    if (["LIKE", "MATCHES", "ISSUBSET", "ISSUPERSET"].includes(operator) && value.type !== "string") {
      bad(`${operator} needs a string literal`, op.at);
    }
    if ([">", "<", ">=", "<="].includes(operator) && (value.type === "bool" || value.type === "set")) {
      bad(`${operator} needs an orderable literal`, op.at);
    }
    return { kind: "comparison", path, negated, operator, value };
  }

  private primitive(): StixLiteral {
    const t = this.next();
    if (t.t !== "literal") bad("expected a literal", t.at);
    return t.v;
  }

  private setLiteral(): StixLiteral {
    this.expectPunct("(");
    const values: StixLiteral[] = [];
    if (!this.isPunct(")")) {
      values.push(this.primitive());
      while (this.isPunct(",")) {
        this.pos++;
        values.push(this.primitive());
      }
    }
    this.expectPunct(")");
    return { type: "set", values };
  }

  private objectPath(): ObjectPath {
    const typeToken = this.next();
    if (typeToken.t !== "word" || !OBJECT_TYPE.test(typeToken.v)) bad("expected an object type", typeToken.at);
    this.expectPunct(":");
    const steps: PathStep[] = [{ property: this.pathName() }];
    for (;;) {
      if (this.isPunct(".")) {
        this.pos++;
        steps.push({ property: this.pathName() });
      } else if (this.isPunct("[")) {
        this.pos++;
        const t = this.next();
        if (t.t === "literal" && t.v.type === "int" && t.v.value >= 0) steps.push({ index: t.v.value });
        else if (t.t === "punct" && t.v === "*") steps.push({ index: "*" });
        else bad("expected a list index or '*'", t.at);
        this.expectPunct("]");
      } else {
        return { objectType: typeToken.v, steps };
      }
    }
  }

  private pathName(): string {
    const t = this.next();
    if (t.t === "word" && !t.v.includes("-")) return t.v;
    if (t.t === "literal" && t.v.type === "string") return t.v.value;
    return bad("expected a property name", t.at);
  }
}

/**
 * Parses a STIX 2.1 pattern.
 *
 * @throws {ScanFormatError} `SCAN_BAD_STIX` with the offset in the pattern.
 * @throws {ScanLimitError} `SCAN_LIMIT_STIX_PATTERN` when longer or deeper than the limits.
 */
export function parseStixPattern(text: string): ObservationExpression {
  if (text.length > MAX_STIX_PATTERN_LENGTH) {
    throw new ScanLimitError(
      "SCAN_LIMIT_STIX_PATTERN",
      `STIX pattern longer than ${MAX_STIX_PATTERN_LENGTH} characters`,
      MAX_STIX_PATTERN_LENGTH,
    );
  }
  return new Parser(tokenize(text)).parsePattern();
}
