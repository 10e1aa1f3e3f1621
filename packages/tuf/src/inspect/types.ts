/**
 * What a repository inspection is asked ({@link InspectOptions}) and what it finds
 * ({@link RepositoryInspection}): problems with codes, and the facts its callers report.
 */
import type { BulwarkError } from "../errors.js";
import type { Metadata } from "../models/metadata.js";
import type { Root } from "../models/root.js";
import type { Snapshot } from "../models/snapshot.js";
import type { Targets } from "../models/targets.js";
import type { Timestamp } from "../models/timestamp.js";

/** The kinds of role expiry windows apply to. */
export type RoleKind = "root" | "timestamp" | "snapshot" | "targets" | "delegated";

/** A problem (or, among warnings, a concern) the inspection found. */
export interface InspectionProblem {
  readonly role?: string;
  readonly target?: string;
  /** The metadata file it is about, as named in the repository (`3.snapshot.json`). */
  readonly file?: string;
  /** A {@link BulwarkError} code, or one of `METADATA_MISSING`, `TARGET_MISSING`, `TUF_NOT_IN_SNAPSHOT`, `NOT_DELEGATED`, `OUTSIDE_DELEGATION`, `EXPIRES_SOON`. */
  readonly code: string;
  readonly message: string;
  /** The error behind the problem, when there is one. */
  readonly cause?: BulwarkError;
}

/** A role that verified, with its expiry as of the inspection's reference time. */
export interface RoleExpiry {
  readonly name: string;
  readonly version: number;
  /** ISO 8601. */
  readonly expires: string;
  /** Seconds from the reference time; negative when expired. */
  readonly expiresIn: number;
}

/** Progress of a long step (reading metadata, reading target files), in bytes. */
export interface InspectionProgress {
  tick(bytes: number): void;
  finish(): void;
}

/** Options of {@link inspectRepository}; every bound is a named default. */
export interface InspectOptions {
  /** The trusted root to start from. Default: the source's root.json, else 1.root.json, trusted on first use. */
  readonly trustedRoot?: Uint8Array;
  /** The instant expiry is judged at, in ms since the epoch. Default now. */
  readonly at?: number;
  /** A role that expires within this many ms of `at` is a warning. Default: no warning. */
  readonly warnWithin?: (kind: RoleKind) => number;
  /** Delegated roles read at most (a bounded look); the others count in `unread`. Default: every role. */
  readonly maxDelegatedRoles?: number;
  /** Read the first bin of each set of hashed bins only; the other bins count in `unread`. Default false. */
  readonly firstBinOnly?: boolean;
  /** Download every target file and check its length and hashes. Default false. */
  readonly checkTargets?: boolean;
  /** Bytes per metadata file where no signed length bounds it. Default: the client's (`DEFAULT_UPDATER_CONFIG`). */
  readonly maxLength?: Partial<Record<"root" | "timestamp" | "snapshot" | "targets", number>>;
  readonly signal?: AbortSignal;
  /** Starts a progress display for a step of `total` bytes. Default: none. */
  readonly progress?: (label: string, total: number) => InspectionProgress;
}

/** What an inspection found. */
export interface RepositoryInspection {
  /** The source's label. */
  readonly source: string;
  /** The newest root that verified (or, when the trusted root itself does not, that root). */
  readonly root: Metadata<Root>;
  /** False when the trusted root is not signed by a threshold of its own keys: nothing else was read. */
  readonly rootVerified: boolean;
  /** Versions of every root that verified, in order. */
  readonly rootVersions: readonly number[];
  readonly timestamp?: Metadata<Timestamp>;
  readonly snapshot?: Metadata<Snapshot>;
  readonly targets?: Metadata<Targets>;
  /** Delegated roles that verified, by name in the order a client visits them, with the role that delegates to each. */
  readonly delegated: ReadonlyMap<string, { readonly metadata: Metadata<Targets>; readonly delegator: string }>;
  /** Delegated roles not read (past `maxDelegatedRoles`, or bins past the first with `firstBinOnly`). */
  readonly unread: number;
  /** Every role that verified, with its expiry. */
  readonly roles: readonly RoleExpiry[];
  /** Roles that are hashed bins, by the name of their set (`bins-*`). */
  readonly binSets: ReadonlyMap<string, string>;
  readonly problems: readonly InspectionProblem[];
  readonly warnings: readonly InspectionProblem[];
  /** Target files checked, or null when they were not. */
  readonly targetsChecked: number | null;
}
