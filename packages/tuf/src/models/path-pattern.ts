/**
 * Delegation path patterns (spec §4.5 `paths`): shell-style wildcards (`*`, `?`, `[seq]`,
 * `[!seq]`) where nothing crosses a `/`, and pattern and target must have the same
 * number of segments. Matching is linear-time backtracking over the last `*`, so a hostile
 * pattern cannot make a lookup take exponential time, and no pattern ever throws.
 */

type Token =
  | { kind: "star" }
  | { kind: "any" }
  | { kind: "char"; c: string }
  | { kind: "set"; test: (c: string) => boolean };

const cache = new Map<string, Token[][]>();

function parseClass(segment: string, open: number): { token: Token; end: number } | undefined {
  // As Python's fnmatch: `!` negates, a `]` right after `[` or `[!` is literal.
  let j = open + 1;
  const negate = segment[j] === "!";
  if (negate) j++;
  if (segment[j] === "]") j++;
  const close = segment.indexOf("]", j);
  if (close === -1) return undefined;
  const body = [...segment.slice(open + (negate ? 2 : 1), close)];
  const ranges: Array<[number, number]> = [];
  for (let i = 0; i < body.length; i++) {
    const from = (body[i] as string).codePointAt(0) as number;
    if (body[i + 1] === "-" && i + 2 < body.length) {
      const to = (body[i + 2] as string).codePointAt(0) as number;
      if (from <= to) ranges.push([from, to]); // a reversed range matches nothing, as in fnmatch
      i += 2;
    } else {
      ranges.push([from, from]);
    }
  }
  const test = (c: string) => {
    const cp = c.codePointAt(0) as number;
    return ranges.some(([a, b]) => cp >= a && cp <= b) !== negate;
  };
  return { token: { kind: "set", test }, end: close };
}

function tokenize(segment: string): Token[] {
  const tokens: Token[] = [];
  const chars = [...segment];
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i] as string;
    if (c === "*") {
      if (tokens.at(-1)?.kind !== "star") tokens.push({ kind: "star" });
    } else if (c === "?") {
      tokens.push({ kind: "any" });
    } else if (c === "[") {
      // Character positions: work on the code-point array joined back for indexOf.
      const rest = chars.slice(i).join("");
      const parsed = parseClass(rest, 0);
      if (parsed === undefined) {
        tokens.push({ kind: "char", c });
      } else {
        tokens.push(parsed.token);
        i += [...rest.slice(0, parsed.end)].length;
      }
    } else {
      tokens.push({ kind: "char", c });
    }
  }
  return tokens;
}

function matchOne(token: Token, c: string): boolean {
  switch (token.kind) {
    case "any":
      return true;
    case "char":
      return token.c === c;
    case "set":
      return token.test(c);
    default:
      return false;
  }
}

function matchSegment(tokens: Token[], text: string[]): boolean {
  let t = 0;
  let p = 0;
  let starP = -1;
  let starT = 0;
  while (t < text.length) {
    const token = tokens[p];
    if (token !== undefined && token.kind !== "star" && matchOne(token, text[t] as string)) {
      t++;
      p++;
    } else if (token?.kind === "star") {
      starP = p++;
      starT = t;
    } else if (starP !== -1) {
      p = starP + 1;
      t = ++starT;
    } else {
      return false;
    }
  }
  while (tokens[p]?.kind === "star") p++;
  return p === tokens.length;
}

/** True when `targetPath` matches the delegation `pattern`. Never throws. */
export function matchesPathPattern(targetPath: string, pattern: string): boolean {
  let compiled = cache.get(pattern);
  if (compiled === undefined) {
    compiled = pattern.split("/").map(tokenize);
    if (cache.size > 10_000) cache.clear();
    cache.set(pattern, compiled);
  }
  const segments = targetPath.split("/");
  if (segments.length !== compiled.length) return false;
  return compiled.every((tokens, i) => matchSegment(tokens, [...(segments[i] as string)]));
}
