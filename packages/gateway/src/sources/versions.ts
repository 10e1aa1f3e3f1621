/**
 * Ordering the versions a feed serves, to notice a feed that goes back. Semantic versions
 * compare by SemVer precedence; anything else (Sparkle's bundle versions such as `1234` or
 * `2.1.0.5`) by dotted segments, numbers numerically. Distinct texts never compare equal,
 * so the order is total.
 */
import { compareSemver, parseSemver } from "@bulwark/client";

const SEPARATORS = /[.\-+_]/;
const DIGITS = /^\d+$/;

function compareSegments(x: string, y: string): number {
  const nx = DIGITS.test(x);
  const ny = DIGITS.test(y);
  if (nx && ny) {
    const a = x.replace(/^0+(?=\d)/, "");
    const b = y.replace(/^0+(?=\d)/, "");
    if (a.length !== b.length) return a.length - b.length;
    return a < b ? -1 : a > b ? 1 : 0;
  }
  // A number outranks a word: 1.0.1 is later than 1.0.beta.
  if (nx !== ny) return nx ? 1 : -1;
  return x < y ? -1 : x > y ? 1 : 0;
}

/** Negative when `a` is older than `b`, positive when newer, zero only for the same text. */
export function compareVersions(a: string, b: string): number {
  if (a === b) return 0;
  const sa = parseSemver(a);
  const sb = parseSemver(b);
  let order = 0;
  if (sa !== undefined && sb !== undefined) {
    order = compareSemver(sa, sb);
  } else {
    const pa = a.split(SEPARATORS);
    const pb = b.split(SEPARATORS);
    for (let i = 0; order === 0 && i < Math.max(pa.length, pb.length); i++) {
      const x = pa[i];
      const y = pb[i];
      if (x === undefined) order = -1;
      else if (y === undefined) order = 1;
      else order = compareSegments(x, y);
    }
  }
  if (order !== 0) return Math.sign(order);
  return a < b ? -1 : 1;
}

/** The newest of `versions`, or undefined for none. */
export function newestVersion(versions: Iterable<string>): string | undefined {
  let best: string | undefined;
  for (const v of versions) if (best === undefined || compareVersions(v, best) > 0) best = v;
  return best;
}

const NUPKG = /^(.+?)-(\d+(?:\.\d+)*(?:-[0-9A-Za-z][0-9A-Za-z.]*)?)-(full|delta)\.nupkg$/i;

/**
 * The package id and version of a Squirrel package file name (`MyApp-1.2.3-full.nupkg`),
 * or undefined when it is not one.
 */
export function squirrelPackageVersion(
  name: string,
): { readonly id: string; readonly version: string; readonly delta: boolean } | undefined {
  const m = NUPKG.exec(name);
  if (m === null) return undefined;
  return { id: m[1] as string, version: m[2] as string, delta: (m[3] as string).toLowerCase() === "delta" };
}
