/**
 * A client of a tiled log (c2sp.org/tlog-tiles): reads the checkpoint, verifies it with the
 * log's key, origin and witness policy, and reads tiles, entries and proofs that it checks
 * against the checkpoint's root. The store (a folder, a CDN, a mirror) is never trusted.
 */
import {
  type Checkpoint,
  type VerifiedCheckpoint,
  verifyCheckpoint,
  verifyCheckpointConsistency,
} from "./checkpoint.js";
import { TLOG_ERRORS, TlogError } from "./errors.js";
import { verifyInclusion } from "./merkle-proof.js";
import type { NoteVerifier } from "./note-key.js";
import { CHECKPOINT_KEY, type LogStore } from "./store.js";
import { TiledTree, type TreeAudit } from "./tiled-tree.js";
import { isSatisfied, type PolicyComponent, policyVerifiers } from "./witness-policy.js";

/** Whom a reader trusts. */
export interface LogReaderOptions {
  /** The log's origin line. */
  readonly origin: string;
  /** The log's key. */
  readonly logVerifier: NoteVerifier;
  /** Witnesses whose cosignatures a checkpoint needs (default: none required). */
  readonly policy?: PolicyComponent;
}

/** Reads and verifies a tiled log from an untrusted store. */
export class LogReader {
  constructor(
    readonly store: LogStore,
    readonly options: LogReaderOptions,
  ) {}

  /**
   * Verifies a checkpoint note: the log's signature, the origin and the witness policy.
   * @throws {TlogError} as {@link verifyCheckpoint}, and TLOG_WITNESS_QUORUM.
   */
  verifyCheckpoint(note: Uint8Array | string): VerifiedCheckpoint {
    const { origin, logVerifier, policy } = this.options;
    const witnesses = policy === undefined ? [] : policyVerifiers(policy);
    const verified = verifyCheckpoint(note, { logVerifier, origin, witnesses });
    if (
      policy !== undefined &&
      !isSatisfied(
        policy,
        verified.cosignatures.map((s) => s.verifier),
      )
    ) {
      throw new TlogError(
        TLOG_ERRORS.WITNESS_QUORUM,
        "the checkpoint's cosignatures do not satisfy the witness policy",
      );
    }
    return verified;
  }

  /**
   * Reads and verifies the checkpoint stored at `key` (the latest one by default).
   * @throws {TlogError} TLOG_MISSING_TILE when there is none, or as {@link LogReader.verifyCheckpoint}.
   */
  async checkpoint(key: string = CHECKPOINT_KEY): Promise<VerifiedCheckpoint> {
    const note = await this.store.get(key);
    if (note === undefined) throw new TlogError(TLOG_ERRORS.MISSING_TILE, `missing ${key}`);
    return this.verifyCheckpoint(note);
  }

  /** The tree of a (verified) checkpoint, read from the store. */
  tree(checkpoint: Checkpoint): TiledTree {
    return new TiledTree(this.store, checkpoint.size);
  }

  /**
   * Verifies every tile, and with `entries` every entry bundle, against the checkpoint.
   * @throws {TlogError} TLOG_BAD_TILE, TLOG_MISSING_TILE
   */
  audit(checkpoint: Checkpoint, options: { entries?: boolean } = {}): Promise<TreeAudit> {
    return this.tree(checkpoint).audit(checkpoint.rootHash, options);
  }

  /**
   * Entries [from, from + count) of the checkpoint's tree, each verified against it.
   * @throws {TlogError} TLOG_BAD_TILE, TLOG_MISSING_TILE
   */
  async entries(checkpoint: Checkpoint, from: bigint | number, count: number): Promise<Uint8Array[]> {
    const tree = this.tree(checkpoint);
    await tree.verifyRoot(checkpoint.rootHash);
    return tree.entries(from, count);
  }

  /**
   * The inclusion proof of the entry with leaf hash `leafHash` at `index`, built from the
   * tiles and verified against the checkpoint before it is returned.
   * @throws {TlogError} TLOG_BAD_PROOF when the tiles do not prove it.
   */
  async inclusionProof(checkpoint: Checkpoint, index: bigint | number, leafHash: Uint8Array): Promise<Uint8Array[]> {
    const proof = await this.tree(checkpoint).inclusionProof(index);
    verifyInclusion(index, checkpoint.size, leafHash, proof, checkpoint.rootHash);
    return proof;
  }

  /**
   * The consistency proof from `older` to `newer`, built from the newer tree's tiles and
   * verified against both roots. From the empty tree the proof is empty (nothing to prove).
   * @throws {TlogError} TLOG_BAD_PROOF when the log forked or the tiles lie, TLOG_BAD_CHECKPOINT
   *   for checkpoints of different logs.
   */
  async consistencyProof(older: Checkpoint, newer: Checkpoint): Promise<Uint8Array[]> {
    const trivial = older.size === 0n || older.size === newer.size;
    const proof = trivial ? [] : await this.tree(newer).consistencyProof(older.size);
    verifyCheckpointConsistency(older, newer, proof);
    return proof;
  }
}
