/**
 * Where log proofs are published: beside each release file in public/targets, under the name
 * clients fetch (`<file>.tlog-proof` next to the hash-prefixed file with consistent
 * snapshots) and under the plain name, for people and tools; a change's proof
 * (`.revoked.tlog-proof`, `.rollout.tlog-proof`) likewise.
 */
import path from "node:path";
import { changeProofPath, type ReleaseChange, releaseProofPath } from "@bulwark/tlog";
import { hashPrefixedPath, type Repository } from "@bulwark/tuf";
import type { LoggedReleases } from "./release-logging.js";

/** A proof file to write. */
export interface ProofFile {
  readonly dest: string;
  readonly data: Buffer;
}

/** The names a file is published under: the one clients fetch first, then the plain one. */
function publishedNames(repo: Repository, targetPath: string): string[] {
  const sha256 = repo.targets(repo.roleForTarget(targetPath)).signed.targets.get(targetPath)?.hashes.get("sha256");
  const consistent = repo.root.signed.consistentSnapshot === true;
  const fetched = consistent && sha256 !== undefined ? hashPrefixedPath(targetPath, sha256) : targetPath;
  return [...new Set([fetched, targetPath])];
}

/** Where the release proof of `targetPath`, as `repo` signs it, goes under `targetsDir`; clients fetch the first. */
export function proofDestinations(targetsDir: string, repo: Repository, targetPath: string): string[] {
  return publishedNames(repo, targetPath).map((name) => path.join(targetsDir, ...releaseProofPath(name).split("/")));
}

/**
 * The proof files of what `logged` logged: each released file's proof and each change's,
 * under every name it is published by.
 */
export function proofFiles(
  targetsDir: string,
  repo: Repository,
  logged: LoggedReleases | undefined,
  released: readonly string[],
  changes: ReadonlyArray<{ readonly path: string; readonly change: ReleaseChange }> = [],
): ProofFile[] {
  if (logged === undefined) return [];
  const out: ProofFile[] = [];
  for (const targetPath of released) {
    const proof = logged.proofs.get(targetPath);
    if (proof === undefined) continue;
    for (const dest of proofDestinations(targetsDir, repo, targetPath)) out.push({ dest, data: Buffer.from(proof) });
  }
  for (const { path: targetPath, change } of changes) {
    const proof = logged.changeProofs.get(targetPath);
    if (proof === undefined) continue;
    for (const name of publishedNames(repo, targetPath)) {
      const dest = path.join(targetsDir, ...changeProofPath(name, change.kind).split("/"));
      out.push({ dest, data: Buffer.from(proof) });
    }
  }
  return out;
}
