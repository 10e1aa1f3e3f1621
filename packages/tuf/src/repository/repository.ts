import { UnsignedMetadataError, UsageError } from "../errors.js";
import type { Key } from "../keys.js";
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
import { encodeName } from "../updater/storage.js";
import {
  type CreateRepositoryOptions,
  DEFAULT_EXPIRY,
  type ExpiryPolicy,
  type OpenRepositoryOptions,
  type RepositoryFile,
  type RepositoryOptions,
  type SignerSource,
} from "./options.js";

export {
  type CreateRepositoryOptions,
  DEFAULT_EXPIRY,
  type ExpiryPolicy,
  type OpenRepositoryOptions,
  type RepositoryFile,
  type RepositoryOptions,
  type SignerSource,
} from "./options.js";

function isTopLevel(role: string): role is TopLevelRoleName {
  return (TOP_LEVEL_ROLE_NAMES as readonly string[]).includes(role);
}

/** A public key as a role lists it, for keys whose private half is not here (offline, a KMS). */
export interface RoleKey {
  readonly keyId: string;
  readonly publicKey: Key;
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
  private rootSignersBefore: Signer[] = [];
  private timestampMd: Metadata<Timestamp>;
  private snapshotMd: Metadata<Snapshot>;
  private rootMd: Metadata<Root>;
  readonly expiry: ExpiryPolicy;
  readonly metaHashes: boolean;
  private readonly layout: "canonical" | number;
  private readonly now: () => number;
  private readonly signerSource: SignerSource | undefined;
  private readonly loadTargets: OpenRepositoryOptions["loadTargets"] | undefined;

  private constructor(
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

  /** A new repository with version-1 metadata for every role, signed by {@link publish}. */
  static async create(options: CreateRepositoryOptions): Promise<Repository> {
    const now = options.now ?? Date.now;
    const expiry = { ...DEFAULT_EXPIRY, ...options.expiry };
    const root = new Root({
      consistentSnapshot: options.consistentSnapshot ?? true,
      expiresAt: now() + expiry.root * 1000,
    });
    const repo = new Repository(options, {
      root: new Metadata(root),
      timestamp: new Metadata(new Timestamp({ expiresAt: now() + expiry.timestamp * 1000 })),
      snapshot: new Metadata(new Snapshot({ expiresAt: now() + expiry.snapshot * 1000, meta: new Map() })),
    });
    for (const name of TOP_LEVEL_ROLE_NAMES) {
      const signers = options.signers[name];
      const threshold = options.thresholds?.[name] ?? 1;
      if (signers.length < threshold) {
        throw new UsageError(`${name} needs at least ${threshold} signer(s), got ${signers.length}`);
      }
      root.roles.set(name, new Role([], threshold));
      for (const s of signers) root.addKey(s.publicKey, name, s.keyId);
      repo.signersByRole.set(name, [...signers]);
    }
    repo.roles.set("targets", new Metadata(new Targets({ expiresAt: now() + expiry.targets * 1000 })));
    repo.rootDirty = true;
    repo.dirty.add("targets");
    await repo.publish();
    return repo;
  }

  /**
   * A repository from its published state. Targets roles are read through `loadTargets`
   * only when used, so a change to one hashed bin touches one bin.
   * @throws {MetadataFormatError} when the published metadata does not parse.
   */
  static open(options: OpenRepositoryOptions): Repository {
    if (options.roots.length === 0) throw new UsageError("a repository needs at least one root version");
    const roots = options.roots.map((bytes) => ({ md: Metadata.fromBytes(bytes, "root"), bytes: Buffer.from(bytes) }));
    const repo = new Repository(options, {
      root: Metadata.fromBytes((roots.at(-1) as { bytes: Buffer }).bytes, "root"),
      timestamp: Metadata.fromBytes(options.timestamp, "timestamp"),
      snapshot: Metadata.fromBytes(options.snapshot, "snapshot"),
      loadTargets: options.loadTargets,
    });
    repo.roots.push(...roots);
    repo.serialized.set("timestamp", Buffer.from(options.timestamp));
    repo.serialized.set("snapshot", Buffer.from(options.snapshot));
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

  /** Replaces a targets role with a working copy (for example one staged on disk); publish signs it. */
  stageTargets(role: string, md: Metadata<Targets>): void {
    this.roles.set(role, md);
    this.dirty.add(role);
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

  /** Marks a targets role as changed, so {@link publish} bumps and signs it. */
  touch(role: string): void {
    if (role === "root") {
      this.editRoot();
      return;
    }
    this.targets(role);
    this.dirty.add(role);
  }

  /**
   * The next root version, opened for editing: a copy of the published root with the
   * version bumped and a fresh expiry. Signatures collected so far are dropped, since the
   * content changes.
   */
  private editRoot(): Root {
    if (!this.rootDirty) {
      this.rootSignersBefore = [...this.signers("root")];
      const published = this.roots.at(-1);
      if (published !== undefined) {
        this.rootMd = Metadata.fromBytes(published.bytes, "root");
        this.rootMd.signed.version += 1;
      }
      this.rootDirty = true;
    }
    this.rootMd.signed.expires = new Date(this.expiresAt("root"));
    this.rootMd.signatures.clear();
    return this.rootMd.signed;
  }

  /**
   * Takes a root version prepared elsewhere (for example staged on disk, with signatures
   * collected offline) as the next root. Its version must follow the published one.
   * @throws {UsageError} for any other version.
   */
  stageRoot(md: Metadata<Root>): void {
    const expected = (this.roots.at(-1)?.md.signed.version ?? 0) + 1;
    if (md.signed.version !== expected) {
      throw new UsageError(`the staged root is version ${md.signed.version}, the next version is ${expected}`);
    }
    this.rootSignersBefore = [...this.signers("root")];
    this.rootMd = md;
    this.rootDirty = true;
  }

  /** The staged next root (with the signatures it has), or undefined when root has not changed. */
  stagedRoot(): Metadata<Root> | undefined {
    return this.rootDirty && this.roots.length > 0 ? this.rootMd : undefined;
  }

  /**
   * The role that should list `targetPath`: the first delegated role (pre-order, as clients
   * search) whose paths match, down to a hashed bin; `delegator` itself when none does.
   */
  roleForTarget(targetPath: string, delegator = "targets", seen = new Set<string>()): string {
    seen.add(delegator);
    const delegations = this.targets(delegator).signed.delegations;
    if (delegations === undefined) return delegator;
    for (const { name } of delegations.rolesForTarget(targetPath)) {
      if (!seen.has(name)) return this.roleForTarget(targetPath, name, seen);
    }
    return delegator;
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
   * trusted for `paths` (or `pathHashPrefixes`), signed by `threshold` of its keys: those of
   * `signers`, and `keys` whose private half is elsewhere (a signer source supplies them).
   * @throws {UsageError} when the name is taken or the delegator uses hashed bins.
   */
  delegate(
    delegator: string,
    role: {
      name: string;
      paths?: string[];
      pathHashPrefixes?: string[];
      terminating?: boolean;
      threshold?: number;
      signers?: readonly Signer[];
      keys?: readonly RoleKey[];
    },
  ): Metadata<Targets> {
    if (this.roles.has(role.name) || isTopLevel(role.name) || this.targetsRoleNames().includes(role.name)) {
      throw new UsageError(`a role named ${JSON.stringify(role.name)} already exists`);
    }
    const parent = this.targets(delegator).signed;
    parent.delegations ??= new Delegations(new Map(), new Map());
    const delegations = parent.delegations;
    if (delegations.roles === undefined) throw new UsageError(`${delegator} delegates with hashed bins already`);
    const signers = role.signers ?? [];
    const keys: RoleKey[] = [...signers, ...(role.keys ?? [])];
    for (const k of keys) delegations.keys.set(k.keyId, k.publicKey);
    delegations.roles.set(
      role.name,
      new DelegatedRole(
        role.name,
        [...new Set(keys.map((k) => k.keyId))],
        role.threshold ?? 1,
        role.terminating ?? false,
        role.paths ?? (role.pathHashPrefixes === undefined ? ["*"] : undefined),
        role.pathHashPrefixes,
      ),
    );
    const md = new Metadata(new Targets({ expiresAt: this.expiresAt("delegated") }));
    this.roles.set(role.name, md);
    this.signersByRole.set(role.name, [...signers]);
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
    this.addKey(role, signer);
    const list = [...this.signers(role).filter((s) => s.keyId !== signer.keyId), signer];
    this.signersByRole.set(role, list);
  }

  /**
   * Adds a public key to a role without a signer: its private half is elsewhere (offline,
   * a KMS), and a signer source or offline signatures supply its signatures.
   * @throws {UsageError} when `role` is neither top-level nor delegated.
   */
  addKey(role: string, key: RoleKey): void {
    if (isTopLevel(role)) {
      this.editRoot().addKey(key.publicKey, role, key.keyId);
    } else {
      const { delegator, entry } = this.findDelegation(role);
      this.targets(delegator).signed.delegations?.keys.set(key.keyId, key.publicKey);
      if (!entry.keyids.includes(key.keyId)) entry.keyids.push(key.keyId);
      this.dirty.add(delegator);
    }
    this.resign(role);
  }

  /** Removes a key from a role (revocation); its signer no longer signs the role. */
  revokeKey(role: string, keyId: string): void {
    if (isTopLevel(role)) {
      this.editRoot().revokeKey(keyId, role);
    } else {
      const { delegator, entry } = this.findDelegation(role);
      entry.keyids = entry.keyids.filter((id) => id !== keyId);
      const delegations = this.targets(delegator).signed.delegations;
      // A key no other role of this delegator uses is dropped from its key list too.
      const used = [...(delegations?.roles?.values() ?? [])].some((r) => r.keyids.includes(keyId));
      if (!used && !delegations?.succinctRoles?.keyids.includes(keyId)) delegations?.keys.delete(keyId);
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
  private async resolveSigners(
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

  /**
   * Signs `md` as `role` with every available key of the role and returns the file bytes.
   * @throws {UsageError} `SIGNERS_MISSING` when fewer keys than the threshold are available.
   */
  private async signRole(md: Metadata, role: string): Promise<Buffer> {
    const { keyids, threshold } = this.roleKeys(role);
    const signers = await this.resolveSigners(role, keyids);
    if (signers.length < threshold) {
      const have = new Set(signers.map((s) => s.keyId));
      throw new UsageError(
        `${role} needs ${threshold} signature(s) but only ${signers.length} of its keys are available here; ` +
          `missing: ${keyids.filter((k) => !have.has(k)).join(", ")}`,
        { code: "SIGNERS_MISSING" },
      );
    }
    const bytes = md.signedBytes();
    md.signatures.clear();
    for (const s of signers) await md.sign(s, { signedBytes: bytes });
    return this.encode(md, bytes);
  }

  private encode(md: Metadata, signedBytes: Buffer): Buffer {
    return this.layout === "canonical"
      ? md.toCanonicalLayoutBytes(signedBytes)
      : Buffer.concat([md.toBytes({ indent: this.layout }), Buffer.from("\n")]);
  }

  /**
   * Adds every available signature to the next root and checks it is signed by the
   * thresholds of both the previous and the new root (spec 5.3.4).
   * @throws {UsageError} `ROOT_SIGNATURES_NEEDED` naming the keys still needed.
   */
  private async signRoot(): Promise<Buffer> {
    const md = this.rootMd;
    const previous = this.roots.at(-1)?.md;
    const keyids = [...new Set([...(previous?.signed.role("root").keyids ?? []), ...md.signed.role("root").keyids])];
    const bytes = md.signedBytes();
    for (const s of await this.resolveSigners("root", keyids, this.rootSignersBefore)) {
      if (!md.signatures.has(s.keyId)) await md.sign(s, { signedBytes: bytes });
    }
    const missing: string[] = [];
    for (const [label, trusted] of [
      ["previous", previous],
      ["new", md],
    ] as const) {
      if (trusted === undefined) continue;
      try {
        trusted.verifyDelegate("root", md, bytes);
      } catch (error) {
        if (!(error instanceof UnsignedMetadataError)) throw error;
        const role = trusted.signed.role("root");
        const count = Metadata.countSignatures(trusted.signed.keys, role, md, bytes);
        missing.push(
          `${count.signed.length} of the ${role.threshold} ${label} root key signature(s) required ` +
            `(unsigned: ${count.unsigned.join(", ")})`,
        );
      }
    }
    if (missing.length > 0) {
      throw new UsageError(`root version ${md.signed.version} has ${missing.join("; and ")}`, {
        code: "ROOT_SIGNATURES_NEEDED",
      });
    }
    return this.encode(md, bytes);
  }

  private metaFor(version: number, bytes: Buffer): MetaFile {
    return this.metaHashes ? new MetaFile(version, bytes.length, computeHashes(bytes)) : new MetaFile(version);
  }

  /**
   * Bumps, re-signs and serialises every role that changed, then snapshot and timestamp.
   * A root change produces the next root version, which must carry the thresholds of the
   * old and the new root keys. Returns the files that changed; nothing changes in memory
   * when signing fails.
   */
  async publish(options: { force?: boolean } = {}): Promise<RepositoryFile[]> {
    const changed: RepositoryFile[] = [];
    let rootBytes: Buffer | undefined;
    if (this.rootDirty) {
      rootBytes = await this.signRoot();
      changed.push({ path: `metadata/${this.rootMd.signed.version}.root.json`, data: rootBytes });
    }
    const snapshot = this.snapshotMd.signed;
    const signedRoles = new Map<string, Buffer>();
    for (const name of this.dirty) {
      const md = this.targets(name);
      md.signed.version = (snapshot.meta.get(`${name}.json`)?.version ?? 0) + 1;
      md.signed.expires = new Date(this.expiresAt(name === "targets" ? "targets" : "delegated"));
      md.signed.sortTargets();
      signedRoles.set(name, await this.signRole(md, name));
    }
    const snapshotChanged = options.force === true || this.forceSnapshot || signedRoles.size > 0;
    const meta = new Map(snapshot.meta);
    for (const [name, bytes] of signedRoles) {
      const md = this.targets(name);
      meta.set(`${name}.json`, this.metaFor(md.signed.version, bytes));
      changed.push({ path: this.metadataPath(name, md.signed.version), data: bytes });
    }
    let snapshotBytes = this.serialized.get("snapshot");
    if (snapshotChanged || snapshotBytes === undefined) {
      const next = new Metadata(
        new Snapshot({
          version: snapshotBytes === undefined ? 1 : snapshot.version + 1,
          expiresAt: this.expiresAt("snapshot"),
          meta,
          unrecognized: snapshot.unrecognized,
        }),
      );
      snapshotBytes = await this.signRole(next, "snapshot");
      changed.push({ path: this.metadataPath("snapshot", next.signed.version), data: snapshotBytes });
      this.snapshotMd = next;
    }
    const timestamp = await this.signTimestamp(snapshotBytes);
    // Signing succeeded for every role: commit the new state.
    if (rootBytes !== undefined) {
      this.roots.push({ md: Metadata.fromBytes(rootBytes, "root"), bytes: rootBytes });
      this.rootDirty = false;
      this.rootSignersBefore = [];
    }
    for (const [name, bytes] of signedRoles) this.serialized.set(name, bytes);
    this.serialized.set("snapshot", snapshotBytes);
    this.serialized.set("timestamp", timestamp.bytes);
    this.timestampMd = timestamp.md;
    this.dirty.clear();
    this.forceSnapshot = false;
    changed.push({ path: "metadata/timestamp.json", data: timestamp.bytes });
    return changed;
  }

  private async signTimestamp(snapshotBytes: Buffer): Promise<{ md: Metadata<Timestamp>; bytes: Buffer }> {
    const old = this.timestampMd.signed;
    const md = new Metadata(
      new Timestamp({
        version: this.serialized.has("timestamp") ? old.version + 1 : 1,
        expiresAt: this.expiresAt("timestamp"),
        snapshotMeta: this.metaFor(this.snapshotMd.signed.version, snapshotBytes),
        unrecognized: old.unrecognized,
      }),
    );
    return { md, bytes: await this.signRole(md, "timestamp") };
  }

  /** Re-signs the timestamp (a new version, a fresh expiry) for the current snapshot. */
  async refreshTimestamp(): Promise<RepositoryFile> {
    const snapshotBytes = this.serialized.get("snapshot");
    if (snapshotBytes === undefined) throw new UsageError("publish the repository first");
    const { md, bytes } = await this.signTimestamp(snapshotBytes);
    this.timestampMd = md;
    this.serialized.set("timestamp", bytes);
    return { path: "metadata/timestamp.json", data: bytes };
  }

  /** Makes the next {@link publish} re-sign snapshot even when no targets role changed. */
  resignSnapshot(): void {
    this.forceSnapshot = true;
  }

  private metadataPath(role: string, version: number): string {
    const consistent = this.rootMd.signed.consistentSnapshot === true;
    return `metadata/${consistent ? `${version}.` : ""}${encodeName(role)}.json`;
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
