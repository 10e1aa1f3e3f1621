/**
 * The attacker of the verified-builds scenes: someone who stole the repository's online
 * keys (targets, snapshot, timestamp) and lists a release directly in signed targets
 * metadata, bypassing every check `bulwark release add` makes. Used by the quickstart and
 * by the tests to show that clients still refuse what the builders did not attest.
 */
import { attestationBundlePath } from "@bulwark/client";
import type { RepoDir, StagedTarget } from "@bulwark/publisher";
import { updateIndex } from "@bulwark/publisher";
import { type JsonObject, TargetFile } from "@bulwark/tuf";

/** A release as the attacker lists it. */
export interface DirectListing {
  readonly name: string;
  readonly version: string;
  readonly fileName: string;
  readonly bytes: Buffer;
  /** The attestation bundle published beside it, if any (bytes as given: nothing is checked). */
  readonly bundle?: Buffer;
  /** `custom.bulwark` fields added or replaced (e.g. `source`, or a forged `attestations` list). */
  readonly custom?: JsonObject;
  readonly channel?: string;
}

/**
 * Lists `listing` as a signed release of `repoDir` and publishes it, signing with the
 * keys the repository holds: no policy, quorum or format check runs, and nothing is
 * appended to a transparency log.
 */
export async function listWithStolenKeys(repoDir: RepoDir, listing: DirectListing): Promise<void> {
  await repoDir.locked(async () => {
    const repo = await repoDir.load();
    const channel = listing.channel ?? "stable";
    const targetPath = `${listing.name}/${listing.version}/${listing.fileName}`;
    const added: StagedTarget[] = [];
    const file = await repoDir.stageBytes(listing.bytes);
    const custom: JsonObject = { name: listing.name, version: listing.version, channel };
    if (listing.bundle !== undefined) {
      const bundlePath = attestationBundlePath(targetPath);
      const bundle = await repoDir.stageBytes(listing.bundle);
      repo.addTarget(
        new TargetFile(bundlePath, bundle.length, new Map([["sha256", bundle.sha256]])),
        repo.roleForTarget(bundlePath),
      );
      added.push({ path: bundlePath, ...bundle });
      custom.attestations = [bundlePath];
    }
    const target = new TargetFile(targetPath, file.length, new Map([["sha256", file.sha256]]));
    target.custom = { bulwark: { ...custom, ...listing.custom } };
    repo.addTarget(target, repo.roleForTarget(targetPath));
    added.push({ path: targetPath, ...file });
    added.push(
      await updateIndex(repoDir, repo, listing.name, [{ version: listing.version, channel, target: targetPath }]),
    );
    await repoDir.stage(repo, added);
    // Signed with the stolen keys, and never logged: the log key and witnesses are not theirs.
    await repoDir.publish(repo, { unlogged: true });
  });
}
