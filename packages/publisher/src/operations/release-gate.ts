/**
 * A release gate: a check that every staged release file must pass before a publish signs
 * it (`repo publish --scan` runs the scan as one). The publisher finds each file's bytes and
 * the file of the release before it; the gate decides; the publisher refuses what the gate
 * refused unless the caller gave an override reason, and appends every decision, with its
 * reason, to the repository's gate log `DIR/release-gate.jsonl` before anything is signed.
 */
import { promises as fs } from "node:fs";
import path from "node:path";
import { compareSemver, parseSemver, releaseOf } from "@bulwark/client";
import { hashPrefixedPath, type JsonObject, type Repository, StorageError, type TargetFile } from "@bulwark/tuf";
import { PUBLISHER_ERRORS, PublisherError } from "../errors.js";
import { readIndex } from "../releases.js";
import type { RepoDir } from "../store/repo-dir.js";

/** The gate log's file name, in the repository folder. */
export const RELEASE_GATE_LOG = "release-gate.jsonl";

/** One staged release file, as a gate sees it. */
export interface GatedRelease {
  /** Its target path. */
  readonly target: string;
  readonly name: string;
  readonly version: string;
  readonly platform?: string;
  readonly sha256: string;
  /** Where its bytes are (staged/targets/<sha256>). */
  readonly file: string;
  /**
   * The same product's release file before it, when published: same platform, same file name
   * but for the version in it, the highest lower version.
   */
  readonly previous?: { readonly target: string; readonly version: string; readonly file: string };
}

/** What a gate decided about one release file. */
export interface GateDecision {
  readonly target: string;
  readonly allow: boolean;
  /** Why, as a record for the gate log (a scan's verdict and finding counts, for instance). */
  readonly record: JsonObject;
}

/** A release gate: called once per publish with every staged release file. */
export type ReleaseGate = (releases: readonly GatedRelease[]) => Promise<readonly GateDecision[]>;

/** Options of a gated publish. */
export interface GateOptions {
  readonly gate: ReleaseGate;
  /** Publish what the gate refused anyway; the reason is written to the gate log. */
  readonly override?: string | undefined;
}

/** A release file's name with its version taken out: `app-1.2.0.tar.gz` and `app-1.3.0.tar.gz` are the same file. */
function fileKind(target: string, version: string): string {
  return target.slice(target.lastIndexOf("/") + 1).replaceAll(version, "{version}");
}

/** Where the published bytes of `target` are, by its hash-prefixed name (consistent snapshots) or its plain one. */
async function publishedFile(repoDir: RepoDir, target: TargetFile): Promise<string | undefined> {
  const sha256 = target.hashes.get("sha256") ?? "";
  for (const rel of [hashPrefixedPath(target.path, sha256), target.path]) {
    const file = path.join(repoDir.paths.targets, ...rel.split("/"));
    const stat = await fs.stat(file).catch(() => undefined);
    if (stat?.isFile() && stat.size === target.length) return file;
  }
  return undefined;
}

/** Every staged release file (release index files and attestation bundles are not releases), with its predecessor. */
export async function gatedReleases(repoDir: RepoDir, repo: Repository): Promise<GatedRelease[]> {
  const out: GatedRelease[] = [];
  for (const staged of (await repoDir.stagedState()).added) {
    const target = repo.targets(repo.roleForTarget(staged.path)).signed.targets.get(staged.path);
    const release = target === undefined ? undefined : releaseOf(target);
    const semver = release === undefined ? undefined : parseSemver(release.version);
    if (release === undefined || semver === undefined) continue;
    let previous: GatedRelease["previous"];
    for (const entry of (await readIndex(repoDir, repo, release.name)).releases) {
      const older = parseSemver(entry.version);
      if (older === undefined || compareSemver(older, semver) >= 0) continue;
      if (entry.platform !== release.platform) continue;
      if (fileKind(entry.target, entry.version) !== fileKind(staged.path, release.version)) continue;
      if (previous !== undefined && compareSemver(older, parseSemver(previous.version) ?? older) <= 0) continue;
      const old = repo.targets(repo.roleForTarget(entry.target)).signed.targets.get(entry.target);
      const file = old === undefined ? undefined : await publishedFile(repoDir, old);
      if (file !== undefined) previous = { target: entry.target, version: entry.version, file };
    }
    out.push({
      target: staged.path,
      name: release.name,
      version: release.version,
      ...(release.platform === undefined ? {} : { platform: release.platform }),
      sha256: staged.sha256,
      file: path.join(repoDir.paths.stagedTargets, staged.sha256),
      ...(previous === undefined ? {} : { previous }),
    });
  }
  return out;
}

/** Appends lines to the gate log, synced before the publish goes on. */
async function appendLog(repoDir: RepoDir, lines: readonly JsonObject[]): Promise<void> {
  const file = path.join(repoDir.dir, RELEASE_GATE_LOG);
  try {
    const handle = await fs.open(file, "a", 0o644);
    try {
      await handle.appendFile(lines.map((l) => `${JSON.stringify(l)}\n`).join(""));
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch (cause) {
    throw new StorageError(`cannot write ${file}: ${(cause as Error).message}`, { cause });
  }
}

/**
 * Runs the gate over the staged release files and logs its decisions (not on a dry run).
 * @throws {PublisherError} `RELEASE_GATE_REFUSED` when the gate refused a file and there is no override.
 */
export async function runGate(
  repoDir: RepoDir,
  repo: Repository,
  options: GateOptions,
  dryRun: boolean,
): Promise<readonly GateDecision[]> {
  const releases = await gatedReleases(repoDir, repo);
  const decisions = releases.length === 0 ? [] : await options.gate(releases);
  const refused = decisions.filter((d) => !d.allow);
  const overridden = refused.length > 0 && options.override !== undefined;
  if (!dryRun && decisions.length > 0) {
    const at = new Date(repoDir.now()).toISOString();
    await appendLog(
      repoDir,
      decisions.map((d) => {
        const release = releases.find((r) => r.target === d.target);
        return {
          at,
          target: d.target,
          sha256: release?.sha256 ?? "",
          ...(release?.previous === undefined ? {} : { previous: release.previous.target }),
          decision: d.allow ? "allowed" : overridden ? "overridden" : "refused",
          ...(!d.allow && overridden ? { override: options.override ?? "" } : {}),
          ...d.record,
        };
      }),
    );
  }
  if (refused.length > 0 && !overridden) {
    throw new PublisherError(
      PUBLISHER_ERRORS.RELEASE_GATE_REFUSED,
      `the release gate refused ${refused.map((d) => d.target).join(", ")}: nothing was published`,
      {
        hint: "fix the release and stage it again, or publish anyway with an override reason, which is recorded (--scan-override REASON)",
      },
    );
  }
  return decisions;
}
