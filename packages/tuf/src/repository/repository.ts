import { UsageError } from "../errors.js";
import { DelegatedRole, Delegations, SuccinctRoles } from "../models/delegations.js";
import { computeHashes } from "../models/hashes.js";
import { MetaFile } from "../models/meta-file.js";
import { Metadata } from "../models/metadata.js";
import { Role } from "../models/role.js";
import { Root } from "../models/root.js";
import { Snapshot } from "../models/snapshot.js";
import { TargetFile } from "../models/target-file.js";
import { Targets } from "../models/targets.js";
import { Timestamp } from "../models/timestamp.js";
import type { Signer } from "../signer.js";
import { TOP_LEVEL_ROLE_NAMES, type TopLevelRoleName } from "../spec.js";

function isTopLevel(role: string): role is TopLevelRoleName {
  return (TOP_LEVEL_ROLE_NAMES as readonly string[]).includes(role);
}

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

/** Options of {@link Repository.create}. */
export interface CreateRepositoryOptions {
  /** Signers of each top-level role; each role needs at least `threshold` of them. */
  readonly signers: Readonly<Record<TopLevelRoleName, readonly Signer[]>>;
  /** Thresholds per top-level role (default 1). */
  readonly thresholds?: Partial<Record<TopLevelRoleName, number>>;
  readonly consistentSnapshot?: boolean;
  readonly expiry?: Partial<ExpiryPolicy>;
  /** List length and hashes of each role in snapshot and timestamp meta (default true). */
  readonly metaHashes?: boolean;
  /**
   * How files are written: `"canonical"` (default) puts `signed` as its canonical bytes so
   * clients verify it without re-encoding (ADR 4); a number writes indented JSON with that
   * many spaces, as python-tuf does.
   */
  readonly layout?: "canonical" | number;
  /** The clock, for tests. */
  readonly now?: () => number;
}

/** One file of the static repository tree, relative to its root (`metadata/…`, `targets/…`). */
export interface RepositoryFile {
  readonly path: string;
  readonly data: Uint8Array;
}

/**
 * A TUF repository held in memory: create it, edit roles, add targets, delegate, rotate
 * keys, then {@link publish} to bump versions and sign what changed. {@link files} gives
 * the static tree a web server or object store can serve.
 */
export class Repository {
  private readonly roles = new Map<string, Metadata<Targets>>();
  private readonly signersByRole = new Map<string, Signer[]>();
  private readonly serialized = new Map<string, Buffer>();
  private readonly dirty = new Set<string>();
  private readonly targetBytes = new Map<string, Uint8Array>();
  private readonly roots: Array<{ md: Metadata<Root>; bytes: Buffer }> = [];
  private rootDirty = false;
  private forceSnapshot = false;
  private rootSignersBefore: Signer[] | undefined;
  private timestampMd: Metadata<Timestamp>;
  private snapshotMd: Metadata<Snapshot>;
  private rootMd: Metadata<Root>;
  readonly expiry: ExpiryPolicy;
  readonly metaHashes: boolean;
  private readonly layout: "canonical" | number;
  private readonly now: () => number;

  private constructor(options: CreateRepositoryOptions) {
    this.expiry = { ...DEFAULT_EXPIRY, ...options.expiry };
    this.metaHashes = options.metaHashes ?? true;
    this.layout = options.layout ?? "canonical";
    this.now = options.now ?? Date.now;
    const root = new Root({
      consistentSnapshot: options.consistentSnapshot ?? true,
      expiresAt: this.expiresAt("root"),
    });
    for (const name of TOP_LEVEL_ROLE_NAMES) {
      const signers = options.signers[name];
      const threshold = options.thresholds?.[name] ?? 1;
      if (signers.length < threshold) {
        throw new UsageError(`${name} needs at least ${threshold} signer(s), got ${signers.length}`);
      }
      root.roles.set(name, new Role([], threshold));
      for (const s of signers) root.addKey(s.publicKey, name, s.keyId);
      this.signersByRole.set(name, [...signers]);
    }
    this.rootMd = new Metadata(root);
    this.timestampMd = new Metadata(new Timestamp({ expiresAt: this.expiresAt("timestamp") }));
    this.snapshotMd = new Metadata(new Snapshot({ expiresAt: this.expiresAt("snapshot") }));
    this.roles.set("targets", new Metadata(new Targets({ expiresAt: this.expiresAt("targets") })));
    this.rootDirty = true;
    this.dirty.add("targets");
  }

  /** A new repository with version-1 metadata for every role, signed by {@link publish}. */
  static async create(options: CreateRepositoryOptions): Promise<Repository> {
    const repo = new Repository(options);
    await repo.publish();
    return repo;
  }

  private expiresAt(role: keyof ExpiryPolicy): number {
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
    const md = this.roles.get(role);
    if (md === undefined) throw new UsageError(`no targets role named ${JSON.stringify(role)}`);
    return md;
  }

  /** Every targets role name, top-level first. */
  targetsRoleNames(): string[] {
    return [...this.roles.keys()];
  }

  /** The signers of a role. */
  signers(role: string): readonly Signer[] {
    return this.signersByRole.get(role) ?? [];
  }

  /** Marks a targets role as changed, so {@link publish} bumps and signs it. */
  touch(role: string): void {
    if (role === "root") {
      this.editRoot();
      return;
    }
    this.targets(role);
    this.dirty.add(role);
  }

  private editRoot(): Root {
    if (!this.rootDirty) {
      this.rootSignersBefore = [...this.signers("root")];
      this.rootDirty = true;
    }
    return this.rootMd.signed;
  }

  /** The role that should list `targetPath`: the hashed bin when `targets` uses succinct bins. */
  roleForTarget(targetPath: string, delegator = "targets"): string {
    const succinct = this.targets(delegator).signed.delegations?.succinctRoles;
    return succinct === undefined ? delegator : succinct.roleForTarget(targetPath);
  }

  /**
   * Adds (or replaces) a target. With bytes, its length and sha256 are computed and the
   * bytes are served from {@link files}; with a {@link TargetFile}, only the entry is added.
   */
  addTarget(
    target: TargetFile | { path: string; data: Uint8Array; custom?: TargetFile["custom"] },
    role = this.roleForTarget(target.path),
  ): TargetFile {
    let file: TargetFile;
    if (target instanceof TargetFile) {
      file = target;
    } else {
      file = new TargetFile(target.path, target.data.length, computeHashes(target.data));
      if (target.custom !== undefined) file.custom = target.custom;
      this.targetBytes.set(target.path, target.data);
    }
    this.targets(role).signed.addTarget(file);
    this.dirty.add(role);
    return file;
  }

  /** Removes a target; returns whether it was listed. */
  removeTarget(targetPath: string, role = this.roleForTarget(targetPath)): boolean {
    const removed = this.targets(role).signed.removeTarget(targetPath);
    if (removed) {
      this.dirty.add(role);
      this.targetBytes.delete(targetPath);
    }
    return removed;
  }

  /**
   * Delegates from `delegator` to a new targets role `role` (spec §4.5 delegations),
   * trusted for `paths` (or `pathHashPrefixes`), signed by `threshold` of `signers`.
   */
  delegate(
    delegator: string,
    role: {
      name: string;
      paths?: string[];
      pathHashPrefixes?: string[];
      terminating?: boolean;
      threshold?: number;
      signers: readonly Signer[];
    },
  ): Metadata<Targets> {
    if (this.roles.has(role.name) || isTopLevel(role.name)) {
      throw new UsageError(`a role named ${JSON.stringify(role.name)} already exists`);
    }
    const parent = this.targets(delegator).signed;
    parent.delegations ??= new Delegations(new Map(), new Map());
    const delegations = parent.delegations;
    if (delegations.roles === undefined) throw new UsageError(`${delegator} delegates with hashed bins already`);
    for (const s of role.signers) delegations.keys.set(s.keyId, s.publicKey);
    delegations.roles.set(
      role.name,
      new DelegatedRole(
        role.name,
        role.signers.map((s) => s.keyId),
        role.threshold ?? 1,
        role.terminating ?? false,
        role.paths ?? (role.pathHashPrefixes === undefined ? ["*"] : undefined),
        role.pathHashPrefixes,
      ),
    );
    const md = new Metadata(new Targets({ expiresAt: this.expiresAt("delegated") }));
    this.roles.set(role.name, md);
    this.signersByRole.set(role.name, [...role.signers]);
    this.dirty.add(delegator);
    this.dirty.add(role.name);
    return md;
  }

  /**
   * Switches `delegator` to hashed bins (TAP 15 succinct roles): 2^bitLength bins named
   * `<namePrefix>-<hex>`, all signed by `signers`. Targets already listed by the delegator
   * move into their bins.
   */
  addHashedBins(
    options: { bitLength: number; namePrefix?: string; signers: readonly Signer[]; threshold?: number },
    delegator = "targets",
  ): void {
    const parent = this.targets(delegator).signed;
    if (parent.delegations !== undefined) throw new UsageError(`${delegator} already delegates`);
    const succinct = new SuccinctRoles(
      options.signers.map((s) => s.keyId),
      options.threshold ?? 1,
      options.bitLength,
      options.namePrefix ?? "bin",
    );
    parent.delegations = new Delegations(
      new Map(options.signers.map((s) => [s.keyId, s.publicKey])),
      undefined,
      succinct,
    );
    for (const name of succinct.roleNames()) {
      this.roles.set(name, new Metadata(new Targets({ expiresAt: this.expiresAt("delegated") })));
      this.signersByRole.set(name, [...options.signers]);
      this.dirty.add(name);
    }
    for (const [targetPath, file] of parent.targets) {
      this.targets(succinct.roleForTarget(targetPath)).signed.addTarget(file);
    }
    parent.targets.clear();
    this.dirty.add(delegator);
  }

  /** Adds a signer to a role: top-level roles change root, delegated roles their delegator. */
  addSigner(role: string, signer: Signer): void {
    if (isTopLevel(role)) {
      this.editRoot().addKey(signer.publicKey, role, signer.keyId);
    } else {
      const { delegator, entry } = this.findDelegation(role);
      this.targets(delegator).signed.delegations?.keys.set(signer.keyId, signer.publicKey);
      if (!entry.keyids.includes(signer.keyId)) entry.keyids.push(signer.keyId);
      this.dirty.add(delegator);
    }
    const list = [...this.signers(role).filter((s) => s.keyId !== signer.keyId), signer];
    this.signersByRole.set(role, list);
    this.resign(role);
  }

  /** Removes a key from a role (revocation); its signer no longer signs the role. */
  revokeKey(role: string, keyId: string): void {
    if (isTopLevel(role)) {
      this.editRoot().revokeKey(keyId, role);
    } else {
      const { delegator, entry } = this.findDelegation(role);
      entry.keyids = entry.keyids.filter((id) => id !== keyId);
      this.dirty.add(delegator);
    }
    this.signersByRole.set(
      role,
      this.signers(role).filter((s) => s.keyId !== keyId),
    );
    this.resign(role);
  }

  /** Makes the next publish re-sign `role` with its current signers. */
  private resign(role: string): void {
    if (role === "snapshot") this.forceSnapshot = true;
    else if (role !== "root" && role !== "timestamp") this.dirty.add(role);
  }

  /** Sets a role's threshold. */
  setThreshold(role: string, threshold: number): void {
    if (isTopLevel(role)) {
      this.editRoot().role(role).threshold = threshold;
    } else {
      const { delegator, entry } = this.findDelegation(role);
      entry.threshold = threshold;
      this.dirty.add(delegator);
    }
  }

  /** Marks root as changed, e.g. after editing `root.signed` directly: the next publish bumps it. */
  rotateRoot(): Root {
    return this.editRoot();
  }

  private findDelegation(role: string): { delegator: string; entry: DelegatedRole } {
    for (const [name, md] of this.roles) {
      const entry = md.signed.delegations?.roles?.get(role);
      if (entry !== undefined) return { delegator: name, entry };
    }
    throw new UsageError(`no role delegates to ${JSON.stringify(role)}`);
  }

  /** Signs with every signer and returns the file bytes (canonical layout, ADR 4). */
  private async signWith(md: Metadata, signers: readonly Signer[], role: string): Promise<Buffer> {
    if (signers.length === 0) throw new UsageError(`no signer for ${role}`);
    const bytes = md.signedBytes();
    md.signatures.clear();
    for (const s of signers) await md.sign(s, { signedBytes: bytes });
    return this.layout === "canonical"
      ? md.toCanonicalLayoutBytes(bytes)
      : Buffer.concat([md.toBytes({ indent: this.layout }), Buffer.from("\n")]);
  }

  private metaFor(version: number, bytes: Buffer): MetaFile {
    return this.metaHashes ? new MetaFile(version, bytes.length, computeHashes(bytes)) : new MetaFile(version);
  }

  /**
   * Bumps, re-signs and serialises every role that changed, then snapshot and timestamp.
   * Root changes produce the next root version, signed by the old and the new root keys.
   * Returns the files that changed.
   */
  async publish(options: { force?: boolean } = {}): Promise<RepositoryFile[]> {
    const changed: RepositoryFile[] = [];
    if (this.rootDirty) {
      const root = this.rootMd.signed;
      if (this.roots.length > 0) root.version += 1;
      root.expires = new Date(this.expiresAt("root"));
      const signers = new Map<string, Signer>();
      for (const s of [...(this.rootSignersBefore ?? []), ...this.signers("root")]) signers.set(s.keyId, s);
      const bytes = await this.signWith(this.rootMd, [...signers.values()], "root");
      this.roots.push({ md: Metadata.fromBytes(bytes, "root"), bytes });
      changed.push({ path: `metadata/${root.version}.root.json`, data: bytes });
      this.rootDirty = false;
      this.rootSignersBefore = undefined;
    }
    const snapshot = this.snapshotMd.signed;
    let snapshotChanged = options.force === true || this.forceSnapshot;
    this.forceSnapshot = false;
    for (const name of this.dirty) {
      const md = this.targets(name);
      if (this.serialized.has(name)) md.signed.version += 1;
      md.signed.expires = new Date(this.expiresAt(name === "targets" ? "targets" : "delegated"));
      md.signed.sortTargets();
      const bytes = await this.signWith(md, this.signers(name), name);
      this.serialized.set(name, bytes);
      snapshot.meta.set(`${name}.json`, this.metaFor(md.signed.version, bytes));
      changed.push({ path: this.metadataPath(name, md.signed.version), data: bytes });
      snapshotChanged = true;
    }
    this.dirty.clear();
    if (snapshotChanged || !this.serialized.has("snapshot")) {
      if (this.serialized.has("snapshot")) snapshot.version += 1;
      snapshot.expires = new Date(this.expiresAt("snapshot"));
      const bytes = await this.signWith(this.snapshotMd, this.signers("snapshot"), "snapshot");
      this.serialized.set("snapshot", bytes);
      changed.push({ path: this.metadataPath("snapshot", snapshot.version), data: bytes });
    }
    changed.push(await this.refreshTimestamp());
    return changed;
  }

  /** Re-signs the timestamp (a new version, a fresh expiry). */
  async refreshTimestamp(): Promise<RepositoryFile> {
    const ts = this.timestampMd.signed;
    if (this.serialized.has("timestamp")) ts.version += 1;
    ts.expires = new Date(this.expiresAt("timestamp"));
    ts.snapshotMeta = this.metaFor(this.snapshotMd.signed.version, this.serialized.get("snapshot") as Buffer);
    const bytes = await this.signWith(this.timestampMd, this.signers("timestamp"), "timestamp");
    this.serialized.set("timestamp", bytes);
    return { path: "metadata/timestamp.json", data: bytes };
  }

  private metadataPath(role: string, version: number): string {
    const consistent = this.rootMd.signed.consistentSnapshot === true;
    return `metadata/${consistent ? `${version}.` : ""}${encodeURIComponent(role)}.json`;
  }

  /** The bytes of the last published version of a role. */
  publishedBytes(role: string): Buffer | undefined {
    return role === "root" ? this.roots.at(-1)?.bytes : this.serialized.get(role);
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
        const slash = targetPath.lastIndexOf("/");
        const dir = targetPath.slice(0, slash + 1);
        const base = targetPath.slice(slash + 1);
        const name = consistent ? `${dir}${file.hashes.get("sha256")}.${base}` : targetPath;
        out.push({ path: `targets/${name}`, data });
      }
    }
    const ts = this.serialized.get("timestamp");
    if (ts !== undefined) out.push({ path: "metadata/timestamp.json", data: ts });
    return out;
  }
}
