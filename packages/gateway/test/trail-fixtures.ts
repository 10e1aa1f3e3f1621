/** Shared parts of the trail tests: a trail key, entries, and a trail in a temporary folder. */
import { type TestLike, tempDir } from "@bulwark/testkit";
import { generateKey, parseSignerKey, parseVerifierKey } from "@bulwark/tlog";
import { Trail, type TrailEntry, type TrailOptions } from "../src/index.js";

export const ORIGIN = "gateway.example.org/trail";

/** A fresh trail key (an Ed25519 signed-note key, as `generateKey` in tlog makes them). */
export function trailKey(): TrailOptions {
  const key = generateKey(ORIGIN);
  return { origin: ORIGIN, signer: parseSignerKey(key.skey), verifier: parseVerifierKey(key.vkey) };
}

/** The `n`-th entry of a test history: a release moving through the gateway. */
export function entry(n: number, actor = "poller"): TrailEntry {
  const actions = ["release.fetched", "release.verified", "release.quarantined", "release.scanned"] as const;
  return {
    actor: { kind: "system", id: actor },
    action: actions[n % actions.length] as TrailEntry["action"],
    subject: { kind: "release", id: `acme/app@1.0.${n}` },
    time: new Date(Date.UTC(2026, 11, 7, 12, 0, 0, n)),
    details: { n },
  };
}

export function entries(from: number, count: number, actor?: string): TrailEntry[] {
  return Array.from({ length: count }, (_, i) => entry(from + i, actor));
}

/** A trail in a temporary folder holding `history`, appended in batches of `batch`. */
export async function folderTrail(
  t: TestLike,
  history: readonly TrailEntry[],
  options: TrailOptions = trailKey(),
  batch = 10,
): Promise<{ dir: string; trail: Trail; options: TrailOptions }> {
  const dir = tempDir(t, "bulwark-trail-");
  const trail = await Trail.folder(dir, { ...options, create: true });
  for (let i = 0; i < history.length; i += batch) await trail.append(history.slice(i, i + batch));
  return { dir, trail, options };
}
