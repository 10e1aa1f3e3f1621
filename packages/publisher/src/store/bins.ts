import type { Repository } from "@bulwark/tuf";
import type { RepoDir } from "./repo-dir.js";

/** Targets per bin to aim for when switching, leaving room for growth. */
const TARGETS_PER_BIN = 128;

/**
 * Switches the top-level targets role to hashed bins (TAP 15) once it lists more than the
 * configured threshold, signing the bins with the targets keys. Returns the number of bins,
 * or undefined when nothing changed.
 */
export async function autoHashedBins(repoDir: RepoDir, repo: Repository): Promise<number | undefined> {
  const threshold = repoDir.config.hashedBinsThreshold;
  const top = repo.targets().signed;
  if (threshold === 0 || top.delegations !== undefined || top.targets.size <= threshold) return undefined;
  const bitLength = Math.min(16, Math.max(4, Math.ceil(Math.log2(top.targets.size / TARGETS_PER_BIN))));
  const role = repo.root.signed.role("targets");
  const signers = await repoDir.keyStore(() => repo).signersFor("targets", role.keyids);
  repo.addHashedBins({ bitLength, namePrefix: "bins", signers, threshold: role.threshold });
  return 2 ** bitLength;
}
