/**
 * Releases published before the root required the log. A log policy in root makes every
 * client require a proof beside each release file; a release published before it has none,
 * and a proof made under another policy (another log key, other witnesses) no longer
 * verifies. Such a release is "unlogged": `repo publish` logs it with the releases of the
 * publish, and `bulwark log backfill` logs it at once, so turning the log on never orphans
 * what endpoints are offered.
 */
import { promises as fs } from "node:fs";
import { type LogPolicy, logPolicyQuorum, TlogError, verifyReleaseProof } from "@bulwark/tlog";
import type { Repository } from "@bulwark/tuf";
import { listedReleases } from "../listed-releases.js";
import type { RepoDir } from "../store/repo-dir.js";
import { proofDestinations } from "./proof-files.js";

/** A listed release whose published file has no proof that satisfies the log policy. */
export interface UnloggedRelease {
  readonly name: string;
  readonly version: string;
  /** Its target path. */
  readonly path: string;
  /** `missing`: no proof beside it; `invalid`: a proof that does not verify against the policy. */
  readonly proof: "missing" | "invalid";
}

/**
 * The listed, published releases of `repo` whose proof, where clients fetch it, is missing
 * or does not verify against `policy` as a client verifies it. `exclude` names target paths
 * to leave out (those the caller logs anyway).
 */
export async function unloggedReleases(
  repoDir: RepoDir,
  repo: Repository,
  policy: LogPolicy,
  exclude: ReadonlySet<string> = new Set(),
): Promise<UnloggedRelease[]> {
  const quorum = logPolicyQuorum(policy);
  const out: UnloggedRelease[] = [];
  for (const { release, target, state } of await listedReleases(repoDir, repo)) {
    if (state !== "published" || exclude.has(target.path)) continue;
    const sha256 = target.hashes.get("sha256") ?? "";
    const [fetched] = proofDestinations(repoDir.paths.targets, repo, target.path);
    const bytes = fetched === undefined ? undefined : await fs.readFile(fetched).catch(() => undefined);
    let proof: UnloggedRelease["proof"] | undefined = bytes === undefined ? "missing" : undefined;
    if (bytes !== undefined) {
      try {
        verifyReleaseProof(bytes, {
          origin: policy.origin,
          logVerifier: policy.logVerifier,
          policy: quorum,
          target: { path: target.path, length: target.length, sha256 },
        });
      } catch (error) {
        if (!(error instanceof TlogError)) throw error;
        proof = "invalid";
      }
    }
    if (proof !== undefined) out.push({ name: release.name, version: release.version, path: target.path, proof });
  }
  return out;
}
