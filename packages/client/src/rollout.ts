import { createHash } from "node:crypto";

/**
 * Staged rollout: whether `clientId` is in the cohort of `release` (NAME@VERSION) at
 * `percent`. The client's position is sha256(clientId ‖ 0x00 ‖ release) read as a fraction
 * of 2^64 (first 8 bytes): uniform, stable for a client and release, and independent
 * between releases, so raising the percentage only ever adds clients. The NUL separator
 * keeps ("ab","c") and ("a","bc") apart.
 */
export function rolloutPosition(clientId: string, release: string): number {
  const digest = createHash("sha256")
    .update(clientId)
    .update(Buffer.from([0]))
    .update(release)
    .digest();
  return Number(digest.readBigUInt64BE(0) >> 11n) / 2 ** 53;
}

/** True when the client is in the first `percent` % of the release's cohort order. */
export function inRollout(clientId: string, release: string, percent: number): boolean {
  if (percent >= 100) return true;
  if (percent <= 0) return false;
  return rolloutPosition(clientId, release) * 100 < percent;
}
