/**
 * Adding a release: each file hashed and staged, listed as a target with signed
 * `custom.bulwark`, the product's release index updated. Under a release policy, a file is
 * refused unless k builders attest its bytes from the named source, and the attestations
 * that counted are staged beside it as its bundle. Nothing is signed until a publish.
 */
import path from "node:path";
import { attestationBundlePath, formatAttestationBundle, type ReleasePolicy, type SourceDigest } from "@bulwark/attest";
import {
  ArchiveError,
  formatSourceDigest,
  measureArchive,
  parseSemver,
  type UnpackedSize,
  writeReleaseMetadata,
} from "@bulwark/client";
import { type Repository, TargetFile } from "@bulwark/tuf";
import { PUBLISHER_ERRORS, PublisherError } from "../errors.js";
import type { PublisherOptions } from "../options.js";
import { readIndex, updateIndex } from "../releases.js";
import type { RepoDir, StagedTarget } from "../store/repo-dir.js";
import { checkReleaseName, checkTargetPath } from "../target-path.js";
import {
  type AttestationInput,
  policyForRelease,
  type ReleaseQuorum,
  readAttestationFiles,
  requireReleaseQuorum,
} from "../verified-builds.js";
import { isoSeconds, withRepository } from "./open.js";

/** One file of a release and the target path it is listed under. */
export interface ReleaseFile {
  /** The file to stage (relative to `options.cwd`). */
  readonly file: string;
  /** Its target path; default `NAME/VERSION/<file name>`. */
  readonly target?: string | undefined;
}

/** Options of {@link addRelease}. */
export interface AddReleaseOptions extends PublisherOptions {
  /** The product name. */
  readonly name: string;
  /** Its semantic version. */
  readonly version: string;
  /** Default `stable`. */
  readonly channel?: string | undefined;
  /** The platform the files are for, e.g. `linux-x64`. */
  readonly platform?: string | undefined;
  readonly files: readonly ReleaseFile[];
  /** Builders' attestation files: DSSE envelopes or in-toto JSON Lines bundles. */
  readonly attestations?: readonly string[];
  /** The source the release was built from. */
  readonly source?: SourceDigest | undefined;
  /** Change a published version anyway: other bytes, other files, another channel. */
  readonly force?: boolean | undefined;
}

/** One file that was staged. */
export interface StagedReleaseFile extends StagedTarget {
  /** The targets role that lists it. */
  readonly role: string;
  /** The builders that attested it (under a release policy). */
  readonly attestedBy?: readonly string[];
  /** What the archive unpacks to, signed in `custom.bulwark.unpacked`; absent for a file that is not an archive. */
  readonly unpacked?: UnpackedSize;
  /** Why an archive could not be measured (a client would refuse it too): no size is signed for it. */
  readonly unmeasured?: string;
}

/** What {@link addRelease} staged. */
export interface AddReleaseResult {
  readonly name: string;
  readonly version: string;
  readonly channel: string;
  readonly platform?: string;
  readonly files: readonly StagedReleaseFile[];
  /** The attestation bundles staged (under a release policy; undefined without one). */
  readonly attestations?: readonly string[];
  /** Attestations given that count for none of the files, with why: they are not published. */
  readonly unused: ReadonlyArray<{ readonly label: string; readonly reason?: string }>;
}

/** The release as asked, checked before anything is read or staged. */
function checkRelease(options: AddReleaseOptions) {
  const name = checkReleaseName(options.name);
  const { version } = options;
  if (parseSemver(version) === undefined) {
    throw new PublisherError(
      PUBLISHER_ERRORS.BAD_VERSION,
      `--version ${JSON.stringify(version)} is not a semantic version (MAJOR.MINOR.PATCH[-PRERELEASE][+BUILD])`,
    );
  }
  const channel = options.channel ?? "stable";
  if (!/^[a-z0-9][a-z0-9-]{0,63}$/.test(channel)) {
    throw new PublisherError(
      PUBLISHER_ERRORS.BAD_CHANNEL,
      `--channel ${JSON.stringify(channel)} must be lowercase letters, digits and "-"`,
    );
  }
  const { platform } = options;
  if (platform !== undefined && !/^[a-z0-9][a-z0-9_-]{0,63}$/.test(platform)) {
    throw new PublisherError(
      PUBLISHER_ERRORS.BAD_PLATFORM,
      `--platform ${JSON.stringify(platform)} must be lowercase letters, digits, "_" and "-"`,
    );
  }
  const targetPaths = options.files.map((f) =>
    checkTargetPath(f.target ?? `${name}/${version}/${path.basename(f.file)}`),
  );
  if (new Set(targetPaths).size !== targetPaths.length) {
    throw new PublisherError(PUBLISHER_ERRORS.BAD_TARGET_PATH, "two files map to the same target path");
  }
  return { name, version, channel, platform, targetPaths };
}

/** Refuses what the release policy would make meaningless or impossible. */
function checkPolicy(
  policy: ReleasePolicy | undefined,
  name: string,
  attestations: readonly AttestationInput[],
  source: SourceDigest | undefined,
): void {
  if (policy === undefined && attestations.length > 0) {
    throw new PublisherError(
      PUBLISHER_ERRORS.NO_RELEASE_POLICY,
      `the root has no release policy for ${name}: nothing would check these attestations`,
      {
        hint: `set one with \`bulwark policy set DIR --product ${name} --builder ID=KEY.pub.json ... --threshold K\``,
      },
    );
  }
  if (policy?.require.sourceDigest && source === undefined) {
    throw new PublisherError(
      PUBLISHER_ERRORS.SOURCE_DIGEST_REQUIRED,
      `the release policy for ${name} requires --source-digest: the commit the builders built from`,
      { hint: "e.g. --source-digest sha1:$(git rev-parse HEAD)" },
    );
  }
}

/** The index entries of NAME@VERSION that are published (not only staged). */
async function publishedEntries(repoDir: RepoDir, repo: Repository, name: string, version: string) {
  const staged = new Set((await repoDir.stagedState()).added.map((t) => t.path));
  const index = await readIndex(repoDir, repo, name);
  return index.releases.filter((e) => e.version === version && !staged.has(e.target));
}

/** Refuses to change a published version by surprise: its channel, or the bytes of one of its files. */
function refuseRepublish(
  published: ReadonlyArray<{ readonly target: string; readonly channel: string }>,
  release: { name: string; version: string; channel: string },
  file?: { targetPath: string; sha256: string; published: string | undefined },
): void {
  if (published.length === 0) return;
  const what = `${release.name}@${release.version}`;
  const other = published.find((e) => e.channel !== release.channel);
  let differs: string | undefined;
  if (file === undefined && other !== undefined) {
    differs = `it is published on channel ${other.channel}, not ${release.channel}`;
  } else if (file !== undefined && !published.some((e) => e.target === file.targetPath)) {
    differs = `${file.targetPath} is not one of its published files (${published.map((e) => e.target).join(", ")})`;
  } else if (file !== undefined && file.published !== file.sha256) {
    differs = `${file.targetPath} was published with sha256 ${file.published ?? "?"}, this file has ${file.sha256}`;
  }
  if (differs === undefined) return;
  throw new PublisherError(PUBLISHER_ERRORS.ALREADY_RELEASED, `${what} is already published: ${differs}`, {
    hint: "release a new version instead, or pass --force to change the published one",
  });
}

/**
 * Checks one release file against the release policy and stages its attestation bundle
 * (the envelopes that counted) as a target beside it.
 */
async function attestRelease(
  repoDir: RepoDir,
  repo: Repository,
  check: { policy: ReleasePolicy; source: SourceDigest | undefined; version: string },
  targetPath: string,
  sha256: string,
  attestations: readonly AttestationInput[],
): Promise<{ bundle: StagedTarget; quorum: ReleaseQuorum }> {
  // The attestations must bind the release (its file name and version), not only its bytes:
  // an old attested build relabelled as a new version is refused here as by every client.
  const artifact = { name: path.posix.basename(targetPath), sha256, version: check.version };
  const quorum = requireReleaseQuorum(check.policy, artifact, check.source, attestations);
  const bundlePath = checkTargetPath(attestationBundlePath(targetPath));
  const bundle = await repoDir.stageBytes(formatAttestationBundle(quorum.counted.map((a) => a.bytes)));
  repo.addTarget(
    new TargetFile(bundlePath, bundle.length, new Map([["sha256", bundle.sha256]])),
    repo.roleForTarget(bundlePath),
  );
  return { bundle: { path: bundlePath, ...bundle }, quorum };
}

/**
 * What the staged archive `file` unpacks to, walked with the client's own readers (nothing
 * is written): an endpoint's extraction stops at these numbers. An archive the client would
 * refuse is not measured, and the reason is returned instead.
 */
async function unpackedSize(file: string): Promise<{ unpacked?: UnpackedSize; unmeasured?: string }> {
  try {
    const measured = await measureArchive(file);
    return measured === undefined ? {} : { unpacked: { bytes: measured.bytes, entries: measured.entries } };
  } catch (error) {
    if (!(error instanceof ArchiveError)) throw error;
    return { unmeasured: error.message };
  }
}

/**
 * Stages the files of NAME@VERSION as release targets (signed at the next publish): each
 * is hashed and copied into `staged/`, listed with `custom.bulwark` {name, version,
 * channel, released, platform, source, attestations, unpacked}, and added to `NAME/index.json`.
 * An archive (tar, tar.gz, zip) is measured: its unpacked bytes and entries are signed, and
 * clients stop unpacking there.
 * A path already released with other bytes is refused; so is a published version re-added
 * with other or new files or on another channel, unless `force`.
 * @throws {PublisherError} `BAD_NAME`, `BAD_VERSION`, `BAD_CHANNEL`, `BAD_PLATFORM`,
 *   `BAD_TARGET_PATH`, `NO_RELEASE_POLICY`, `SOURCE_DIGEST_REQUIRED`, `ALREADY_RELEASED`,
 *   `NOT_A_FILE`, `READ_FAILED`; {@link QuorumError} `ATTEST_NO_QUORUM` when fewer than k
 *   builders attest a file; {@link AttestError} for malformed or oversized attestations.
 */
export async function addRelease(dir: string, options: AddReleaseOptions): Promise<AddReleaseResult> {
  const release = checkRelease(options);
  const cwd = options.cwd ?? process.cwd();
  const attestations = await readAttestationFiles(options.attestations ?? [], cwd);
  const { name, version, channel, platform } = release;
  return withRepository(dir, options, async (repoDir, repo) => {
    const policy = policyForRelease(repo, name);
    checkPolicy(policy, name, attestations, options.source);
    const released = isoSeconds(repoDir.now());
    const published = options.force ? [] : await publishedEntries(repoDir, repo, name, version);
    refuseRepublish(published, { name, version, channel });
    const files: StagedReleaseFile[] = [];
    const bundles: StagedTarget[] = [];
    const counted = new Set<string>();
    const unusedBecause = new Map<string, string>();
    const onPlatform = platform ? { platform } : {};
    // A refusal or an interrupt part-way leaves nothing staged behind.
    const newlyStaged: string[] = [];
    try {
      for (const [i, { file }] of options.files.entries()) {
        const targetPath = release.targetPaths[i] as string;
        const { length, sha256, created } = await repoDir.stageFile(path.resolve(cwd, file));
        if (created) newlyStaged.push(sha256);
        const role = repo.roleForTarget(targetPath);
        const existing = repo.targets(role).signed.targets.get(targetPath);
        const asked = { targetPath, sha256, published: existing?.hashes.get("sha256") };
        refuseRepublish(published, { name, version, channel }, asked);
        if (!options.force && existing !== undefined && existing.hashes.get("sha256") !== sha256) {
          throw new PublisherError(
            PUBLISHER_ERRORS.ALREADY_RELEASED,
            `${targetPath} is already released with other bytes`,
            {
              hint: "release a new version instead of replacing one",
            },
          );
        }
        // The quorum is checked before the file is listed: a refused file is never listed.
        const attested =
          policy === undefined
            ? undefined
            : await attestRelease(
                repoDir,
                repo,
                { policy, source: options.source, version },
                targetPath,
                sha256,
                attestations,
              );
        // The staged copy is measured: the bytes that are listed, not a file that may change meanwhile.
        const size = await unpackedSize(path.join(repoDir.paths.stagedTargets, sha256));
        const target = new TargetFile(targetPath, length, new Map([["sha256", sha256]]));
        writeReleaseMetadata(target, {
          name,
          version,
          channel,
          released,
          platform,
          source: options.source === undefined ? undefined : formatSourceDigest(options.source),
          attestations: attested === undefined ? undefined : [attested.bundle.path],
          unpacked: size.unpacked,
        });
        repo.addTarget(target, role);
        files.push({
          path: targetPath,
          sha256,
          length,
          role,
          ...(attested === undefined ? {} : { attestedBy: attested.quorum.result.agreeing }),
          ...size,
        });
        if (attested !== undefined) {
          bundles.push(attested.bundle);
          for (const a of attested.quorum.counted) counted.add(a.label);
          for (const u of attested.quorum.unused) unusedBecause.set(u.label, u.reason);
        }
      }
      const index = await updateIndex(
        repoDir,
        repo,
        name,
        files.map((t) => ({ version, channel, target: t.path, ...onPlatform })),
      );
      const added = files.map(({ path, sha256, length }) => ({ path, sha256, length }));
      await repoDir.stage(repo, [...added, ...bundles, index]);
    } catch (error) {
      await repoDir.dropUnlisted(newlyStaged);
      throw error;
    }
    const unused = attestations
      .filter((a) => !counted.has(a.label))
      .map((a) => {
        const reason = unusedBecause.get(a.label);
        return { label: a.label, ...(reason === undefined ? {} : { reason }) };
      });
    return {
      name,
      version,
      channel,
      ...onPlatform,
      files,
      ...(policy === undefined ? {} : { attestations: bundles.map((b) => b.path) }),
      unused,
    };
  });
}
