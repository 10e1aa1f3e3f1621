/**
 * 5.7 over a whole repository: the target files a client can find through each role, and
 * each file read in full and checked against its signed length and hashes.
 */
import { BulwarkError, DownloadLengthMismatchError } from "../errors.js";
import { type DelegatedRole, SuccinctRoles } from "../models/delegations.js";
import { HashVerifier } from "../models/hashes.js";
import type { TargetFile } from "../models/target-file.js";
import type { Targets } from "../models/targets.js";
import { DEFAULT_UPDATER_CONFIG } from "../updater/config.js";
import type { RepositorySource } from "./source.js";
import type { InspectionProblem, InspectionProgress } from "./types.js";

/** Target files read at the same time. */
export const TARGET_CONCURRENCY = 8;

/** A target file to check, with the role that lists it. */
export interface TargetToCheck {
  readonly file: TargetFile;
  readonly role: string;
}

/**
 * Adds to `into` the targets of `role` that a client can find through it (inside the
 * paths or the bin delegated to it); returns the paths of the others.
 */
export function collectTargets(
  role: string,
  signed: Targets,
  entry: DelegatedRole | SuccinctRoles | undefined,
  into: Map<string, TargetToCheck>,
): string[] {
  const outside: string[] = [];
  for (const [targetPath, file] of signed.targets) {
    const inside =
      entry === undefined ||
      (entry instanceof SuccinctRoles ? entry.roleForTarget(targetPath) === role : entry.isDelegatedPath(targetPath));
    if (!inside) {
      outside.push(targetPath);
      continue;
    }
    const key = `${targetPath}\0${[...file.hashes.values()].join(",")}`;
    if (!into.has(key)) into.set(key, { file, role });
  }
  return outside;
}

/** 5.7: every target file, streamed, its length and hashes as signed. Returns the problems found. */
export async function checkTargetFiles(
  source: RepositorySource,
  list: readonly TargetToCheck[],
  options: {
    readonly consistent: boolean;
    readonly progress: (label: string, total: number) => InspectionProgress;
    readonly signal?: AbortSignal;
  },
): Promise<InspectionProblem[]> {
  const progress = options.progress(
    "checking targets",
    list.reduce((n, t) => n + t.file.length, 0),
  );
  const results: Array<InspectionProblem | undefined> = [];
  let next = 0;
  const worker = async () => {
    while (next < list.length) {
      const i = next++;
      results[i] = await checkTarget(source, list[i] as TargetToCheck, options, progress);
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(TARGET_CONCURRENCY, list.length) }, worker));
  } finally {
    progress.finish();
  }
  return results.filter((r): r is InspectionProblem => r !== undefined);
}

async function checkTarget(
  source: RepositorySource,
  t: TargetToCheck,
  options: { readonly consistent: boolean; readonly signal?: AbortSignal },
  progress: InspectionProgress,
): Promise<InspectionProblem | undefined> {
  const { file, role } = t;
  const what = `target ${JSON.stringify(file.path)}`;
  const problem = (code: string, message: string): InspectionProblem => ({ role, target: file.path, code, message });
  const mismatch = (message: string) => problem("TUF_LENGTH_OR_HASH_MISMATCH", message);
  try {
    let remote = file.path;
    if (options.consistent && DEFAULT_UPDATER_CONFIG.prefixTargetsWithHash) {
      // 5.7.3: consistent snapshots store targets as <dir>/<hash>.<name>.
      const slash = remote.lastIndexOf("/");
      remote = `${remote.slice(0, slash + 1)}${file.hashes.values().next().value as string}.${remote.slice(slash + 1)}`;
    }
    const segments = remote.split("/");
    if (segments.some((s) => s === "" || s === "." || s === "..")) {
      return problem("TUF_UNSAFE_NAME", `${what} has an empty, "." or ".." segment`);
    }
    const verifier = new HashVerifier(file.hashes, what);
    let received = 0;
    for await (const chunk of source.fetcher.fetch(source.targetUrl(segments), {
      maxLength: file.length,
      ...(options.signal ? { signal: options.signal } : {}),
    })) {
      received += chunk.length;
      progress.tick(chunk.length);
      if (received > file.length) return mismatch(`${what} is longer than the signed ${file.length} bytes`);
      verifier.update(chunk);
    }
    if (received !== file.length)
      return mismatch(`${what} is ${received} bytes, the signed metadata says ${file.length}`);
    verifier.verify();
    return undefined;
  } catch (error) {
    if (error instanceof DownloadLengthMismatchError)
      return mismatch(`${what} is longer than the signed ${file.length} bytes`);
    // Anything but a Bulwark error is a bug here, not a problem of the repository.
    if (!(error instanceof BulwarkError)) throw error;
    return {
      ...problem(error.code === "DOWNLOAD_NOT_FOUND" ? "TARGET_MISSING" : error.code, error.message),
      cause: error,
    };
  }
}
