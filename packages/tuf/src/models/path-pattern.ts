/**
 * Delegation path patterns (spec §4.5 `paths`): shell-style wildcards where `*` and `?`
 * never cross a `/`, and pattern and target must have the same number of segments.
 */
const cache = new Map<string, RegExp>();

function segmentToRegExp(segment: string): string {
  let out = "";
  for (let i = 0; i < segment.length; i++) {
    const c = segment[i] as string;
    if (c === "*") out += "[^/]*";
    else if (c === "?") out += "[^/]";
    else if (c === "[") {
      const close = segment.indexOf("]", i + 2);
      if (close === -1) {
        out += "\\[";
        continue;
      }
      let body = segment.slice(i + 1, close);
      const negate = body.startsWith("!");
      if (negate) body = body.slice(1);
      out += `[${negate ? "^" : ""}${body.replace(/[\\\]^]/g, "\\$&")}]`;
      i = close;
    } else out += c.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
  }
  return out;
}

function compile(pattern: string): RegExp {
  let re = cache.get(pattern);
  if (re === undefined) {
    re = new RegExp(`^${pattern.split("/").map(segmentToRegExp).join("/")}$`, "s");
    if (cache.size > 10_000) cache.clear();
    cache.set(pattern, re);
  }
  return re;
}

/** True when `targetPath` matches the delegation `pattern`. */
export function matchesPathPattern(targetPath: string, pattern: string): boolean {
  if (pattern.split("/").length !== targetPath.split("/").length) return false;
  return compile(pattern).test(targetPath);
}
