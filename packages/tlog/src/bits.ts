/** Bit arithmetic on uint64 tree sizes and indexes, held as bigint. */

/** Number of bits needed to represent `x` (0 for 0), like Go's bits.Len64. */
export function bitLength(x: bigint): number {
  return x === 0n ? 0 : x.toString(2).length;
}

/** Number of one bits in `x`, like Go's bits.OnesCount64. */
export function onesCount(x: bigint): number {
  let count = 0;
  for (const c of x.toString(2)) if (c === "1") count++;
  return count;
}

/** Number of trailing zero bits in `x` (64 for 0), like Go's bits.TrailingZeros64. */
export function trailingZeros(x: bigint): number {
  if (x === 0n) return 64;
  let n = 0;
  while (((x >> BigInt(n)) & 1n) === 0n) n++;
  return n;
}

/** The largest power of two strictly below `n`, for n > 1 (the split point k of RFC 6962 §2.1). */
export function splitPoint(n: bigint): bigint {
  return 1n << BigInt(bitLength(n - 1n) - 1);
}

/** True when `n` is a power of two (n > 0). */
export function isPowerOfTwo(n: bigint): boolean {
  return n > 0n && (n & (n - 1n)) === 0n;
}

/** The smaller of two bigints. */
export function minBig(a: bigint, b: bigint): bigint {
  if (a < b) return a;
  return b;
}
