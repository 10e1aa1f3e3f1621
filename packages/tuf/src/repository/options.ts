import type { Signer } from "../signer.js";
import type { TopLevelRoleName } from "../spec.js";

/** How long each role's metadata stays valid after it is signed, in seconds. */
export interface ExpiryPolicy {
  readonly root: number;
  readonly targets: number;
  readonly snapshot: number;
  readonly timestamp: number;
  /** Delegated targets roles and hashed bins. */
  readonly delegated: number;
}

const DAY = 24 * 3600;

/** Production defaults: a year for root, three months for targets, a week for snapshot, a day for timestamp. */
export const DEFAULT_EXPIRY: ExpiryPolicy = {
  root: 365 * DAY,
  targets: 90 * DAY,
  snapshot: 7 * DAY,
  timestamp: DAY,
  delegated: 90 * DAY,
};

/**
 * Where signers come from when a role must be signed: called with the role name and the
 * key IDs that may sign it, it returns the signers available here among them (keys may be
 * loaded, or passphrases asked for, only then).
 */
export type SignerSource = (role: string, keyids: readonly string[]) => Promise<readonly Signer[]>;

/** Options shared by {@link Repository.create} and {@link Repository.open}. */
export interface RepositoryOptions {
  readonly expiry?: Partial<ExpiryPolicy>;
  /** List length and hashes of each role in snapshot and timestamp meta (default true). */
  readonly metaHashes?: boolean;
  /**
   * How files are written: `"canonical"` (default) puts `signed` as its canonical bytes so
   * clients verify it without re-encoding (ADR 4); a number writes indented JSON with that
   * many spaces, as python-tuf does.
   */
  readonly layout?: "canonical" | number;
  /** More signers, looked up when a role is signed (a key store, a KMS). */
  readonly signerSource?: SignerSource;
  /** The clock, for tests. */
  readonly now?: () => number;
}

/** Options of {@link Repository.create}. */
export interface CreateRepositoryOptions extends RepositoryOptions {
  /** Signers of each top-level role; each role needs at least `threshold` of them. */
  readonly signers: Readonly<Record<TopLevelRoleName, readonly Signer[]>>;
  /** Thresholds per top-level role (default 1). */
  readonly thresholds?: Partial<Record<TopLevelRoleName, number>>;
  readonly consistentSnapshot?: boolean;
}

/** Options of {@link Repository.open}: the published state, as bytes. */
export interface OpenRepositoryOptions extends RepositoryOptions {
  /** Every published root version, oldest first (at least the current one). */
  readonly roots: readonly Uint8Array[];
  readonly timestamp: Uint8Array;
  readonly snapshot: Uint8Array;
  /** The published bytes of a targets role at a version, read when the role is first used. */
  readonly loadTargets: (role: string, version: number) => Uint8Array | undefined;
}

/** One file of the static repository tree, relative to its root (`metadata/…`, `targets/…`). */
export interface RepositoryFile {
  readonly path: string;
  readonly data: Uint8Array;
}
