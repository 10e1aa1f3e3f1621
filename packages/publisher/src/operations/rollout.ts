/**
 * Changing a published release in signed targets metadata: its staged-rollout percentage,
 * or its revocation (the kill switch). Each change is signed and published at once. Under a
 * root that names a transparency log, each changed file's change is logged too (a
 * release-change entry, cosigned like a release) and its proof published beside the file
 * (`<file>.revoked.tlog-proof`, `<file>.rollout.tlog-proof`): using the kill switch, or
 * hiding it by re-signing without it, is then visible to the log's monitor.
 */
import { releaseOf, writeRevocation, writeRollout } from "@bulwark/client";
import type { ReleaseChange as LogChange } from "@bulwark/tlog";
import type { TargetFile } from "@bulwark/tuf";
import { PUBLISHER_ERRORS, PublisherError } from "../errors.js";
import type { PublisherOptions } from "../options.js";
import { releaseTargets } from "../releases.js";
import type { PublishReport } from "../store/repo-dir.js";
import { isoSeconds, withRepository } from "./open.js";

/** What a release change did: the files of the release it changed, and the publish. */
export interface ReleaseChange {
  readonly release: string;
  readonly files: readonly string[];
  readonly published: PublishReport;
}

/** Edits every signed target of NAME@VERSION, then signs and publishes. */
async function changeRelease(
  dir: string,
  release: { readonly name: string; readonly version: string },
  options: PublisherOptions,
  edit: (target: TargetFile, now: number) => LogChange,
): Promise<ReleaseChange> {
  return withRepository(dir, options, async (repoDir, repo) => {
    const targets = await releaseTargets(repoDir, repo, release.name, release.version);
    const now = repoDir.now();
    const changes = targets.map((t) => {
      const change = edit(t.target, now);
      repo.touch(t.role);
      return { path: t.target.path, change };
    });
    const published = await repoDir.publish(repo, { changes });
    return { release: `${release.name}@${release.version}`, files: targets.map((t) => t.target.path), published };
  });
}

/**
 * True for a whole number from 0 to 100. Fractions are refused: signed metadata is canonical
 * JSON, which has integers only (the client's cohort test itself would take a fraction).
 */
export function isRolloutPercent(percent: number): boolean {
  return Number.isInteger(percent) && percent >= 0 && percent <= 100;
}

/**
 * Sets the share of clients offered NAME@VERSION (`custom.bulwark.rollout.percent`) and
 * publishes. Raising it only ever adds clients. A whole number: see {@link isRolloutPercent}.
 * @throws {PublisherError} `BAD_PERCENT`, `NO_SUCH_RELEASE`; publish's errors.
 */
export async function rolloutRelease(
  dir: string,
  release: { readonly name: string; readonly version: string; readonly percent: number },
  options: PublisherOptions = {},
): Promise<ReleaseChange & { readonly percent: number }> {
  const { percent } = release;
  if (!isRolloutPercent(percent)) {
    throw new PublisherError(
      PUBLISHER_ERRORS.BAD_PERCENT,
      "--percent must be a whole number from 0 to 100: signed metadata (canonical JSON) has integers only",
    );
  }
  const change = await changeRelease(dir, release, options, (target) => {
    writeRollout(target, percent);
    return { kind: "rollout", percent };
  });
  return { ...change, percent };
}

/**
 * Revokes NAME@VERSION in signed targets metadata (`custom.bulwark.revoked`) and publishes:
 * clients never install it, and clients running it roll back. Revoking again without a
 * reason keeps the reason given before.
 * @throws {PublisherError} `NO_SUCH_RELEASE`; publish's errors.
 */
export async function revokeRelease(
  dir: string,
  release: { readonly name: string; readonly version: string; readonly reason?: string | undefined },
  options: PublisherOptions = {},
): Promise<ReleaseChange & { readonly revoked: { readonly at: string; readonly reason?: string } }> {
  let revoked: { at: string; reason?: string } | undefined;
  const change = await changeRelease(dir, release, options, (target, now) => {
    const reason = release.reason || releaseOf(target)?.revoked?.reason;
    revoked = { at: isoSeconds(now), ...(reason ? { reason } : {}) };
    writeRevocation(target, revoked);
    return { kind: "revoke", ...revoked };
  });
  return { ...change, revoked: revoked as { at: string; reason?: string } };
}
