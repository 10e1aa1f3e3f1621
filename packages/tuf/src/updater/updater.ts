import { randomBytes } from "node:crypto";
import { createReadStream, promises as fs } from "node:fs";
import path from "node:path";
import {
  DelegationLimitError,
  DownloadHttpError,
  DownloadLengthMismatchError,
  EqualVersionNumberError,
  LengthOrHashMismatchError,
  MetadataFormatError,
  RepositoryError,
  UnsafeNameError,
  UsageError,
} from "../errors.js";
import { hashPrefixedPath } from "../models/canonical-layout.js";
import { HashVerifier, longerThanSigned, shorterThanSigned } from "../models/hashes.js";
import type { Metadata } from "../models/metadata.js";
import type { Root } from "../models/root.js";
import type { TargetFile } from "../models/target-file.js";
import type { Targets } from "../models/targets.js";
import { TrustedMetadataSet } from "../trusted-metadata-set.js";
import { DEFAULT_UPDATER_CONFIG, type UpdaterConfig } from "./config.js";
import { type Fetcher, readAll } from "./fetcher.js";
import { HttpFetcher } from "./http-fetcher.js";
import { encodeName, readFileIfExists, syncDirectory, targetFileName, writeFileAtomic } from "./storage.js";

/** Where an {@link Updater} reads and writes, and how it fetches. */
export interface UpdaterOptions {
  /** Directory of trusted metadata; must hold `root.json` unless `bootstrap` is given. */
  readonly metadataDir: string;
  /** Base URL of the repository's metadata. */
  readonly metadataBaseUrl: string;
  /** Where downloaded targets go by default. */
  readonly targetDir?: string;
  /** Base URL of the repository's targets. */
  readonly targetBaseUrl?: string;
  /** Trusted root bytes to start from instead of `metadataDir/root.json`. */
  readonly bootstrap?: Uint8Array;
  readonly fetcher?: Fetcher;
  readonly config?: Partial<UpdaterConfig>;
  /** The instant metadata expiry is judged against. Default: now. */
  readonly referenceTime?: Date;
}

/** True when `role`'s keys or threshold differ between two roots. */
function rotated(before: Root, after: Root, role: "timestamp" | "snapshot"): boolean {
  const a = before.role(role);
  const b = after.role(role);
  return (
    a.threshold !== b.threshold || a.keyids.length !== b.keyids.length || a.keyids.some((id) => !b.keyids.includes(id))
  );
}

function withSlash(url: string): string {
  return url.endsWith("/") ? url : `${url}/`;
}

/**
 * The TUF client workflow (spec §5): refresh top-level metadata, look targets up through
 * delegations, download and verify them. Trust decisions happen in a
 * {@link TrustedMetadataSet}; this class fetches, caches and persists.
 */
export class Updater {
  readonly config: UpdaterConfig;
  private readonly fetcher: Fetcher;
  private readonly metadataBaseUrl: string;
  private trusted: TrustedMetadataSet | undefined;
  private refreshed = false;

  constructor(private readonly options: UpdaterOptions) {
    this.config = { ...DEFAULT_UPDATER_CONFIG, ...options.config };
    this.fetcher = options.fetcher ?? new HttpFetcher();
    this.metadataBaseUrl = withSlash(options.metadataBaseUrl);
  }

  /** The trusted metadata, once loaded. */
  get trustedSet(): TrustedMetadataSet {
    if (this.trusted === undefined) throw new UsageError("call refresh() first");
    return this.trusted;
  }

  private async loadTrustedRoot(): Promise<TrustedMetadataSet> {
    const data = this.options.bootstrap ?? (await readFileIfExists(this.metadataPath("root")));
    if (data === undefined) {
      throw new UsageError(`no trusted root: ${this.metadataPath("root")} does not exist`, { code: "NO_TRUSTED_ROOT" });
    }
    const set = new TrustedMetadataSet(data, {
      lenientDates: this.config.lenientDates,
      ...(this.options.referenceTime ? { referenceTime: this.options.referenceTime } : {}),
    });
    if (this.options.bootstrap !== undefined) await this.persist("root", this.options.bootstrap);
    return set;
  }

  /**
   * Updates root, timestamp, snapshot and top-level targets (spec 5.3–5.6).
   * @throws {RepositoryError} or {@link DownloadError} when any step fails; what was
   * verified before the failure is kept.
   */
  async refresh(): Promise<void> {
    this.trusted = await this.loadTrustedRoot();
    await this.loadRoot();
    await this.loadTimestamp();
    await this.loadSnapshot();
    await this.loadTargets("targets", "root");
    this.refreshed = true;
  }

  private async loadRoot(): Promise<void> {
    const set = this.trustedSet;
    const before = set.root.signed;
    await this.walkRootVersions();
    const after = set.root.signed;
    // 5.3.11: when the timestamp or snapshot keys rotated, the trusted timestamp and
    // snapshot are dropped, so a fast-forward attack on either can be recovered from.
    if (after !== before && (rotated(before, after, "timestamp") || rotated(before, after, "snapshot"))) {
      await fs.rm(this.metadataPath("timestamp"), { force: true });
      await fs.rm(this.metadataPath("snapshot"), { force: true });
    }
  }

  private async walkRootVersions(): Promise<void> {
    const set = this.trustedSet;
    const lower = set.root.signed.version + 1;
    // 5.3.3: a bounded number of rotations per refresh.
    for (let version = lower; version < lower + this.config.maxRootRotations; version++) {
      let data: Buffer;
      try {
        data = await this.downloadMetadata("root", undefined, this.config.rootMaxLength, version);
      } catch (error) {
        // 404/403: the trusted root is the newest.
        if (error instanceof DownloadHttpError && (error.status === 404 || error.status === 403)) return;
        throw error;
      }
      naming(`${version}.root.json`, () => set.updateRoot(data));
      await this.persist("root", data);
    }
  }

  private async loadTimestamp(): Promise<void> {
    const set = this.trustedSet;
    const local = await readFileIfExists(this.metadataPath("timestamp"));
    if (local !== undefined) {
      try {
        set.updateTimestamp(local);
      } catch (error) {
        // A local timestamp that no longer verifies (rotated keys after a fast-forward
        // attack) or has expired is not final; an expired one still guards rollback.
        if (!(error instanceof RepositoryError)) throw error;
      }
    }
    const data = await this.downloadMetadata("timestamp", undefined, this.config.timestampMaxLength);
    try {
      naming("timestamp.json", () => set.updateTimestamp(data));
    } catch (error) {
      if (error instanceof EqualVersionNumberError) return;
      throw error;
    }
    await this.persist("timestamp", data);
  }

  private async loadSnapshot(): Promise<void> {
    const set = this.trustedSet;
    const local = await readFileIfExists(this.metadataPath("snapshot"));
    if (local !== undefined) {
      try {
        set.updateSnapshot(local, true);
        return;
      } catch (error) {
        if (!(error instanceof RepositoryError)) throw error;
      }
    }
    const meta = set.timestamp?.signed.snapshotMeta;
    if (meta === undefined) throw new UsageError("timestamp is not loaded");
    const version = set.root.signed.consistentSnapshot ? meta.version : undefined;
    const data = await this.downloadMetadata("snapshot", meta.length, this.config.snapshotMaxLength, version);
    naming(metadataFileName("snapshot", version), () => set.updateSnapshot(data));
    await this.persist("snapshot", data);
  }

  private async loadTargets(role: string, delegator: string): Promise<Metadata<Targets>> {
    const set = this.trustedSet;
    if (set.getTargetsRole(role) !== undefined) return set.verifyLoadedDelegate(role, delegator);
    const local = await readFileIfExists(this.metadataPath(role));
    if (local !== undefined) {
      try {
        return set.updateDelegatedTargets(local, role, delegator);
      } catch (error) {
        if (!(error instanceof RepositoryError)) throw error;
      }
    }
    const meta = set.snapshot?.signed.meta.get(`${role}.json`);
    if (meta === undefined) {
      throw new RepositoryError("TUF_NOT_IN_SNAPSHOT", `snapshot does not list ${JSON.stringify(role)}`);
    }
    const version = set.root.signed.consistentSnapshot ? meta.version : undefined;
    const data = await this.downloadMetadata(role, meta.length, this.config.targetsMaxLength, version);
    const verified = naming(metadataFileName(role, version), () => set.updateDelegatedTargets(data, role, delegator));
    await this.persist(role, data);
    return verified;
  }

  /**
   * Finds the signed description of `targetPath`, walking delegations in pre-order
   * depth-first order (spec 5.6.7). Returns undefined when no trusted role lists it.
   * @throws {RepositoryError} when a role on the way fails verification.
   */
  async getTargetInfo(targetPath: string): Promise<TargetFile | undefined> {
    if (!this.refreshed) await this.refresh();
    const toVisit: Array<[string, string]> = [["targets", "root"]];
    const visited = new Set<string>();
    while (toVisit.length > 0) {
      const [role, delegator] = toVisit.pop() as [string, string];
      // A cycle or a diamond reaches a role twice: visit it once per lookup.
      if (visited.has(role)) continue;
      // 5.6.7: top-level targets plus at most maxDelegations delegated roles.
      if (visited.size > this.config.maxDelegations) {
        throw new DelegationLimitError(
          `looking up ${JSON.stringify(targetPath)} needs more than ${this.config.maxDelegations} delegations`,
        );
      }
      const targets = (await this.loadTargets(role, delegator)).signed;
      const found = targets.targets.get(targetPath);
      if (found !== undefined) return found;
      visited.add(role);
      if (targets.delegations === undefined) continue;
      const children: Array<[string, string]> = [];
      for (const child of targets.delegations.rolesForTarget(targetPath)) {
        children.push([child.name, role]);
        if (child.terminating) {
          // 5.6.7.2.1: a terminating delegation ends the search after this role.
          toVisit.length = 0;
          break;
        }
      }
      toVisit.push(...children.reverse());
    }
    return undefined;
  }

  /** The local file a target is stored at, by default. */
  targetPath(target: TargetFile, targetDir = this.options.targetDir): string {
    if (targetDir === undefined) throw new UsageError("no target directory given");
    return path.join(targetDir, targetFileName(target.path));
  }

  /**
   * Returns the local path of `target` when a file there has the signed length and hashes,
   * else undefined. Nothing is reused without this check.
   */
  async findCachedTarget(target: TargetFile, filePath = this.targetPath(target)): Promise<string | undefined> {
    try {
      const stat = await fs.stat(filePath);
      if (!stat.isFile() || stat.size !== target.length) return undefined;
      const verifier = new HashVerifier(target.hashes, `cached target ${JSON.stringify(target.path)}`);
      for await (const chunk of createReadStream(filePath, { highWaterMark: 1 << 20 })) verifier.update(chunk);
      verifier.verify();
      return filePath;
    } catch (error) {
      if (error instanceof LengthOrHashMismatchError || (error as NodeJS.ErrnoException).code === "ENOENT") {
        return undefined;
      }
      throw error;
    }
  }

  /**
   * Downloads `target`, verifies its length and hashes while streaming, and moves it
   * into place atomically (spec 5.7). Returns the file path.
   * @throws {LengthOrHashMismatchError} / {@link DownloadError}; nothing is left at the path.
   */
  async downloadTarget(target: TargetFile, filePath?: string, targetBaseUrl?: string): Promise<string> {
    const dest = filePath ?? this.targetPath(target);
    const url = this.targetUrl(target, targetBaseUrl);
    const what = `target ${JSON.stringify(target.path)}`;
    const verifier = new HashVerifier(target.hashes, what);
    // Exclusive and unpredictable: never follows a planted symlink, never shared.
    const tmp = path.join(path.dirname(dest), `.${path.basename(dest)}.${randomBytes(8).toString("hex")}.part`);
    const handle = await fs.open(tmp, "wx", 0o644);
    let ok = false;
    try {
      let received = 0;
      try {
        for await (const chunk of this.fetcher.fetch(url, { maxLength: target.length })) {
          received += chunk.length;
          if (received > target.length) throw longerThanSigned(what, target.length);
          verifier.update(chunk);
          await handle.write(chunk);
        }
      } catch (error) {
        // The fetcher stops at the signed length too: one error for a file that is too long.
        throw error instanceof DownloadLengthMismatchError ? longerThanSigned(what, target.length) : error;
      }
      if (received < target.length) throw shorterThanSigned(what, received, target.length);
      verifier.verify();
      await handle.sync();
      ok = true;
    } finally {
      await handle.close();
      if (!ok) await fs.rm(tmp, { force: true });
    }
    await fs.rename(tmp, dest);
    await syncDirectory(path.dirname(dest));
    return dest;
  }

  /**
   * The URL `target` is downloaded from: hash-prefixed under consistent snapshots (spec
   * 5.7.3), each path segment percent-encoded.
   * @throws {UnsafeNameError} for a path with an empty, `.` or `..` segment.
   */
  targetUrl(target: TargetFile, targetBaseUrl?: string): string {
    const base = targetBaseUrl ?? this.options.targetBaseUrl;
    if (base === undefined) throw new UsageError("no target base URL given");
    let remotePath = target.path;
    if (this.trustedSet.root.signed.consistentSnapshot && this.config.prefixTargetsWithHash) {
      // 5.7.3: consistent snapshots store targets as <dir>/<hash>.<name>.
      remotePath = hashPrefixedPath(remotePath, target.hashes.values().next().value as string);
    }
    const segments = remotePath.split("/");
    if (segments.some((seg) => seg === "" || seg === "." || seg === "..")) {
      throw new UnsafeNameError(`the target path ${JSON.stringify(target.path)} has an empty, "." or ".." segment`);
    }
    return `${withSlash(base)}${segments.map(encodeName).join("/")}`;
  }

  /** The fetcher this updater downloads with. */
  get fetcherInUse(): Fetcher {
    return this.fetcher;
  }

  private metadataPath(role: string): string {
    return path.join(this.options.metadataDir, `${encodeName(role)}.json`);
  }

  /**
   * Downloads a metadata file: at most its `signedLength` when the timestamp or snapshot
   * lists one (longer is a {@link LengthOrHashMismatchError}, as for targets), otherwise at
   * most `bound` bytes (longer is a {@link DownloadLengthMismatchError}: endless data).
   */
  private async downloadMetadata(
    role: string,
    signedLength: number | undefined,
    bound: number,
    version?: number,
  ): Promise<Buffer> {
    const name = metadataFileName(role, version);
    try {
      return await readAll(this.fetcher, `${this.metadataBaseUrl}${name}`, { maxLength: signedLength ?? bound });
    } catch (error) {
      if (signedLength !== undefined && error instanceof DownloadLengthMismatchError) {
        throw longerThanSigned(name, signedLength);
      }
      throw error;
    }
  }

  private async persist(role: string, data: Uint8Array): Promise<void> {
    await writeFileAtomic(this.metadataPath(role), data);
  }
}

/** The file name of `role`'s metadata, version-prefixed under consistent snapshots. */
function metadataFileName(role: string, version: number | undefined): string {
  return `${version === undefined ? "" : `${version}.`}${encodeName(role)}.json`;
}

/**
 * Runs `verify` on the bytes of metadata file `file`; a format error says which file it is
 * (the model names the field: `dev.signed.expires`, so both the file and the role are named).
 */
function naming<T>(file: string, verify: () => T): T {
  try {
    return verify();
  } catch (error) {
    if (error instanceof MetadataFormatError)
      throw new MetadataFormatError(`${file}: ${error.message}`, { cause: error });
    throw error;
  }
}
