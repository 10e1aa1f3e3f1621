import { UsageError } from "../errors.js";
import type { Key } from "../keys.js";
import { hashPrefixedPath } from "../models/canonical-layout.js";
import type { DelegatedRole } from "../models/delegations.js";
import { computeHashes } from "../models/hashes.js";
import { MetaFile } from "../models/meta-file.js";
import { Metadata } from "../models/metadata.js";
import type { Root } from "../models/root.js";
import type { Snapshot } from "../models/snapshot.js";
import type { Targets } from "../models/targets.js";
import type { Timestamp } from "../models/timestamp.js";
import type { Signer } from "../signer.js";
import { TOP_LEVEL_ROLE_NAMES, type TopLevelRoleName } from "../spec.js";
import { encodeName } from "../updater/storage.js";
import {
  DEFAULT_EXPIRY,
  type ExpiryPolicy,
  type OpenRepositoryOptions,
  type RepositoryFile,
  type RepositoryOptions,
  type SignerSource,
} from "./options.js";

/** A public key as a role lists it, for keys whose private half is not here (offline, a KMS). */
export interface RoleKey {
  readonly keyId: string;
  readonly publicKey: Key;
}

/** True for the four top-level role names. */
export function isTopLevel(role: string): role is TopLevelRoleName {
  return (TOP_LEVEL_ROLE_NAMES as readonly string[]).includes(role);
}

/**
 * What a repository holds and how it reads: the current and published metadata of every
 * role (targets roles loaded lazily), its signers, and the static tree. Editing is in
 * {@link RepositoryEditor}, signing and publishing in {@link Repository}.
 */
export class RepositoryState {
  protected readonly roles = new Map<string, Metadata<Targets>>();

  protected readonly signersByRole = new Map<string, Signer[]>();

  protected readonly serialized = new Map<string, Buffer>();

  protected readonly dirty = new Set<string>();

  protected readonly targetBytes = new Map<string, Uint8Array>();

  protected readonly roots: Array<{ md: Metadata<Root>; bytes: Buffer }> = [];

  protected rootDirty = false;

  protected forceSnapshot = false;

  protected rootSignersBefore: Signer[] = [];

  protected timestampMd: Metadata<Timestamp>;

  protected snapshotMd: Metadata<Snapshot>;

  protected rootMd: Metadata<Root>;

  readonly expiry: ExpiryPolicy;

  readonly metaHashes: boolean;

  protected readonly layout: "canonical" | number;

  protected readonly now: () => number;

  protected readonly signerSource: SignerSource | undefined;

  protected readonly loadTargets: OpenRepositoryOptions["loadTargets"] | undefined;

  protected constructor(
    options: RepositoryOptions,
    state: {
      root: Metadata<Root>;
      timestamp: Metadata<Timestamp>;
      snapshot: Metadata<Snapshot>;
      loadTargets?: OpenRepositoryOptions["loadTargets"];
    },
  ) {
    this.expiry = { ...DEFAULT_EXPIRY, ...options.expiry };
    this.metaHashes = options.metaHashes ?? true;
    this.layout = options.layout ?? "canonical";
    this.now = options.now ?? Date.now;
    this.signerSource = options.signerSource;
    this.loadTargets = state.loadTargets;
    this.rootMd = state.root;
    this.timestampMd = state.timestamp;
    this.snapshotMd = state.snapshot;
  }

  protected expiresAt(role: keyof ExpiryPolicy): number {
    return this.now() + this.expiry[role] * 1000;
  }

  get root(): Metadata<Root> {
    return this.rootMd;
  }

  get timestamp(): Metadata<Timestamp> {
    return this.timestampMd;
  }

  get snapshot(): Metadata<Snapshot> {
    return this.snapshotMd;
  }

  /** A targets role: `targets` or a delegated role. */
  targets(role = "targets"): Metadata<Targets> {
    let md = this.roles.get(role);
    if (md === undefined) {
      const meta = this.snapshotMd.signed.meta.get(`${role}.json`);
      const bytes = meta === undefined ? undefined : this.loadTargets?.(role, meta.version);
      if (bytes === undefined) throw new UsageError(`no targets role named ${JSON.stringify(role)}`);
      md = Metadata.fromBytes(bytes, "targets");
      this.roles.set(role, md);
      this.serialized.set(role, Buffer.from(bytes));
    }
    return md;
  }

  /** Every targets role name: those snapshot lists, then new ones. */
  targetsRoleNames(): string[] {
    const names = new Set<string>();
    for (const file of this.snapshotMd.signed.meta.keys()) names.add(file.replace(/\.json$/, ""));
    for (const name of this.roles.keys()) names.add(name);
    return [...names];
  }

  /** The signers given for a role (not counting those a signer source may add). */
  signers(role: string): readonly Signer[] {
    return this.signersByRole.get(role) ?? [];
  }

  /** The public key listed under `keyId` in root (the next one included) or a loaded delegation. */
  publicKey(keyId: string): Key | undefined {
    const fromRoot = this.rootMd.signed.keys.get(keyId) ?? this.roots.at(-1)?.md.signed.keys.get(keyId);
    if (fromRoot !== undefined) return fromRoot;
    for (const md of this.roles.values()) {
      const key = md.signed.delegations?.keys.get(keyId);
      if (key !== undefined) return key;
    }
    return undefined;
  }

  /** The roles that changed since the last publish. */
  pendingRoles(): string[] {
    return [...(this.rootDirty ? ["root"] : []), ...this.dirty, ...(this.forceSnapshot ? ["snapshot"] : [])];
  }

  protected findDelegation(role: string): { delegator: string; entry: DelegatedRole } {
    for (const [name, md] of this.roles) {
      const entry = md.signed.delegations?.roles?.get(role);
      if (entry !== undefined) return { delegator: name, entry };
    }
    // Roles not loaded yet (a repository opened from its published state).
    for (const name of this.targetsRoleNames()) {
      const entry = this.targets(name).signed.delegations?.roles?.get(role);
      if (entry !== undefined) return { delegator: name, entry };
    }
    throw new UsageError(`no role delegates to ${JSON.stringify(role)}`);
  }

  /**
   * The targets role that delegates to `role`, or undefined for a top-level role.
   * @throws {UsageError} when no role delegates to it.
   */
  delegatorOf(role: string): string | undefined {
    return isTopLevel(role) ? undefined : this.findDelegation(role).delegator;
  }

  /** The signers that hold one of `keyids`: those given, then those the signer source has. */
  protected async resolveSigners(
    role: string,
    keyids: readonly string[],
    extra: readonly Signer[] = [],
  ): Promise<Signer[]> {
    const found = new Map<string, Signer>();
    const pool = [...this.signers(role), ...extra, ...((await this.signerSource?.(role, keyids)) ?? [])];
    for (const s of pool) if (keyids.includes(s.keyId) && !found.has(s.keyId)) found.set(s.keyId, s);
    return [...found.values()];
  }

  /**
   * The key IDs and threshold that sign `role`, from the next root (top-level roles) or
   * from its delegator.
   * @throws {UsageError} when no role delegates to it.
   */
  roleKeys(role: string): { keyids: readonly string[]; threshold: number } {
    if (isTopLevel(role)) return this.rootMd.signed.role(role);
    for (const name of this.roles.keys()) {
      const keys = this.targets(name).signed.delegations?.roleKeys(role);
      if (keys !== undefined) return keys;
    }
    for (const name of this.targetsRoleNames()) {
      const keys = this.targets(name).signed.delegations?.roleKeys(role);
      if (keys !== undefined) return keys;
    }
    throw new UsageError(`no role delegates to ${JSON.stringify(role)}`);
  }

  protected encode(md: Metadata, signedBytes: Buffer): Buffer {
    return this.layout === "canonical"
      ? md.toCanonicalLayoutBytes(signedBytes)
      : Buffer.concat([md.toBytes({ indent: this.layout }), Buffer.from("\n")]);
  }

  protected metaFor(version: number, bytes: Buffer): MetaFile {
    return this.metaHashes ? new MetaFile(version, bytes.length, computeHashes(bytes)) : new MetaFile(version);
  }

  protected metadataPath(role: string, version: number): string {
    const consistent = this.rootMd.signed.consistentSnapshot === true;
    return `metadata/${consistent ? `${version}.` : ""}${encodeName(role)}.json`;
  }

  /** The bytes of the last published version of a role. */
  publishedBytes(role: string): Buffer | undefined {
    return role === "root" ? this.roots.at(-1)?.bytes : this.serialized.get(role);
  }

  /** The last published root, as parsed (read it, don't change it); undefined before the first publish. */
  publishedRoot(): Metadata<Root> | undefined {
    return this.roots.at(-1)?.md;
  }

  /** Every root version published, oldest first. */
  rootVersions(): ReadonlyArray<Buffer> {
    return this.roots.map((r) => r.bytes);
  }

  /** The bytes of a target added with data. */
  targetData(targetPath: string): Uint8Array | undefined {
    return this.targetBytes.get(targetPath);
  }

  /**
   * The static tree of the current state: every root version, the current timestamp,
   * snapshot and targets roles, and the target files added with bytes (hash-prefixed
   * under consistent snapshots).
   */
  files(): RepositoryFile[] {
    const out: RepositoryFile[] = [];
    for (const r of this.roots) out.push({ path: `metadata/${r.md.signed.version}.root.json`, data: r.bytes });
    const lastRoot = this.roots.at(-1);
    if (lastRoot !== undefined) out.push({ path: "metadata/root.json", data: lastRoot.bytes });
    for (const [name, bytes] of this.serialized) {
      if (name === "timestamp") continue;
      const version = name === "snapshot" ? this.snapshotMd.signed.version : this.targets(name).signed.version;
      out.push({ path: this.metadataPath(name, version), data: bytes });
    }
    const consistent = this.rootMd.signed.consistentSnapshot === true;
    for (const md of this.roles.values()) {
      for (const [targetPath, file] of md.signed.targets) {
        const data = this.targetBytes.get(targetPath);
        if (data === undefined) continue;
        const name = consistent ? hashPrefixedPath(targetPath, file.hashes.get("sha256") ?? "") : targetPath;
        out.push({ path: `targets/${name}`, data });
      }
    }
    const ts = this.serialized.get("timestamp");
    if (ts !== undefined) out.push({ path: "metadata/timestamp.json", data: ts });
    return out;
  }
}
