import { UsageError } from "../errors.js";
import { DelegatedRole, Delegations, SuccinctRoles } from "../models/delegations.js";
import { computeHashes } from "../models/hashes.js";
import { Metadata } from "../models/metadata.js";
import type { Root } from "../models/root.js";
import { TargetFile } from "../models/target-file.js";
import { Targets } from "../models/targets.js";
import type { Signer } from "../signer.js";
import { isTopLevel, RepositoryState, type RoleKey } from "./repository-state.js";

/**
 * The editing operations of a repository: targets, delegations, hashed bins, keys,
 * thresholds and root changes. Every edit marks what must be re-signed at publish.
 */
export class RepositoryEditor extends RepositoryState {
  /** Replaces a targets role with a working copy (for example one staged on disk); publish signs it. */
  stageTargets(role: string, md: Metadata<Targets>): void {
    this.roles.set(role, md);
    this.dirty.add(role);
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
  protected editRoot(): Root {
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
  protected resign(role: string): void {
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
}
