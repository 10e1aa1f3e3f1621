/**
 * Releases in a transparency log: the vendor appends one entry per released artifact,
 * collects witness cosignatures on the new checkpoint, and publishes a proof beside each
 * artifact; a client verifies the proof offline before it installs anything.
 *
 * A release proof is a c2sp.org/tlog-proof@v1 whose `extra` data is the release entry
 * (release-entry.ts): one self-contained text file. `extra` is not authenticated by the
 * proof format itself, but here it is the very entry whose inclusion the proof checks, so
 * a proof that verifies authenticates its entry.
 */
import { parseCheckpoint, type VerifiedCheckpoint } from "./checkpoint.js";
import { TLOG_ERRORS, TlogError } from "./errors.js";
import {
  type CollectedCosignatures,
  type CosignatureResult,
  collectCosignatures,
  type WitnessClientOptions,
  type WitnessEndpoint,
} from "./external/witness-client.js";
import type { LogWriter } from "./log-writer.js";
import { verifyInclusion } from "./merkle-proof.js";
import { entryBytes, type LogEntry, parseLogEntry } from "./release-change-entry.js";
import { assertEntryDescribes, parseReleaseEntry, type ReleaseEntry, type TargetDescription } from "./release-entry.js";
import { hashLeaf } from "./rfc6962.js";
import { TiledTree } from "./tiled-tree.js";
import { marshalTlogProof, parseTlogProof, type VerifyTlogProofOptions, verifyTlogProof } from "./tlog-proof.js";
import { isSatisfied, type PolicyComponent } from "./witness-policy.js";

/** What is appended to a release file's path (or URL) for its proof: `<artifact>.tlog-proof`. */
export const LOG_PROOF_SUFFIX = ".tlog-proof";

/** Where a release file's proof is published: beside it, as `<path>.tlog-proof`. */
export function releaseProofPath(artifactPath: string): string {
  return `${artifactPath}${LOG_PROOF_SUFFIX}`;
}

/** The proof of one logged release, to publish beside its artifact. */
export interface ReleaseProof {
  readonly entry: ReleaseEntry;
  /** The entry's index in the log. */
  readonly index: bigint;
  /** The tlog-proof text, the entry in its `extra` data. */
  readonly proof: string;
}

/** Which witnesses to ask for cosignatures, and how many must answer. */
export interface WitnessingOptions extends WitnessClientOptions {
  /** The witnesses to ask (their submission URLs and keys). */
  readonly witnesses?: readonly WitnessEndpoint[];
  /**
   * The policy the cosignatures must satisfy. When it is not met, the entries stay in the
   * log (a log never takes entries back) but no proofs are returned: TLOG_WITNESS_QUORUM.
   */
  readonly policy?: PolicyComponent;
}

/** What {@link appendReleases} did. */
export interface AppendReleasesResult {
  readonly firstIndex: bigint;
  readonly size: bigint;
  /** The checkpoint as published: signed by the log and cosigned by the witnesses that answered. */
  readonly checkpoint: string;
  readonly proofs: readonly ReleaseProof[];
  /** What each witness did (empty when none was asked). */
  readonly witnesses: readonly CosignatureResult[];
}

/**
 * Collects cosignatures on the writer's latest checkpoint and publishes the cosigned
 * checkpoint. `oldSize` is the size the witnesses are believed to have cosigned last.
 * @throws {WitnessQuorumError} TLOG_WITNESS_QUORUM when `policy` is not satisfied.
 */
export async function cosignLatest(
  writer: LogWriter,
  oldSize: bigint,
  options: WitnessingOptions = {},
): Promise<CollectedCosignatures> {
  const checkpoint = writer.checkpoint;
  const witnesses = options.witnesses ?? [];
  if (witnesses.length === 0) {
    const satisfied = options.policy === undefined || isSatisfied(options.policy, []);
    const collected = { note: checkpoint, results: [], satisfied };
    if (!collected.satisfied) throw quorumError(collected.results);
    return collected;
  }
  const size = parseCheckpoint(checkpoint.slice(0, checkpoint.lastIndexOf("\n\n") + 1)).size;
  const tree = new TiledTree(writer.store, size);
  const collected = await collectCosignatures(checkpoint, witnesses, {
    ...options,
    oldSize: oldSize > size ? size : oldSize,
    size,
    proofFor: (from) => tree.consistencyProof(from),
  });
  if (collected.note !== checkpoint) await writer.publishCosigned(collected.note);
  if (!collected.satisfied) throw quorumError(collected.results);
  return collected;
}

/** TLOG_WITNESS_QUORUM from {@link cosignLatest}, with what each witness did. */
export class WitnessQuorumError extends TlogError {
  constructor(
    message: string,
    /** What each witness did: the errors say why (an incident, unavailable tiles, an outage). */
    readonly results: readonly CosignatureResult[],
  ) {
    super(TLOG_ERRORS.WITNESS_QUORUM, message);
  }
}

function quorumError(results: readonly CosignatureResult[]): WitnessQuorumError {
  const failures = results.filter((r) => r.error).map((r) => `${r.witness}: ${r.error?.message}`);
  return new WitnessQuorumError(
    `the witness policy is not satisfied${failures.length > 0 ? ` (${failures.join("; ")})` : ""}`,
    results,
  );
}

/**
 * Appends release entries as one batch (one checkpoint), has the witnesses cosign the new
 * checkpoint, and returns a proof per entry, each verified before it is returned.
 * @throws {UsageError} for an invalid entry (nothing is appended).
 * @throws {TlogError} TLOG_WITNESS_QUORUM when `policy` is not met (the entries stay logged:
 *   call {@link cosignLatest} and {@link releaseProofs} again once the witnesses are back).
 */
export async function appendReleases(
  writer: LogWriter,
  entries: readonly ReleaseEntry[],
  options: WitnessingOptions = {},
): Promise<AppendReleasesResult> {
  const bytes = entries.map(entryBytes);
  const appended = await writer.append(bytes);
  const collected = await cosignLatest(writer, appended.firstIndex, options);
  const proofs = await releaseProofs(writer, collected.note, appended.firstIndex, entries);
  return {
    firstIndex: appended.firstIndex,
    size: appended.size,
    checkpoint: collected.note,
    proofs,
    witnesses: collected.results,
  };
}

/**
 * The proofs of `entries`, logged from `firstIndex` on, against `checkpoint` (a signed
 * note of the writer's log at least that large). An entry with a `change` is a
 * release-change entry (release-change-entry.ts).
 * @throws {TlogError} when the log's tiles do not prove an entry (a damaged store).
 */
export async function releaseProofs(
  writer: LogWriter,
  checkpoint: string,
  firstIndex: bigint,
  entries: readonly ReleaseEntry[],
): Promise<ReleaseProof[]> {
  const parsed = parseCheckpoint(checkpoint.slice(0, checkpoint.lastIndexOf("\n\n") + 1));
  const tree = new TiledTree(writer.store, parsed.size);
  const proofs: ReleaseProof[] = [];
  for (const [i, entry] of entries.entries()) {
    const index = firstIndex + BigInt(i);
    const extra = entryBytes(entry);
    const hashes = await tree.inclusionProof(index);
    verifyInclusion(index, parsed.size, hashLeaf(extra), hashes, parsed.rootHash);
    proofs.push({ entry, index, proof: marshalTlogProof({ index, hashes, checkpoint, extra }) });
  }
  return proofs;
}

/** What a verified release proof establishes. */
export interface VerifiedRelease {
  /** The logged release entry. */
  readonly entry: ReleaseEntry;
  /** Its index in the log. */
  readonly index: bigint;
  /** The verified checkpoint and its verified cosignatures. */
  readonly checkpoint: VerifiedCheckpoint;
}

/**
 * Verifies a release proof offline: the checkpoint's log signature and origin, the
 * witnesses (`policy`, or `witnesses` and `witnessThreshold`), the inclusion of the entry,
 * and, with `target`, that the entry describes that target (path, length, SHA-256).
 * @throws {TlogError} TLOG_MALFORMED_PROOF (also for a proof without an entry), checkpoint
 *   errors, TLOG_WITNESS_QUORUM, TLOG_BAD_PROOF, TLOG_BAD_ENTRY.
 */
export function verifyReleaseProof(
  proofText: string | Uint8Array,
  options: VerifyTlogProofOptions & { readonly target?: TargetDescription },
): VerifiedRelease {
  const proof = parseTlogProof(proofText);
  if (proof.extra === undefined) {
    throw new TlogError(TLOG_ERRORS.MALFORMED_PROOF, "the tlog proof carries no release entry");
  }
  const verified = verifyTlogProof(proof, proof.extra, options);
  const entry = parseReleaseEntry(proof.extra);
  if (options.target !== undefined) assertEntryDescribes(entry, options.target);
  return { entry, index: proof.index, checkpoint: verified.checkpoint };
}

/** What a verified proof of any Bulwark log entry establishes. */
export interface VerifiedLogEntry {
  /** The logged entry: a release, or a change to one (a revocation, a rollout change). */
  readonly entry: LogEntry;
  readonly index: bigint;
  readonly checkpoint: VerifiedCheckpoint;
}

/**
 * Verifies a proof of any Bulwark log entry offline, as {@link verifyReleaseProof} does, and
 * returns the entry it carries (for a release-change entry: the revocation or rollout change).
 * @throws {TlogError} as {@link verifyReleaseProof}.
 */
export function verifyLogEntryProof(
  proofText: string | Uint8Array,
  options: VerifyTlogProofOptions & { readonly target?: TargetDescription },
): VerifiedLogEntry {
  const proof = parseTlogProof(proofText);
  if (proof.extra === undefined) {
    throw new TlogError(TLOG_ERRORS.MALFORMED_PROOF, "the tlog proof carries no log entry");
  }
  const verified = verifyTlogProof(proof, proof.extra, options);
  const entry = parseLogEntry(proof.extra);
  if (options.target !== undefined) assertEntryDescribes(entry.entry, options.target);
  return { entry, index: proof.index, checkpoint: verified.checkpoint };
}
