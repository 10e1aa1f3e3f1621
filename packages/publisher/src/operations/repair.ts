/**
 * `bulwark repo repair`: after a disk fault, a bad copy or a hand edit, makes a repository
 * usable again from what can still be verified. The published tree is verified as a client
 * would (store/last-good.ts); when its current state is corrupt, the last good one becomes
 * the base of the next publish, numbered past every version on disk. The working state
 * (staged/) is checked file by file: a working copy that does not parse is discarded, and
 * state.json is rebuilt from the working copies and the staged release files when it does
 * not parse. Nothing is published: `bulwark repo publish` does that next.
 */
import { promises as fs } from "node:fs";
import path from "node:path";
import { encodeName, type Metadata, readFileIfExists, type Targets, writeFileAtomic } from "@bulwark/tuf";
import { PUBLISHER_ERRORS, PublisherError } from "../errors.js";
import type { PublisherOptions } from "../options.js";
import { rebuildConfig } from "../store/config-rebuild.js";
import { findLastGood, type LastGood, type RepairAction } from "../store/last-good.js";
import { problemOf } from "../store/published.js";
import { RepoDir, type StagedState, type StagedTarget } from "../store/repo-dir.js";
import { removeStrays } from "../store/strays.js";

export type { RepairAction } from "../store/last-good.js";

/** Options of {@link repairRepository}. */
export interface RepairOptions extends PublisherOptions {
  /** Report what would be done; change nothing. */
  readonly dryRun?: boolean;
}

/** What {@link repairRepository} found and did. */
export interface RepairResult {
  readonly dryRun: boolean;
  /** Every problem found, with what was (or would be) done about it. */
  readonly actions: readonly RepairAction[];
  /** Set when the current published state is corrupt: the snapshot version the next publish builds on. */
  readonly rebuiltFrom?: { readonly snapshot: number };
  /** True when something is staged for the next publish (a rebuilt base, or changes kept). */
  readonly publishNeeded: boolean;
}

/**
 * Verifies the published tree and the working state of the repository in `dir` and
 * rebuilds what is corrupt from the last good published metadata.
 * @throws {PublisherError} `UNREPAIRABLE` (a root version with no good copy, no good
 *   snapshot), `NOT_A_REPOSITORY`, `BAD_CONFIG`, `LOCKED`, `NOT_PUBLISHED`.
 */
export async function repairRepository(dir: string, options: RepairOptions = {}): Promise<RepairResult> {
  const dryRun = options.dryRun === true;
  const abs = path.resolve(options.cwd ?? process.cwd(), dir);
  const configBytes = await readFileIfExists(path.join(abs, "bulwark.json"));
  // A bulwark.json that is not JSON at all is rebuilt; one with a wrong field is the user's to fix.
  const rebuilt = configBytes !== undefined && !isJson(configBytes) ? await rebuildConfig(abs) : undefined;
  const repoDir = rebuilt ? RepoDir.create(abs, rebuilt.config, options) : await RepoDir.open(dir, options);
  return repoDir.locked(async () => {
    const { paths } = repoDir;
    const actions: RepairAction[] = [];
    if (rebuilt !== undefined) {
      actions.push({
        file: "bulwark.json",
        problem: "not valid JSON",
        action: `rebuilt from the published root and the key files in keys/ (${rebuilt.config.keys.length} key(s)); check it: ${rebuilt.notRecovered.join("; ")}`,
      });
      if (!dryRun) await repoDir.saveConfig(rebuilt.config);
    }
    if (!dryRun) {
      for (const file of await removeStrays(repoDir.dir, [repoDir.dir, paths.keys, paths.public, paths.staged])) {
        actions.push({ file, problem: "a temporary file left by an interrupted command", action: "removed" });
      }
    }
    const lastGood = await findLastGood(paths.metadata, { dryRun, now: repoDir.now() }, actions);
    const kept = await workingCopies(repoDir, dryRun, actions);
    const state = await workingState(repoDir, kept, actions);
    if (lastGood.base !== undefined) {
      state.base = lastGood.base;
      if (!state.resign.includes("snapshot")) state.resign.push("snapshot");
      await restage(repoDir, lastGood, kept, dryRun);
    }
    if (!dryRun && (actions.length > 0 || lastGood.base !== undefined)) {
      if (state.added.length > 0 || state.resign.length > 0 || state.base !== undefined) await repoDir.saveState(state);
      else await fs.rm(paths.state, { force: true });
    }
    return {
      dryRun,
      actions,
      ...(lastGood.base === undefined ? {} : { rebuiltFrom: { snapshot: lastGood.snapshot } }),
      publishNeeded: lastGood.base !== undefined || state.added.length > 0 || kept.size > 0,
    };
  });
}

function isJson(bytes: Uint8Array): boolean {
  try {
    JSON.parse(Buffer.from(bytes).toString("utf8"));
    return true;
  } catch {
    return false;
  }
}

/**
 * The working copies in staged/metadata/ that parse (file name to model); the others are
 * discarded (removed unless `dryRun`).
 */
async function workingCopies(
  repoDir: RepoDir,
  dryRun: boolean,
  actions: RepairAction[],
): Promise<Map<string, Metadata>> {
  const kept = new Map<string, Metadata>();
  const files = await fs.readdir(repoDir.paths.stagedMetadata).catch(() => [] as string[]);
  for (const file of files.filter((f) => f.endsWith(".json")).sort()) {
    try {
      kept.set(file, await repoDir.stagedRole(file));
    } catch (error) {
      if (!(error instanceof PublisherError) || error.code !== PUBLISHER_ERRORS.CORRUPT_FILE) throw error;
      const what =
        file === "root.json" ? "the staged root change" : `the staged changes to ${decodeURIComponent(file)}`;
      actions.push({
        file: `staged/metadata/${file}`,
        problem: problemOf(error.cause ?? error),
        action: `discarded: ${what} must be made again`,
      });
      if (!dryRun) await fs.rm(path.join(repoDir.paths.stagedMetadata, file), { force: true });
    }
  }
  return kept;
}

/**
 * The working state, checked against the working copies kept: each staged release file
 * must be listed by one of them with its bytes in staged/targets/. Rebuilt from the working
 * copies and staged files when state.json does not parse.
 */
async function workingState(
  repoDir: RepoDir,
  kept: ReadonlyMap<string, Metadata>,
  actions: RepairAction[],
): Promise<StagedState> {
  const listed = new Map<string, StagedTarget>();
  for (const md of kept.values()) {
    if (md.signed.type !== "targets") continue;
    for (const [targetPath, t] of (md as Metadata<Targets>).signed.targets) {
      const sha256 = t.hashes.get("sha256");
      if (sha256 !== undefined) listed.set(targetPath, { path: targetPath, sha256, length: t.length });
    }
  }
  const blobOk = async (t: StagedTarget) =>
    (await fs.stat(path.join(repoDir.paths.stagedTargets, t.sha256)).catch(() => undefined))?.size === t.length;
  let state: StagedState;
  try {
    state = await repoDir.stagedState();
  } catch (error) {
    if (!(error instanceof PublisherError) || error.code !== PUBLISHER_ERRORS.CORRUPT_FILE) throw error;
    const added: StagedTarget[] = [];
    for (const t of listed.values()) if (await blobOk(t)) added.push(t);
    actions.push({
      file: "staged/state.json",
      problem: problemOf(error.cause ?? error),
      action: `rebuilt from the staged metadata and release files: ${added.length} release file(s) staged`,
    });
    return { added, resign: [] };
  }
  const added: StagedTarget[] = [];
  for (const t of state.added) {
    const l = listed.get(t.path);
    if (l !== undefined && l.sha256 === t.sha256 && (await blobOk(t))) {
      added.push(t);
      continue;
    }
    actions.push({
      file: "staged/state.json",
      problem: `${t.path} is staged, but ${l === undefined || l.sha256 !== t.sha256 ? "no staged metadata lists it" : "its staged file is missing or changed"}`,
      action: "unstaged: add that release again",
    });
  }
  return { ...state, added };
}

/** Stages the last good version of each role to re-sign, unless a working copy of it is kept. */
async function restage(
  repoDir: RepoDir,
  lastGood: LastGood,
  kept: ReadonlyMap<string, Metadata>,
  dryRun: boolean,
): Promise<void> {
  if (dryRun) return;
  await fs.mkdir(repoDir.paths.stagedMetadata, { recursive: true });
  for (const [role, bytes] of lastGood.restage) {
    const file = `${encodeName(role)}.json`;
    if (kept.has(file)) continue;
    await writeFileAtomic(path.join(repoDir.paths.stagedMetadata, file), bytes);
  }
}
