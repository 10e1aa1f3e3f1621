/**
 * TAP 4 consensus: a target is trusted when `threshold` of the repositories its mapping
 * names list it with the same length and hashes, and (for a Bulwark release) the same
 * release: name, version, channel, platform, source and unpacked size. What each party may
 * set on its own (rollout, revocation, release date, attestation paths) is not compared.
 * No I/O here: the caller looks targets up in each repository's refreshed metadata.
 */
import { matchesPathPattern, type TargetFile } from "@bulwark/tuf";
import { CLIENT_ERRORS, ClientError } from "../errors.js";
import { releaseOf } from "../release.js";
import type { MapFile, RepositoryMapping } from "./map-file.js";

/** What one repository lists for a target path (undefined: it does not list it). */
export interface Listing {
  readonly repository: string;
  readonly target: TargetFile | undefined;
}

/** Targets a threshold of repositories agree on. */
export interface Agreement {
  /** The mapping that matched. */
  readonly mapping: RepositoryMapping;
  /** The repositories that list the agreed target, in the mapping's order (at least `threshold`). */
  readonly repositories: readonly string[];
  /** Each agreeing repository's own signed entry (same length, hashes and release). */
  readonly targets: ReadonlyMap<string, TargetFile>;
}

/** `CLIENT_NO_CONSENSUS`, with who agreed and what each repository listed. */
export class NoConsensusError extends ClientError {
  constructor(
    /** The target path asked for. */
    readonly targetPath: string,
    /** How many had to agree. */
    readonly threshold: number,
    /** The largest group of repositories that listed the same target (may be fewer than threshold). */
    readonly agreeing: readonly string[],
    /** Every repository asked and what it listed. */
    readonly listings: readonly Listing[],
  ) {
    const names = listings.map((l) => l.repository);
    const said = listings.map((l) => `${l.repository} ${describe(l.target)}`).join("; ");
    const others = names.filter((n) => !agreeing.includes(n));
    super(
      CLIENT_ERRORS.NO_CONSENSUS,
      `no ${threshold} of ${names.join(", ")} agree on ${targetPath}: ${said} (agreeing: ${agreeing.join(", ") || "none"}; not agreeing: ${others.join(", ") || "none"})`,
      {
        hint: "a release installs only when every repository the map file requires signs the same bytes: has the organisation approved this release, and did the vendor publish exactly these bytes? A mismatch may be an attack on one of them",
      },
    );
  }
}

function describe(target: TargetFile | undefined): string {
  if (target === undefined) return "does not list it";
  const release = releaseOf(target);
  const sha = target.hashes.get("sha256") ?? [...target.hashes.values()][0] ?? "no hash";
  const what = release === undefined ? "" : ` as ${release.name} ${release.version} (${release.channel})`;
  return `lists ${target.length} bytes, sha256 ${sha.slice(0, 16)}…${what}`;
}

/** What must be equal for two repositories to agree on a target. */
export function consensusKey(target: TargetFile): string {
  const hashes = [...target.hashes].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const r = releaseOf(target);
  const release =
    r === undefined
      ? null
      : [
          r.name,
          r.version,
          r.channel,
          r.platform ?? null,
          r.source ?? null,
          r.unpacked?.bytes ?? null,
          r.unpacked?.entries ?? null,
        ];
  return JSON.stringify([target.length, hashes, release]);
}

/**
 * The repositories among `listings` that agree, when at least `threshold` do and no other
 * group does too; or the error naming who agreed.
 */
export function findConsensus(
  mapping: RepositoryMapping,
  targetPath: string,
  listings: readonly Listing[],
): Agreement | NoConsensusError {
  const groups = new Map<string, Listing[]>();
  for (const l of listings) {
    if (l.target === undefined) continue;
    const key = consensusKey(l.target);
    groups.set(key, [...(groups.get(key) ?? []), l]);
  }
  const sorted = [...groups.values()].sort((a, b) => b.length - a.length);
  const [best, second] = sorted;
  const agreeing = best?.map((l) => l.repository) ?? [];
  // Two different targets each reaching the threshold (threshold 1, say): fail closed.
  if (best === undefined || best.length < mapping.threshold || (second?.length ?? 0) >= mapping.threshold) {
    return new NoConsensusError(targetPath, mapping.threshold, agreeing, listings);
  }
  return {
    mapping,
    repositories: agreeing,
    targets: new Map(best.map((l) => [l.repository, l.target as TargetFile])),
  };
}

/**
 * TAP 4's search for a target: each mapping whose paths match, in order, asks its
 * repositories; the first agreement wins; a terminating mapping without one ends the search.
 * @param lookup a repository's signed entry for the path (its metadata refreshed).
 * @returns undefined when no mapping matches or no repository asked lists the target.
 * @throws {NoConsensusError} `CLIENT_NO_CONSENSUS` when some list it and too few agree.
 */
export async function resolveTarget(
  map: MapFile,
  targetPath: string,
  lookup: (repository: string, targetPath: string) => Promise<TargetFile | undefined>,
): Promise<Agreement | undefined> {
  let refusal: NoConsensusError | undefined;
  // TAP 4: mappings are tried in order; only those whose paths match the target are asked.
  for (const mapping of map.mapping) {
    if (!mapping.paths.some((p) => matchesPathPattern(targetPath, p))) continue;
    const listings: Listing[] = [];
    for (const repository of mapping.repositories) {
      listings.push({ repository, target: await lookup(repository, targetPath) });
    }
    const found = findConsensus(mapping, targetPath, listings);
    // TAP 4: the first mapping whose repositories reach its threshold decides.
    if (!(found instanceof NoConsensusError)) return found;
    if (listings.some((l) => l.target !== undefined)) refusal = found;
    // TAP 4: a terminating mapping without agreement ends the search (no later mapping is asked).
    if (mapping.terminating) break;
  }
  if (refusal !== undefined) throw refusal;
  return undefined;
}
