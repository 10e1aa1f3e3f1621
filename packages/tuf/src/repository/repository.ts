import { UnsignedMetadataError, UsageError } from "../errors.js";
import { Metadata } from "../models/metadata.js";
import { Role } from "../models/role.js";
import { Root } from "../models/root.js";
import { Snapshot } from "../models/snapshot.js";
import { Targets } from "../models/targets.js";
import { Timestamp } from "../models/timestamp.js";
import { TOP_LEVEL_ROLE_NAMES } from "../spec.js";
import {
  type CreateRepositoryOptions,
  DEFAULT_EXPIRY,
  type OpenRepositoryOptions,
  type RepositoryFile,
} from "./options.js";

import { RepositoryEditor } from "./repository-editing.js";

export {
  type CreateRepositoryOptions,
  DEFAULT_EXPIRY,
  type ExpiryPolicy,
  type OpenRepositoryOptions,
  type RepositoryFile,
  type RepositoryOptions,
  type SignerSource,
} from "./options.js";
export { RepositoryEditor } from "./repository-editing.js";
export { RepositoryState, type RoleKey } from "./repository-state.js";

/**
 * A TUF repository held in memory: create it, edit roles, add targets, delegate, rotate
 * keys, then {@link publish} to bump versions and sign what changed. {@link files} gives
 * the static tree a web server or object store can serve.
 */
export class Repository extends RepositoryEditor {
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

  /**
   * Signs `md` as `role` with every available key of the role and returns the file bytes.
   * @throws {UsageError} `SIGNERS_MISSING` when fewer keys than the threshold are available.
   */
  protected async signRole(md: Metadata, role: string): Promise<Buffer> {
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

  /**
   * Adds every available signature to the next root and checks it is signed by the
   * thresholds of both the previous and the new root (spec 5.3.4).
   * @throws {UsageError} `ROOT_SIGNATURES_NEEDED` naming the keys still needed.
   */
  protected async signRoot(): Promise<Buffer> {
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

  protected async signTimestamp(snapshotBytes: Buffer): Promise<{ md: Metadata<Timestamp>; bytes: Buffer }> {
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
}
