/**
 * The release checks of `repo verify`: every release the repository lists, put through
 * the checks a client makes before it downloads a release (the builder quorum of the
 * root's release policy, the log proof against the root's log policy), by the client's
 * own code (`checkBeforeDownload` of @bulwark/client) over a client {@link Updater} of the
 * same static tree. A release every client refuses is a problem here, with the client's
 * error code.
 *
 * Bounded as the client is: each release reads at most `maxBundles` attestation bundles
 * of at most `maxBundleBytes` (each checked against its signed length before it is
 * fetched) and one log proof of at most `maxProofBytes`; releases are checked
 * {@link RELEASE_CHECK_CONCURRENCY} at a time.
 */
import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { releasePoliciesOf } from "@bulwark/attest";
import {
  ATTESTATION_LIMITS,
  type AttestationLimits,
  checkBeforeDownload,
  LOG_PROOF_LIMITS,
  type LogProofLimits,
  type Release,
  releaseOf,
} from "@bulwark/client";
import { logPolicyOf } from "@bulwark/tlog";
import {
  BulwarkError,
  type InspectionProblem,
  type RepositoryInspection,
  type RepositorySource,
  type Root,
  sourceUpdater,
  type Updater,
} from "@bulwark/tuf";

/** Releases checked at the same time. */
export const RELEASE_CHECK_CONCURRENCY = 8;

/** Options of {@link verifyReleases}. */
export interface VerifyReleasesOptions {
  /** The root clients ship with. */
  readonly trustedRoot: Uint8Array;
  /** The instant expiry is judged at, in ms since the epoch. */
  readonly at: number;
  /** Default: the client's {@link ATTESTATION_LIMITS}. */
  readonly attestationLimits?: AttestationLimits;
  /** Default: the client's {@link LOG_PROOF_LIMITS}. */
  readonly logProofLimits?: LogProofLimits;
}

/** What the release checks found. */
export interface ReleaseVerification {
  /** Releases checked, or null when the root configures no release check (or they could not run). */
  readonly checked: number | null;
  /** Releases a client refuses, each with the client's error code. */
  readonly problems: readonly InspectionProblem[];
  /** Why the checks did not run, when the inspection has already failed. */
  readonly warnings: readonly InspectionProblem[];
}

/** A release signed in the repository, with the role that lists it. */
interface Listed {
  readonly path: string;
  readonly role: string;
}

/** True unless the root is known to configure neither a release policy nor a log policy. */
function hasReleaseChecks(root: Root): boolean {
  try {
    return releasePoliciesOf(root) !== undefined || logPolicyOf(root) !== undefined;
  } catch {
    return true; // unreadable: the client's check says so, with its code
  }
}

/** Every signed target that is a release, once, in the order the inspection visited the roles. */
function listedReleases(inspection: RepositoryInspection): Listed[] {
  const roles: Array<[string, RepositoryInspection["targets"]]> = [["targets", inspection.targets]];
  for (const [name, { metadata }] of inspection.delegated) roles.push([name, metadata]);
  const out = new Map<string, Listed>();
  for (const [role, metadata] of roles) {
    for (const [targetPath, target] of metadata?.signed.targets ?? []) {
      if (!out.has(targetPath) && releaseOf(target) !== undefined) out.set(targetPath, { path: targetPath, role });
    }
  }
  return [...out.values()];
}

function problemOf(listed: Listed, error: unknown): InspectionProblem {
  // Anything but a Bulwark error is a bug here, not a problem of the repository.
  if (!(error instanceof BulwarkError)) throw error;
  return { role: listed.role, target: listed.path, code: error.code, message: error.message, cause: error };
}

/**
 * Checks every release `inspection` found in `source` as a client does before downloading
 * it. Revoked releases are skipped (no client installs them), as are targets a client's
 * delegation search does not find (the inspection warns about those).
 * @throws what a non-Bulwark failure throws (a bug); repository failures are problems.
 */
export async function verifyReleases(
  source: RepositorySource,
  inspection: RepositoryInspection,
  options: VerifyReleasesOptions,
): Promise<ReleaseVerification> {
  if (!inspection.rootVerified || !hasReleaseChecks(inspection.root.signed)) {
    return { checked: null, problems: [], warnings: [] };
  }
  const scratch = await fs.mkdtemp(path.join(os.tmpdir(), "bulwark-verify-"));
  try {
    const metadataDir = path.join(scratch, "metadata");
    await fs.mkdir(metadataDir);
    const updater = sourceUpdater(source, {
      metadataDir,
      trustedRoot: options.trustedRoot,
      referenceTime: new Date(options.at),
    });
    try {
      await updater.refresh();
    } catch (error) {
      if (!(error instanceof BulwarkError)) throw error;
      const skipped: InspectionProblem = {
        code: inspection.problems.length > 0 ? "RELEASES_NOT_CHECKED" : error.code,
        message: `no release could be checked, as clients refresh the metadata and fail: ${error.message}`,
        cause: error,
      };
      // A failure the inspection did not see is a problem; otherwise it is already reported.
      return inspection.problems.length > 0
        ? { checked: null, problems: [], warnings: [skipped] }
        : { checked: null, problems: [skipped], warnings: [] };
    }
    return await checkAll(updater, listedReleases(inspection), scratch, options);
  } finally {
    await fs.rm(scratch, { recursive: true, force: true });
  }
}

async function checkAll(
  updater: Updater,
  listed: readonly Listed[],
  scratch: string,
  options: VerifyReleasesOptions,
): Promise<ReleaseVerification> {
  const problems: InspectionProblem[] = [];
  let checked = 0;
  // The client's lookups load delegated roles lazily: resolve every release once, in
  // turn, so the checks running side by side below only read roles already verified.
  const releases: Array<{ listed: Listed; release: Release }> = [];
  for (const l of listed) {
    try {
      const target = await updater.getTargetInfo(l.path);
      const release = target === undefined ? undefined : releaseOf(target);
      if (release === undefined || release.revoked !== undefined) continue;
      for (const bundle of release.attestations ?? []) await updater.getTargetInfo(bundle);
      releases.push({ listed: l, release });
    } catch (error) {
      problems.push(problemOf(l, error));
      checked++;
    }
  }
  let next = 0;
  const worker = async (n: number) => {
    // Each worker its own folder: two releases may share a bundle's bytes and name.
    const dir = path.join(scratch, `bundles-${n}`);
    await fs.mkdir(dir);
    while (next < releases.length) {
      const { listed: l, release } = releases[next++] as (typeof releases)[number];
      try {
        await checkBeforeDownload(updater, release, {
          product: release.name,
          dir,
          attestationLimits: options.attestationLimits ?? ATTESTATION_LIMITS,
          logProofLimits: options.logProofLimits ?? LOG_PROOF_LIMITS,
          emit: () => {},
        });
      } catch (error) {
        problems.push(problemOf(l, error));
      }
      checked++;
    }
  };
  await Promise.all(Array.from({ length: Math.min(RELEASE_CHECK_CONCURRENCY, releases.length) }, (_, n) => worker(n)));
  // In the order releases are listed, whichever worker finished first.
  const order = new Map(listed.map((l, i) => [l.path, i]));
  problems.sort((a, b) => (order.get(a.target ?? "") ?? 0) - (order.get(b.target ?? "") ?? 0));
  return { checked, problems, warnings: [] };
}
