/**
 * One inspector of a whole TUF repository, for tools that judge a repository rather than
 * update from it (`bulwark repo verify`, the feed audit). It walks the repository the way
 * a client does (spec §5) with a {@link TrustedMetadataSet}: every root version,
 * timestamp, snapshot and every role of the delegation graph (and, on request, every
 * target file). Where a client stops at the first failure, the inspector goes on wherever
 * what follows can still be checked, and collects every problem (typed, with a code) and
 * the facts its callers report: roles read, their versions and expiry.
 */
import { BulwarkError, DownloadHttpError, DownloadLengthMismatchError, LengthOrHashMismatchError } from "../errors.js";
import { type DelegatedRole, SuccinctRoles } from "../models/delegations.js";
import { Metadata } from "../models/metadata.js";
import type { Root } from "../models/root.js";
import type { Signed } from "../models/signed.js";
import type { Snapshot } from "../models/snapshot.js";
import type { Targets } from "../models/targets.js";
import { TrustedMetadataSet } from "../trusted-metadata-set.js";
import { DEFAULT_UPDATER_CONFIG } from "../updater/config.js";
import { readAll } from "../updater/fetcher.js";
import { encodeName } from "../updater/storage.js";
import { describeRemaining } from "./remaining.js";
import type { RepositorySource } from "./source.js";
import { checkTargetFiles, collectTargets, type TargetToCheck } from "./targets.js";
import type {
  InspectionProblem,
  InspectionProgress,
  InspectOptions,
  RepositoryInspection,
  RoleExpiry,
  RoleKind,
} from "./types.js";

const LIMITS = DEFAULT_UPDATER_CONFIG;
const NO_PROGRESS: InspectionProgress = { tick: () => {}, finish: () => {} };

/**
 * Inspects the repository at `source` as of `options.at`.
 * @throws {DownloadHttpError} (404) when no trusted root is given and the source has none.
 * @throws {BulwarkError} when the trusted root does not parse as root metadata.
 */
export async function inspectRepository(
  source: RepositorySource,
  options: InspectOptions = {},
): Promise<RepositoryInspection> {
  return new Inspection(source, options).run();
}

class Inspection {
  private readonly problems: InspectionProblem[] = [];
  private readonly warnings: InspectionProblem[] = [];
  private readonly roles: RoleExpiry[] = [];
  private readonly binSets = new Map<string, string>();
  private readonly delegated = new Map<string, { metadata: Metadata<Targets>; delegator: string }>();
  private readonly targetFiles = new Map<string, TargetToCheck>();
  private readonly at: number;
  private unread = 0;
  private consistent = false;
  private rootVersions: number[] = [];

  constructor(
    private readonly source: RepositorySource,
    private readonly options: InspectOptions,
  ) {
    this.at = options.at ?? Date.now();
  }

  async run(): Promise<RepositoryInspection> {
    let rootBytes: Uint8Array = this.options.trustedRoot ?? (await this.firstUseRoot());
    const trusted = Metadata.fromBytes(rootBytes, "root");
    let set: TrustedMetadataSet;
    try {
      // Expiry is judged at `at` below, not by the set: with the epoch as its reference
      // time, one expired role does not hide the problems after it.
      set = new TrustedMetadataSet(rootBytes, { referenceTime: new Date(0) });
    } catch (error) {
      this.problem("root", error, { file: "root.json" });
      return this.result({ root: trusted }, false);
    }
    this.rootVersions = [set.root.signed.version];
    rootBytes = await this.rootChain(set, rootBytes);
    this.consistent = set.root.signed.consistentSnapshot === true;
    // 5.3.10: the final root must not be expired (freeze attack).
    this.expiry("root", "root", set.root.signed);
    await this.topLevel(set, rootBytes);
    if (this.options.checkTargets === true) {
      // The targets of every role that verified, even when the walk stopped early.
      this.checked = this.targetFiles.size;
      const found = await checkTargetFiles(this.source, [...this.targetFiles.values()], {
        consistent: this.consistent,
        progress: this.options.progress ?? (() => NO_PROGRESS),
        ...(this.options.signal ? { signal: this.options.signal } : {}),
      });
      this.problems.push(...found);
    }
    return this.result(set, true);
  }

  private result(set: TrustedMetadataSet | { root: Metadata<Root> }, rootVerified: boolean): RepositoryInspection {
    const full = set instanceof TrustedMetadataSet ? set : undefined;
    return {
      source: this.source.label,
      root: set.root,
      rootVerified,
      rootVersions: this.rootVersions.length > 0 ? this.rootVersions : [set.root.signed.version],
      ...(full?.timestamp ? { timestamp: full.timestamp } : {}),
      ...(full?.snapshot ? { snapshot: full.snapshot } : {}),
      ...(full?.targets ? { targets: full.targets } : {}),
      delegated: this.delegated,
      unread: this.unread,
      roles: this.roles,
      binSets: this.binSets,
      problems: this.problems,
      warnings: this.warnings,
      targetsChecked: this.checked,
    };
  }

  private checked: number | null = null;

  /** The source's own root, trusted on first use. */
  private async firstUseRoot(): Promise<Uint8Array> {
    for (const file of ["root.json", "1.root.json"]) {
      try {
        return await this.metadata(file, this.limit("root"));
      } catch (error) {
        if (!(error instanceof DownloadHttpError && (error.status === 404 || error.status === 403))) throw error;
      }
    }
    throw new DownloadHttpError(`no root.json or 1.root.json under ${this.source.label}`, 404);
  }

  /** 5.3.3–5.3.8: each next root version, signed by the old and the new root keys. Returns the newest root's bytes. */
  private async rootChain(set: TrustedMetadataSet, trusted: Uint8Array): Promise<Uint8Array> {
    let newest = trusted;
    const first = set.root.signed.version + 1;
    for (let version = first; version < first + LIMITS.maxRootRotations; version++) {
      const file = `${version}.root.json`;
      let data: Buffer;
      try {
        data = await this.metadata(file, this.limit("root"));
      } catch (error) {
        // Not found: the trusted root is the newest.
        if (error instanceof DownloadHttpError && (error.status === 404 || error.status === 403)) break;
        this.problem("root", error, { file });
        break;
      }
      try {
        set.updateRoot(data);
        newest = data;
        this.rootVersions.push(version);
      } catch (error) {
        // Clients stop here; the inspection goes on with the last root that verified.
        this.problem("root", error, { file, prefix: `${file}: ` });
        break;
      }
    }
    return newest;
  }

  /** 5.4–5.6: timestamp, snapshot (and its history), then the delegation graph. */
  private async topLevel(set: TrustedMetadataSet, rootBytes: Uint8Array): Promise<void> {
    let timestampBytes: Buffer | undefined;
    const timestamp = await this.step("timestamp", "timestamp.json", undefined, async (file, max) => {
      timestampBytes = await this.metadata(file, max);
      return set.updateTimestamp(timestampBytes);
    });
    if (timestamp === undefined || timestampBytes === undefined) return;
    // 5.4.4: the timestamp must not be expired.
    this.expiry("timestamp", "timestamp", timestamp.signed);
    const meta = timestamp.signed.snapshotMeta;
    let snapshotBytes: Buffer | undefined;
    const snapshotFile = `${this.consistent ? `${meta.version}.` : ""}snapshot.json`;
    const snapshot = await this.step("snapshot", snapshotFile, meta.length, async (file, max) => {
      snapshotBytes = await this.metadata(file, max);
      return set.updateSnapshot(snapshotBytes);
    });
    if (snapshot === undefined || snapshotBytes === undefined) return;
    // 5.5.6: the snapshot must not be expired.
    this.expiry("snapshot", "snapshot", snapshot.signed);
    await this.snapshotHistory(rootBytes, timestampBytes, snapshotBytes, snapshot.signed.version);
    const visited = await this.walkTargets(set, snapshot);
    for (const file of snapshot.signed.meta.keys()) {
      const role = file.replace(/\.json$/, "");
      if (!visited.has(role)) {
        this.warnings.push({
          role,
          code: "NOT_DELEGATED",
          message: `snapshot lists ${role}, which no verified role delegates to`,
        });
      }
    }
  }

  /**
   * 5.5.5 between the snapshot clients may hold (the previous version) and the current
   * one: no role may disappear or go back in version. A client that refreshed yesterday
   * would refuse a rollback that a new client accepts.
   */
  private async snapshotHistory(
    rootBytes: Uint8Array,
    timestampBytes: Buffer,
    snapshotBytes: Buffer,
    version: number,
  ): Promise<void> {
    if (!this.consistent || version <= 1) return;
    let previous: Buffer;
    try {
      previous = await this.metadata(`${version - 1}.snapshot.json`, this.limit("snapshot"));
    } catch {
      return; // pruned: nothing to compare with
    }
    const history = new TrustedMetadataSet(rootBytes, { referenceTime: new Date(0) });
    history.updateTimestamp(timestampBytes);
    try {
      history.updateSnapshot(previous, true);
    } catch {
      // Expected: it is not the version the timestamp lists. It is kept if it verified.
    }
    if (history.snapshot?.signed.version !== version - 1) return;
    try {
      history.updateSnapshot(snapshotBytes);
    } catch (error) {
      this.problem("snapshot", error, { prefix: `compared with snapshot version ${version - 1}: ` });
    }
  }

  /** 5.6: every role of the delegation graph, pre-order depth first, each role once. */
  private async walkTargets(set: TrustedMetadataSet, snapshot: Metadata<Snapshot>): Promise<Set<string>> {
    type Edge = { role: string; delegator: string; entry?: DelegatedRole | SuccinctRoles };
    const stack: Edge[] = [{ role: "targets", delegator: "root" }];
    const loaded = new Map<string, boolean>();
    const max = this.options.maxDelegatedRoles ?? Number.POSITIVE_INFINITY;
    let total = 0;
    for (const m of snapshot.signed.meta.values()) total += m.length ?? 0;
    const progress = this.options.progress?.("checking metadata", total) ?? NO_PROGRESS;
    try {
      while (stack.length > 0) {
        const { role, delegator, entry } = stack.pop() as Edge;
        const ok = loaded.get(role);
        if (ok !== undefined) {
          // Reached through another delegator (a diamond): trusted only where its keys signed it.
          if (ok) {
            try {
              set.verifyLoadedDelegate(role, delegator);
            } catch (error) {
              this.problem(role, error, { prefix: `as delegated by ${delegator}: ` });
            }
          }
          continue;
        }
        if (role !== "targets" && this.delegated.size >= max) {
          this.unread++;
          loaded.set(role, false);
          continue;
        }
        const md = await this.loadTargets(set, snapshot, role, delegator, progress);
        loaded.set(role, md !== undefined);
        if (md === undefined) continue;
        if (role !== "targets") this.delegated.set(role, { metadata: md, delegator });
        if (entry instanceof SuccinctRoles) this.binSets.set(role, `${entry.namePrefix}-*`);
        // 5.6.5: not expired.
        this.expiry(role, role === "targets" ? "targets" : "delegated", md.signed);
        this.collect(role, md.signed, entry);
        stack.push(...this.children(role, md.signed).reverse());
      }
    } finally {
      progress.finish();
    }
    return new Set(loaded.keys());
  }

  /** The roles `role` delegates to, in the order a client tries them. */
  private children(
    role: string,
    signed: Targets,
  ): Array<{ role: string; delegator: string; entry: DelegatedRole | SuccinctRoles }> {
    const d = signed.delegations;
    const children: Array<{ role: string; delegator: string; entry: DelegatedRole | SuccinctRoles }> = [];
    for (const r of d?.roles?.values() ?? []) children.push({ role: r.name, delegator: role, entry: r });
    const bins = d?.succinctRoles;
    if (bins === undefined) return children;
    if (this.options.firstBinOnly === true) {
      children.push({ role: bins.binName(0), delegator: role, entry: bins });
      this.unread += bins.numberOfBins - 1;
    } else {
      for (const name of bins.roleNames()) children.push({ role: name, delegator: role, entry: bins });
    }
    return children;
  }

  private async loadTargets(
    set: TrustedMetadataSet,
    snapshot: Metadata<Snapshot>,
    role: string,
    delegator: string,
    progress: InspectionProgress,
  ): Promise<Metadata<Targets> | undefined> {
    const meta = snapshot.signed.meta.get(`${role}.json`);
    if (meta === undefined) {
      this.problems.push({
        role,
        code: "TUF_NOT_IN_SNAPSHOT",
        message: `snapshot does not list ${role}, which ${delegator} delegates to`,
      });
      return undefined;
    }
    const file = `${this.consistent ? `${meta.version}.` : ""}${encodeName(role)}.json`;
    return this.step(role, file, meta.length, async (name, max) => {
      const data = await this.metadata(name, max);
      progress.tick(data.length);
      // 5.6.2–5.6.4: length and hashes as snapshot lists them, signatures of the delegator's keys, version.
      return set.updateDelegatedTargets(data, role, delegator);
    });
  }

  /** Keeps the targets a client can find through this role; warns about the others. */
  private collect(role: string, signed: Targets, entry: DelegatedRole | SuccinctRoles | undefined): void {
    const outside = collectTargets(role, signed, entry, this.targetFiles);
    if (outside.length > 0) {
      this.warnings.push({
        role,
        code: "OUTSIDE_DELEGATION",
        message: `${role} lists ${outside.length} target(s) outside the paths delegated to it, e.g. ${JSON.stringify(outside[0])}: clients will not find them there`,
      });
    }
  }

  private limit(kind: "root" | "timestamp" | "snapshot" | "targets"): number {
    const configured = {
      root: LIMITS.rootMaxLength,
      timestamp: LIMITS.timestampMaxLength,
      snapshot: LIMITS.snapshotMaxLength,
      targets: LIMITS.targetsMaxLength,
    };
    return this.options.maxLength?.[kind] ?? configured[kind];
  }

  private metadata(file: string, maxLength: number): Promise<Buffer> {
    return readAll(this.source.fetcher, this.source.metadataUrl(file), {
      maxLength,
      ...(this.options.signal ? { signal: this.options.signal } : {}),
    });
  }

  /**
   * Reads and verifies one role's file; a failure is a problem, and undefined. A file
   * longer than its signed length is a length mismatch, as it would be once read.
   */
  private async step<T>(
    role: string,
    file: string,
    signedLength: number | undefined,
    fn: (file: string, maxLength: number) => Promise<T>,
  ): Promise<T | undefined> {
    const kind = role === "timestamp" || role === "snapshot" ? role : "targets";
    try {
      return await fn(file, signedLength ?? this.limit(kind));
    } catch (error) {
      const mismatch =
        signedLength !== undefined && error instanceof DownloadLengthMismatchError
          ? new LengthOrHashMismatchError(
              `${file} is longer than the ${signedLength} bytes snapshot or timestamp lists`,
            )
          : error;
      this.problem(role, mismatch, { file });
      return undefined;
    }
  }

  private problem(role: string, error: unknown, where: { file?: string; prefix?: string } = {}): void {
    // Anything but a Bulwark error is a bug here, not a problem of the repository.
    if (!(error instanceof BulwarkError)) throw error;
    const code = error.code === "DOWNLOAD_NOT_FOUND" ? "METADATA_MISSING" : error.code;
    this.problems.push({
      role,
      ...(where.file === undefined ? {} : { file: where.file }),
      code,
      message: `${where.prefix ?? ""}${error.message}`,
      cause: error,
    });
  }

  /** Records a verified role's expiry: a problem when expired, a warning within the warning window. */
  private expiry(name: string, kind: RoleKind, signed: Signed): void {
    const expiresIn = Math.floor((signed.expiresAt - this.at) / 1000);
    this.roles.push({ name, version: signed.version, expires: new Date(signed.expiresAt).toISOString(), expiresIn });
    const left = describeRemaining(signed.expiresAt - this.at);
    if (signed.isExpired(this.at)) {
      this.problems.push({
        role: name,
        code: "TUF_EXPIRED_METADATA",
        message: `${name} version ${signed.version} ${left} (freeze attack, or a stale repository)`,
      });
    } else if (signed.expiresAt - this.at < (this.options.warnWithin?.(kind) ?? 0)) {
      this.warnings.push({
        role: name,
        code: "EXPIRES_SOON",
        message: `${name} version ${signed.version} expires in ${left}`,
      });
    }
  }
}
