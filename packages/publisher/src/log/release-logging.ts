/**
 * The publish side of release transparency. When the root being published names a
 * transparency log, every release file of the publish is appended to the vendor's log
 * folder as one batch (one checkpoint), the root's witnesses are asked to cosign it, and
 * each file gets a proof to publish beside it. This runs after the metadata is signed (an
 * entry names the signed targets file that lists the release) and before anything is
 * written to public/: when fewer than k witnesses cosign, the publish fails and clients keep
 * seeing the previous state. The entries stay in the log (a log never takes entries back);
 * the next publish logs the releases again, under a new checkpoint.
 */
import path from "node:path";
import { releaseOf } from "@bulwark/client";
import {
  type CosignatureResult,
  type LogPolicy,
  logPolicyQuorum,
  type ReleaseChange,
  type ReleaseChangeEntry,
  type ReleaseEntry,
  releaseEntryFor,
  type TlogError,
  verifyLogEntryProof,
  type WitnessEndpoint,
} from "@bulwark/tlog";
import type { Repository } from "@bulwark/tuf";
import { PUBLISHER_ERRORS, PublisherError } from "../errors.js";
import type { LogConfig } from "../store/config.js";
import type { Passphrases } from "../store/passphrases.js";
import { type AppendedToLog, appendToLog, LogWitnessError, witnessFailure } from "./log-append.js";
import { LogDir } from "./log-dir.js";

/** What logging the releases of a publish did. */
export interface LoggedReleases {
  readonly origin: string;
  /** The index of the first entry, and the log's size after the batch. */
  readonly firstIndex: bigint;
  readonly size: bigint;
  /** The cosigned checkpoint the proofs are against. */
  readonly checkpoint: string;
  /** The proof text of each logged target path. */
  readonly proofs: ReadonlyMap<string, string>;
  /** The proof text of each logged change (a revocation, a rollout change), by target path. */
  readonly changeProofs: ReadonlyMap<string, string>;
  /** What each witness did. */
  readonly witnesses: readonly CosignatureResult[];
}

/**
 * The release entries of a publish, after signing: each added target whose signed entry
 * is a release file (`custom.bulwark`), with the role that lists it, that role's new
 * version and the SHA-256 of its newly signed bytes. Release indexes and attestation
 * bundles are not releases and are not logged.
 * @throws {PublisherError} `LOG_ENTRY_FAILED` when a role that lists a release was not re-signed.
 */
export function releaseEntries(repo: Repository, added: ReadonlyArray<{ readonly path: string }>): ReleaseEntry[] {
  return added.flatMap(({ path: targetPath }) => {
    const entry = signedEntry(repo, targetPath);
    return entry === undefined ? [] : [entry];
  });
}

/**
 * The release-change entries of a publish, after signing: for each changed release file,
 * its entry with the change (a revocation, a rollout change) and the role that now carries it.
 * @throws {PublisherError} `LOG_ENTRY_FAILED` when a changed file is no signed release.
 */
export function changeEntries(
  repo: Repository,
  changes: ReadonlyArray<{ readonly path: string; readonly change: ReleaseChange }>,
): ReleaseChangeEntry[] {
  return changes.map(({ path: targetPath, change }) => {
    const entry = signedEntry(repo, targetPath);
    if (entry === undefined) {
      throw new PublisherError(PUBLISHER_ERRORS.LOG_ENTRY_FAILED, `${targetPath} is not a signed release file`);
    }
    return { ...entry, change };
  });
}

/** The release entry of a signed release target, or undefined when it is no release file. */
function signedEntry(repo: Repository, targetPath: string): ReleaseEntry | undefined {
  const role = repo.roleForTarget(targetPath);
  const targets = repo.targets(role).signed;
  const target = targets.targets.get(targetPath);
  const release = target === undefined ? undefined : releaseOf(target);
  if (target === undefined || release === undefined) return undefined;
  const sha256 = target.hashes.get("sha256");
  const metadata = repo.publishedBytes(role);
  if (sha256 === undefined || metadata === undefined) {
    throw new PublisherError(
      PUBLISHER_ERRORS.LOG_ENTRY_FAILED,
      `${targetPath}: no sha256, or its role ${role} was not signed`,
    );
  }
  return releaseEntryFor(
    release,
    { path: targetPath, length: target.length, sha256 },
    { role, version: targets.version, metadata },
  );
}

/** Where to ask each witness: bulwark.json's URL for it, else root's, else the log folder's policy. */
async function endpointsOf(
  policy: LogPolicy,
  config: LogConfig,
  dir: LogDir,
): Promise<{ endpoints: WitnessEndpoint[]; unreachable: string[] }> {
  const own = await dir.witnessPolicy();
  const fromFolder = new Map<string, string>();
  for (const c of own?.components.values() ?? []) {
    if (c.kind === "witness" && c.url !== undefined) fromFolder.set(c.verifier.vkey, c.url);
  }
  const endpoints: WitnessEndpoint[] = [];
  const unreachable: string[] = [];
  for (const w of policy.witnesses) {
    const url = config.witnesses.find((c) => c.name === w.name)?.url ?? w.url ?? fromFolder.get(w.verifier.vkey);
    if (url === undefined) unreachable.push(w.name);
    else endpoints.push({ name: w.name, verifier: w.verifier, url });
  }
  return { endpoints, unreachable };
}

/**
 * Opens the log bulwark.json names and checks it is the root's.
 * @throws {PublisherError} `NO_RELEASE_LOG` without a log folder, `LOG_MISMATCH` for another log.
 */
async function openLog(
  repoDir: string,
  config: LogConfig | undefined,
  policy: LogPolicy,
): Promise<{ dir: LogDir; config: LogConfig }> {
  if (config === undefined) {
    throw new PublisherError(
      PUBLISHER_ERRORS.NO_RELEASE_LOG,
      `the root requires every release to be in the log ${policy.origin}, and bulwark.json names no log folder`,
      {
        hint: 'name it with `bulwark log policy set DIR --log-dir LOG ...`, or add "log": {"dir": "LOG"} to bulwark.json',
      },
    );
  }
  const dir = await LogDir.open(path.resolve(repoDir, config.dir));
  if (dir.config.origin !== policy.origin || dir.verifier.vkey !== policy.logVerifier.vkey) {
    throw new PublisherError(
      PUBLISHER_ERRORS.LOG_MISMATCH,
      `the log in ${config.dir} (${dir.config.origin}) is not the one the root names (${policy.origin}, ${policy.logVerifier.vkey})`,
      { hint: "point bulwark.json's log.dir at the root's log, or change the root's with `bulwark log policy set`" },
    );
  }
  return { dir, config };
}

/**
 * Appends `entries` to the repository's log as one batch, has the root's witnesses cosign
 * the checkpoint (holding the log folder's lock), and returns each entry's proof, verified
 * as a client will verify it.
 * @throws {PublisherError} `TLOG_WITNESS_QUORUM` when fewer than k witnesses cosign (the entries
 *   stay logged, nothing is returned to publish); `NO_RELEASE_LOG`, `LOG_MISMATCH`;
 *   the log folder's errors (LOCKED, KEY_UNREADABLE, a log that does not verify).
 */
export async function logReleases(
  repoDir: string,
  config: LogConfig | undefined,
  policy: LogPolicy,
  entries: readonly (ReleaseEntry | ReleaseChangeEntry)[],
  options: { readonly passphrases: Passphrases; readonly signal?: AbortSignal },
): Promise<LoggedReleases> {
  const { dir, config: log } = await openLog(repoDir, config, policy);
  const { endpoints, unreachable } = await endpointsOf(policy, log, dir);
  const quorum = logPolicyQuorum(policy);
  let appended: AppendedToLog;
  try {
    appended = await appendToLog(dir, entries, {
      passphrases: options.passphrases,
      witnesses: endpoints,
      policy: quorum,
      ...(options.signal ? { signal: options.signal } : {}),
    });
  } catch (error) {
    if (!(error instanceof LogWitnessError)) throw error;
    const noUrl = unreachable.length > 0 ? `; no URL for ${unreachable.join(", ")}` : "";
    throw witnessFailure(
      error.cause as TlogError,
      error.witnesses,
      error.size,
      (m) =>
        `fewer than ${policy.threshold} of the root's ${policy.witnesses.length} witnesses cosigned the release log (${m}${noUrl}). Nothing was published: clients still see the previous state. The ${entries.length} entr${entries.length === 1 ? "y stays" : "ies stay"} in the log (size ${error.size}), which never takes entries back`,
      "bring the witnesses back (or give their URLs in bulwark.json's log.witnesses), then `bulwark repo publish` again: the releases are logged again and cosigned",
    );
  }
  const proofs = new Map<string, string>();
  const changeProofs = new Map<string, string>();
  for (const p of appended.proofs) {
    // The proof a client will get, checked as the client checks it.
    const { entry } = verifyLogEntryProof(p.proof, {
      origin: policy.origin,
      logVerifier: policy.logVerifier,
      policy: quorum,
      target: p.entry,
    });
    (entry.kind === "change" ? changeProofs : proofs).set(p.entry.path, p.proof);
  }
  return {
    origin: policy.origin,
    firstIndex: appended.firstIndex,
    size: appended.size,
    checkpoint: appended.checkpoint,
    proofs,
    changeProofs,
    witnesses: appended.witnesses,
  };
}
