import {
  BadVersionNumberError,
  EqualVersionNumberError,
  ExpiredMetadataError,
  RepositoryError,
  UnsignedMetadataError,
  UsageError,
} from "./errors.js";
import { Metadata } from "./models/metadata.js";
import type { Root } from "./models/root.js";
import type { ParseOptions } from "./models/signed.js";
import type { Snapshot } from "./models/snapshot.js";
import type { Targets } from "./models/targets.js";
import type { Timestamp } from "./models/timestamp.js";

/**
 * Verifies `md` as `roleName` of `delegator`: over the exact bytes `signed` was parsed from
 * when the file was laid out canonically (ADR 4), else over canonical JSON made from the
 * model. Either way the model in use is exactly what the keys signed.
 */
function verifyAsParsed(delegator: Metadata, roleName: string, md: Metadata): void {
  const parsed = md.parsedSignedBytes;
  if (parsed !== undefined) {
    try {
      delegator.verifyDelegate(roleName, md, parsed);
      return;
    } catch (error) {
      if (!(error instanceof UnsignedMetadataError)) throw error;
    }
  }
  delegator.verifyDelegate(roleName, md);
}

/** Options of a {@link TrustedMetadataSet}. */
export interface TrustedMetadataSetOptions extends ParseOptions {
  /** The instant expiry is judged against; fixed for the whole set. Default: now. */
  readonly referenceTime?: Date;
}

/**
 * The client's trusted metadata (spec §5), with every check of the client workflow and
 * no I/O: it takes bytes and returns verified models. Loading order is enforced: root
 * (any number of updates), then timestamp, snapshot, targets and delegated targets.
 */
export class TrustedMetadataSet {
  /** The instant expiry is judged against. */
  readonly referenceTime: number;
  private readonly parseOptions: ParseOptions;
  private trustedRoot: Metadata<Root>;
  private trustedTimestamp: Metadata<Timestamp> | undefined;
  private trustedSnapshot: Metadata<Snapshot> | undefined;
  private readonly targetsRoles = new Map<string, Metadata<Targets>>();
  // "delegator\0role" pairs already verified, so a cached role is re-verified only
  // against delegators it has not been checked against (the diamond case).
  private readonly verifiedPairs = new Set<string>();

  /**
   * Starts from the trusted root (spec 5.2). Its expiry is not checked here: an expired
   * root is still the starting point of the rotation chain.
   * @throws {RepositoryError} when the root is malformed or not signed by its own threshold.
   */
  constructor(rootData: Uint8Array, options: TrustedMetadataSetOptions = {}) {
    this.referenceTime = (options.referenceTime ?? new Date()).getTime();
    this.parseOptions = { lenientDates: options.lenientDates ?? false };
    const root = Metadata.fromBytes(rootData, "root", this.parseOptions);
    // 5.2: the trusted root must be signed by a threshold of its own root keys.
    root.verifyDelegate("root", root);
    this.trustedRoot = root;
  }

  get root(): Metadata<Root> {
    return this.trustedRoot;
  }

  get timestamp(): Metadata<Timestamp> | undefined {
    return this.trustedTimestamp;
  }

  get snapshot(): Metadata<Snapshot> | undefined {
    return this.trustedSnapshot;
  }

  get targets(): Metadata<Targets> | undefined {
    return this.targetsRoles.get("targets");
  }

  /** A loaded targets role (top-level or delegated), or undefined. */
  getTargetsRole(name: string): Metadata<Targets> | undefined {
    return this.targetsRoles.get(name);
  }

  /**
   * Verifies and accepts the next root version (spec 5.3.4–5.3.8).
   * @throws {RepositoryError} on a bad signature, type or version.
   */
  updateRoot(data: Uint8Array): Metadata<Root> {
    if (this.trustedTimestamp !== undefined) throw new UsageError("cannot update root after timestamp");
    const newRoot = Metadata.fromBytes(data, "root", this.parseOptions);
    const bytes = newRoot.signedBytes();
    // 5.3.4: signed by a threshold of keys of the trusted root ...
    this.trustedRoot.verifyDelegate("root", newRoot, bytes);
    // 5.3.5: ... and the version must be exactly one more (rollback attack).
    const expected = this.trustedRoot.signed.version + 1;
    if (newRoot.signed.version !== expected) {
      throw new BadVersionNumberError(`expected root version ${expected}, got ${newRoot.signed.version}`);
    }
    // 5.3.4: ... and by a threshold of its own keys.
    newRoot.verifyDelegate("root", newRoot, bytes);
    this.trustedRoot = newRoot;
    return newRoot;
  }

  /**
   * Verifies and accepts a timestamp (spec 5.4). A timestamp that is valid but expired is
   * kept for rollback protection, then refused.
   * @throws {EqualVersionNumberError} when it is the version already trusted.
   * @throws {RepositoryError} on a bad signature, rollback or expiry.
   */
  updateTimestamp(data: Uint8Array): Metadata<Timestamp> {
    if (this.trustedSnapshot !== undefined) throw new UsageError("cannot update timestamp after snapshot");
    // 5.3.10: the final root must not be expired (freeze attack).
    if (this.trustedRoot.signed.isExpired(this.referenceTime)) {
      throw new ExpiredMetadataError("the final root metadata has expired (freeze attack, or a stale repository)");
    }
    const newTimestamp = Metadata.fromBytes(data, "timestamp", this.parseOptions);
    // 5.4.2: signed by a threshold of the timestamp keys.
    verifyAsParsed(this.trustedRoot, "timestamp", newTimestamp);
    const old = this.trustedTimestamp;
    if (old !== undefined) {
      // 5.4.3.1: the version must not go back (rollback attack).
      if (newTimestamp.signed.version < old.signed.version) {
        throw new BadVersionNumberError(
          `timestamp version went back from ${old.signed.version} to ${newTimestamp.signed.version} (rollback attack)`,
        );
      }
      if (newTimestamp.signed.version === old.signed.version) {
        throw new EqualVersionNumberError(`timestamp version ${old.signed.version} is unchanged`);
      }
      // 5.4.3.2: the snapshot version it lists must not go back.
      const oldSnap = old.signed.snapshotMeta.version;
      const newSnap = newTimestamp.signed.snapshotMeta.version;
      if (newSnap < oldSnap) {
        throw new BadVersionNumberError(
          `timestamp lists snapshot version ${newSnap}, older than the trusted ${oldSnap} (rollback attack)`,
        );
      }
    }
    // Kept even if expired: an expired timestamp still protects against rollback.
    this.trustedTimestamp = newTimestamp;
    this.checkFinalTimestamp();
    return newTimestamp;
  }

  private checkFinalTimestamp(): Metadata<Timestamp> {
    const ts = this.trustedTimestamp;
    if (ts === undefined) throw new UsageError("timestamp is not loaded");
    // 5.4.4: the timestamp must not be expired (freeze attack).
    if (ts.signed.isExpired(this.referenceTime)) {
      throw new ExpiredMetadataError("timestamp metadata has expired (freeze attack, or a stale repository)");
    }
    return ts;
  }

  /**
   * Verifies and accepts a snapshot (spec 5.5). `trusted` skips the length and hash check,
   * for a copy that was verified when it was first stored.
   * @throws {RepositoryError} on a mismatch, a bad signature, a rollback or expiry.
   */
  updateSnapshot(data: Uint8Array, trusted = false): Metadata<Snapshot> {
    if (this.trustedTimestamp === undefined) throw new UsageError("cannot update snapshot before timestamp");
    if (this.targetsRoles.has("targets")) throw new UsageError("cannot update snapshot after targets");
    const timestamp = this.checkFinalTimestamp();
    const meta = timestamp.signed.snapshotMeta;
    // 5.5.2: length and hashes as the timestamp lists them (mix-and-match, tampering).
    if (!trusted) meta.verifyLengthAndHashes(data, "snapshot.json");
    const newSnapshot = Metadata.fromBytes(data, "snapshot", this.parseOptions);
    // 5.5.3: signed by a threshold of the snapshot keys.
    verifyAsParsed(this.trustedRoot, "snapshot", newSnapshot);
    const old = this.trustedSnapshot;
    if (old !== undefined) {
      // 5.5.5: no targets role may disappear or go back in version (rollback attack).
      for (const [name, info] of old.signed.meta) {
        const next = newSnapshot.signed.meta.get(name);
        if (next === undefined) {
          throw new RepositoryError("TUF_ROLLBACK", `new snapshot no longer lists ${name} (rollback attack)`);
        }
        if (next.version < info.version) {
          throw new BadVersionNumberError(
            `snapshot lists ${name} version ${next.version}, older than the trusted ${info.version} (rollback attack)`,
          );
        }
      }
    }
    // Kept even if expired or of another version: it still protects against rollback.
    this.trustedSnapshot = newSnapshot;
    this.checkFinalSnapshot();
    return newSnapshot;
  }

  private checkFinalSnapshot(): Metadata<Snapshot> {
    const snapshot = this.trustedSnapshot;
    const timestamp = this.trustedTimestamp;
    if (snapshot === undefined || timestamp === undefined) throw new UsageError("snapshot is not loaded");
    // 5.5.6: the snapshot must not be expired (freeze attack).
    if (snapshot.signed.isExpired(this.referenceTime)) {
      throw new ExpiredMetadataError("snapshot metadata has expired (freeze attack, or a stale repository)");
    }
    // 5.5.4: its version must be the one the timestamp lists (mix-and-match).
    const expected = timestamp.signed.snapshotMeta.version;
    if (snapshot.signed.version !== expected) {
      throw new BadVersionNumberError(
        `expected snapshot version ${expected} as the timestamp lists, got ${snapshot.signed.version}`,
      );
    }
    return snapshot;
  }

  /** Verifies and accepts top-level targets (spec 5.6). */
  updateTargets(data: Uint8Array): Metadata<Targets> {
    return this.updateDelegatedTargets(data, "targets", "root");
  }

  /**
   * Verifies and accepts the targets role `roleName`, delegated by `delegatorName`
   * (spec 5.6 and 5.6.7).
   * @throws {RepositoryError} when snapshot does not list it, or on a mismatch,
   * a bad signature, a version other than snapshot's, or expiry.
   */
  updateDelegatedTargets(data: Uint8Array, roleName: string, delegatorName: string): Metadata<Targets> {
    if (this.trustedSnapshot === undefined) throw new UsageError("cannot load targets before snapshot");
    const snapshot = this.checkFinalSnapshot();
    const delegator = this.delegator(delegatorName);
    const meta = snapshot.signed.meta.get(`${roleName}.json`);
    if (meta === undefined) {
      throw new RepositoryError("TUF_NOT_IN_SNAPSHOT", `snapshot does not list ${JSON.stringify(roleName)}`);
    }
    // 5.6.2: length and hashes as the snapshot lists them.
    meta.verifyLengthAndHashes(data, `${roleName}.json`);
    const role = Metadata.fromBytes(data, "targets", { ...this.parseOptions, label: roleName });
    // 5.6.3: signed by a threshold of the keys the delegator trusts for this role.
    verifyAsParsed(delegator, roleName, role);
    // 5.6.4: the version the snapshot lists (rollback, mix-and-match).
    if (role.signed.version !== meta.version) {
      throw new BadVersionNumberError(
        `expected ${roleName} version ${meta.version} as the snapshot lists, got ${role.signed.version}`,
      );
    }
    // 5.6.5: not expired (freeze attack).
    if (role.signed.isExpired(this.referenceTime)) {
      throw new ExpiredMetadataError(`${roleName} metadata has expired (freeze attack, or a stale repository)`);
    }
    this.targetsRoles.set(roleName, role);
    this.verifiedPairs.add(`${delegatorName}\0${roleName}`);
    return role;
  }

  /**
   * Re-verifies a loaded delegated role against another delegator that also delegates it
   * (the diamond case): trust in a role is per delegation, not per file.
   * @throws {UnsignedMetadataError} when this delegator's keys did not sign it.
   */
  verifyLoadedDelegate(roleName: string, delegatorName: string): Metadata<Targets> {
    const role = this.targetsRoles.get(roleName);
    if (role === undefined) throw new UsageError(`${roleName} is not loaded`);
    const pair = `${delegatorName}\0${roleName}`;
    if (!this.verifiedPairs.has(pair)) {
      verifyAsParsed(this.delegator(delegatorName), roleName, role);
      this.verifiedPairs.add(pair);
    }
    return role;
  }

  private delegator(name: string): Metadata<Root> | Metadata<Targets> {
    if (name === "root") return this.trustedRoot;
    const d = this.targetsRoles.get(name);
    if (d === undefined) throw new UsageError(`delegator ${JSON.stringify(name)} is not loaded`);
    return d;
  }
}
