/**
 * Releases as a vendor publishes them, for tests of the update client without the CLI: a
 * release file is a TUF target whose signed `custom.bulwark` says what it is, listed in the
 * product's release index, which is written with the client's own format functions.
 * Imported as `@bulwark/testkit/releases`, so tests of the lower packages never load the client.
 */
import { formatReleaseIndex, type IndexEntry, indexPath, parseReleaseIndex } from "@bulwark/client";
import type { JsonObject, Repository, TargetFile } from "@bulwark/tuf";

/** A release to publish: its file and what its signed `custom.bulwark` says. */
export interface TestRelease {
  readonly name: string;
  readonly version: string;
  /** `stable` when absent. */
  readonly channel?: string;
  readonly platform?: string;
  /** Percentage of clients offered the release (staged rollout); absent means everyone. */
  readonly rollout?: number;
  /** The vendor's kill switch. */
  readonly revoked?: { readonly at?: string; readonly reason?: string };
  /** Target paths of the release's attestation bundles (verified builds). */
  readonly attestations?: readonly string[];
  /** The source digest it was built from, `sha1:<hex>` or `sha256:<hex>`. */
  readonly source?: string;
  /** The release file's bytes. */
  readonly data: Uint8Array;
  /** The target path; {@link releaseTargetPath} when absent. */
  readonly path?: string;
}

/** The default target path of a release file: `NAME/NAME-VERSION[-PLATFORM].bin`. */
export function releaseTargetPath(release: Pick<TestRelease, "name" | "version" | "platform">): string {
  const platform = release.platform === undefined ? "" : `-${release.platform}`;
  return `${release.name}/${release.name}-${release.version}${platform}.bin`;
}

/** The `custom` object of a release target: `{ bulwark: { name, version, channel, … } }`. */
export function releaseCustom(release: Omit<TestRelease, "data" | "path">): JsonObject {
  return {
    bulwark: {
      name: release.name,
      version: release.version,
      channel: release.channel ?? "stable",
      ...(release.platform === undefined ? {} : { platform: release.platform }),
      ...(release.rollout === undefined ? {} : { rollout: { percent: release.rollout } }),
      ...(release.revoked === undefined ? {} : { revoked: { ...release.revoked } }),
      ...(release.attestations === undefined ? {} : { attestations: [...release.attestations] }),
      ...(release.source === undefined ? {} : { source: release.source }),
    },
  };
}

/**
 * Replaces `entries` (matched by target path) in the release index of `name` and lists the
 * new index as a target. The caller publishes.
 */
export function writeReleaseIndex(repo: Repository, name: string, entries: readonly IndexEntry[]): TargetFile {
  const p = indexPath(name);
  const old = repo.targetData(p);
  const byTarget = new Map((old === undefined ? [] : parseReleaseIndex(old, name).releases).map((e) => [e.target, e]));
  for (const e of entries) byTarget.set(e.target, e);
  return repo.addTarget({ path: p, data: formatReleaseIndex({ name, releases: [...byTarget.values()] }) });
}

/**
 * Lists a release: its file as a target carrying `custom.bulwark`, and an entry in the
 * product's release index. The caller publishes (and syncs its simulator).
 */
export function addRelease(repo: Repository, release: TestRelease): TargetFile {
  const { data, path: given, ...meta } = release;
  const p = given ?? releaseTargetPath(release);
  const target = repo.addTarget({ path: p, data, custom: releaseCustom(meta) });
  writeReleaseIndex(repo, release.name, [
    {
      version: release.version,
      channel: release.channel ?? "stable",
      target: p,
      ...(release.platform === undefined ? {} : { platform: release.platform }),
    },
  ]);
  return target;
}

/**
 * Changes the signed `custom.bulwark` of a listed release target (rollout, revocation),
 * as `bulwark release rollout` and `release revoke` do. The caller publishes.
 * @throws {Error} when no targets role lists `targetPath`.
 */
export function editRelease(repo: Repository, targetPath: string, edit: (bulwark: JsonObject) => JsonObject): void {
  const role = repo.roleForTarget(targetPath);
  const target = repo.targets(role).signed.targets.get(targetPath);
  if (target === undefined) throw new Error(`${targetPath} is not a listed target`);
  const custom = target.custom ?? {};
  target.custom = { ...custom, bulwark: edit({ ...(custom.bulwark as JsonObject) }) };
  repo.touch(role);
}
