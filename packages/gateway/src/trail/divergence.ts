/**
 * Where two sequences of leaf hashes part, and how: the entry at fault when a trail's
 * entries no longer match what recorded them (its own tiles, or a monitor's kept hashes).
 */
import type { TrailChange } from "./errors.js";

/** The first entry at which `actual` leaves `expected`, and what happened to it. */
export interface Divergence {
  /** The index, within the sequences, of the first entry at fault. */
  readonly at: number;
  readonly change: TrailChange;
}

function same(a: Uint8Array | undefined, b: Uint8Array | undefined): boolean {
  return a !== undefined && b !== undefined && Buffer.compare(a, b) === 0;
}

/**
 * Compares what was recorded (`expected`) with what is there now (`actual`): a swapped
 * pair is `reordered`; an entry whose successor moved into its place is `dropped` (as is a
 * sequence that ends early); any other difference is `rewritten`. Undefined when `actual`
 * starts with all of `expected`.
 */
export function findDivergence(expected: readonly Uint8Array[], actual: readonly Uint8Array[]): Divergence | undefined {
  const n = Math.min(expected.length, actual.length);
  for (let k = 0; k < n; k++) {
    if (same(expected[k], actual[k])) continue;
    if (same(expected[k], actual[k + 1]) && same(expected[k + 1], actual[k])) return { at: k, change: "reordered" };
    if (same(expected[k + 1], actual[k])) return { at: k, change: "dropped" };
    return { at: k, change: "rewritten" };
  }
  return actual.length < expected.length ? { at: actual.length, change: "dropped" } : undefined;
}
