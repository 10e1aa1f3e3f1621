/**
 * The TUF client workflow over a whole repository, for `bulwark repo verify`: where a
 * client follows one path, the walk visits every role and every target file, and records
 * every problem instead of stopping at the first.
 */
import path from "node:path";
import type { RefreshKind } from "@bulwark/publisher";
import { describeRemaining } from "@bulwark/publisher";
import {
  BulwarkError,
  DEFAULT_UPDATER_CONFIG,
  type DelegatedRole,
  DownloadHttpError,
  DownloadLengthMismatchError,
  encodeName,
  type Fetcher,
  HashVerifier,
  HttpFetcher,
  type Metadata,
  readAll,
  type Signed,
  type Snapshot,
  SuccinctRoles,
  type TargetFile,
  type Targets,
  TrustedMetadataSet,
} from "@bulwark/tuf";
import { FileFetcher } from "../external/file-fetcher.js";
import type { Progress } from "../ui/progress.js";

/** Target files checked at the same time. */
export const TARGET_CONCURRENCY = 8;
/** Size limits and switches, the client's. */
const LIMITS = DEFAULT_UPDATER_CONFIG;

/** A problem (or, among warnings, a concern) found while verifying. */
export interface Finding {
  readonly role?: string;
  readonly target?: string;
  readonly code: string;
  readonly message: string;
}

/** A role that verified, with its expiry as of the reference time. */
export interface RoleReport {
  readonly name: string;
  readonly version: number;
  readonly expires: string;
  /** Seconds from the reference time; negative when expired. */
  readonly expiresIn: number;
}

/** Where the repository's static tree is read from. */
export interface Source {
  readonly label: string;
  readonly local: boolean;
  readonly fetcher: Fetcher;
  metadataUrl(file: string): string;
  targetUrl(segments: readonly string[]): string;
}

/** The static tree served under an http(s) URL. */
export function httpSource(url: string): Source {
  const base = url.endsWith("/") ? url : `${url}/`;
  return {
    label: base,
    local: false,
    fetcher: new HttpFetcher(),
    metadataUrl: (file) => `${base}metadata/${file}`,
    targetUrl: (segments) => `${base}targets/${segments.map(encodeName).join("/")}`,
  };
}

/** The static tree in a local folder. */
export function fileSource(dir: string): Source {
  return {
    label: dir,
    local: true,
    fetcher: new FileFetcher(),
    // Metadata files are stored under their encoded names, targets under their own path.
    metadataUrl: (file) => path.join(dir, "metadata", file),
    targetUrl: (segments) => path.join(dir, "targets", ...segments),
  };
}

/**
 * The TUF client workflow (spec §5) over a whole repository: every root version, timestamp,
 * snapshot, every role of the delegation graph and (optionally) every target file, with a
 * {@link TrustedMetadataSet}. It goes on past a failure wherever what follows can still be
 * checked, and collects every problem.
 */
export class RepositoryWalk {
  readonly problems: Finding[] = [];
  readonly warnings: Finding[] = [];
  readonly roles: RoleReport[] = [];
  /** Roles that are hashed bins, by the summary name of their set (`bins-*`). */
  readonly binSets = new Map<string, string>();
  private readonly targets = new Map<string, { file: TargetFile; role: string }>();
  private consistent = false;

  constructor(
    private readonly source: Source,
    private readonly set: TrustedMetadataSet,
    private rootBytes: Uint8Array,
    private readonly at: number,
    private readonly warnWindow: (kind: RefreshKind) => number,
    private readonly progress: (label: string, total: number) => Progress,
  ) {}

  async run(): Promise<void> {
    const set = this.set;
    await this.rootChain();
    this.consistent = set.root.signed.consistentSnapshot === true;
    // 5.3.10: the final root must not be expired (freeze attack).
    this.expiry("root", "root", set.root.signed);
    let timestampBytes: Buffer | undefined;
    const timestamp = await this.step("timestamp", async () => {
      timestampBytes = await this.metadata("timestamp.json", LIMITS.timestampMaxLength);
      return set.updateTimestamp(timestampBytes);
    });
    if (timestamp === undefined || timestampBytes === undefined) return;
    // 5.4.4: the timestamp must not be expired.
    this.expiry("timestamp", "timestamp", timestamp.signed);
    const meta = timestamp.signed.snapshotMeta;
    let snapshotBytes: Buffer | undefined;
    const snapshot = await this.step("snapshot", async () => {
      const file = `${this.consistent ? `${meta.version}.` : ""}snapshot.json`;
      snapshotBytes = await this.metadata(file, meta.length ?? LIMITS.snapshotMaxLength);
      return set.updateSnapshot(snapshotBytes);
    });
    if (snapshot === undefined || snapshotBytes === undefined) return;
    // 5.5.6: the snapshot must not be expired.
    this.expiry("snapshot", "snapshot", snapshot.signed);
    await this.snapshotHistory(timestampBytes, snapshotBytes, snapshot.signed.version);
    const visited = await this.walkTargets(snapshot);
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

  /** 5.3.3–5.3.8: each next root version, signed by the old and the new root keys. */
  private async rootChain(): Promise<void> {
    const first = this.set.root.signed.version + 1;
    for (let version = first; version < first + LIMITS.maxRootRotations; version++) {
      let data: Buffer;
      try {
        data = await this.metadata(`${version}.root.json`, LIMITS.rootMaxLength);
      } catch (error) {
        // Not found: the trusted root is the newest.
        if (error instanceof DownloadHttpError && (error.status === 404 || error.status === 403)) return;
        this.problem("root", error);
        return;
      }
      try {
        this.set.updateRoot(data);
        this.rootBytes = data;
      } catch (error) {
        // Clients stop here; the walk goes on with the last root that verified.
        this.problem("root", error, undefined, `${version}.root.json: `);
        return;
      }
    }
  }

  /**
   * 5.5.5 between the snapshot clients may hold (the previous version) and the current
   * one: no role may disappear or go back in version. A client that refreshed yesterday
   * would refuse a rollback that a new client accepts.
   */
  private async snapshotHistory(timestampBytes: Buffer, snapshotBytes: Buffer, version: number): Promise<void> {
    if (!this.consistent || version <= 1) return;
    let previous: Buffer;
    try {
      previous = await this.metadata(`${version - 1}.snapshot.json`, LIMITS.snapshotMaxLength);
    } catch {
      return; // pruned: nothing to compare with
    }
    const history = new TrustedMetadataSet(this.rootBytes, { referenceTime: new Date(0) });
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
      this.problem("snapshot", error, undefined, `compared with snapshot version ${version - 1}: `);
    }
  }

  /** 5.6: every role of the delegation graph, pre-order depth first, each role once. */
  private async walkTargets(snapshot: Metadata<Snapshot>): Promise<Set<string>> {
    type Edge = { role: string; delegator: string; entry?: DelegatedRole | SuccinctRoles };
    const stack: Edge[] = [{ role: "targets", delegator: "root" }];
    const loaded = new Map<string, boolean>();
    let total = 0;
    for (const m of snapshot.signed.meta.values()) total += m.length ?? 0;
    const progress = this.progress("checking metadata", total);
    try {
      while (stack.length > 0) {
        const { role, delegator, entry } = stack.pop() as Edge;
        const ok = loaded.get(role);
        if (ok !== undefined) {
          // Reached through another delegator (a diamond): trusted only where its keys signed it.
          if (ok) {
            try {
              this.set.verifyLoadedDelegate(role, delegator);
            } catch (error) {
              this.problem(role, error, undefined, `as delegated by ${delegator}: `);
            }
          }
          continue;
        }
        const md = await this.loadTargets(snapshot, role, delegator, progress);
        loaded.set(role, md !== undefined);
        if (md === undefined) continue;
        if (entry instanceof SuccinctRoles) this.binSets.set(role, `${entry.namePrefix}-*`);
        // 5.6.5: not expired.
        this.expiry(role, role === "targets" ? "targets" : "delegated", md.signed);
        this.collectTargets(role, md.signed, entry);
        const d = md.signed.delegations;
        const children: Edge[] = [];
        for (const r of d?.roles?.values() ?? []) children.push({ role: r.name, delegator: role, entry: r });
        const bins = d?.succinctRoles;
        if (bins !== undefined)
          for (const name of bins.roleNames()) children.push({ role: name, delegator: role, entry: bins });
        stack.push(...children.reverse());
      }
    } finally {
      progress.finish();
    }
    return new Set(loaded.keys());
  }

  private async loadTargets(
    snapshot: Metadata<Snapshot>,
    role: string,
    delegator: string,
    progress: Progress,
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
    return this.step(role, async () => {
      const file = `${this.consistent ? `${meta.version}.` : ""}${encodeName(role)}.json`;
      const data = await this.metadata(file, meta.length ?? LIMITS.targetsMaxLength);
      progress.tick(data.length);
      // 5.6.2–5.6.4: length and hashes as snapshot lists them, signatures of the delegator's keys, version.
      return this.set.updateDelegatedTargets(data, role, delegator);
    });
  }

  /** Keeps the targets a client can find through this role; warns about the others. */
  private collectTargets(role: string, signed: Targets, entry: DelegatedRole | SuccinctRoles | undefined): void {
    const outside: string[] = [];
    for (const [targetPath, file] of signed.targets) {
      const inside =
        entry === undefined ||
        (entry instanceof SuccinctRoles ? entry.roleForTarget(targetPath) === role : entry.isDelegatedPath(targetPath));
      if (!inside) {
        outside.push(targetPath);
        continue;
      }
      const key = `${targetPath}\0${[...file.hashes.values()].join(",")}`;
      if (!this.targets.has(key)) this.targets.set(key, { file, role });
    }
    if (outside.length > 0) {
      this.warnings.push({
        role,
        code: "OUTSIDE_DELEGATION",
        message: `${role} lists ${outside.length} target(s) outside the paths delegated to it, e.g. ${JSON.stringify(outside[0])}: clients will not find them there`,
      });
    }
  }

  /** 5.7: every target file, streamed, its length and hashes as signed. Returns how many were checked. */
  async checkTargets(): Promise<number> {
    const list = [...this.targets.values()];
    const progress = this.progress(
      "checking targets",
      list.reduce((n, t) => n + t.file.length, 0),
    );
    const results: Array<Finding | undefined> = [];
    let next = 0;
    const worker = async () => {
      while (next < list.length) {
        const i = next++;
        results[i] = await this.checkTarget(list[i] as { file: TargetFile; role: string }, progress);
      }
    };
    try {
      await Promise.all(Array.from({ length: Math.min(TARGET_CONCURRENCY, list.length) }, worker));
    } finally {
      progress.finish();
    }
    for (const r of results) if (r !== undefined) this.problems.push(r);
    return list.length;
  }

  private async checkTarget(t: { file: TargetFile; role: string }, progress: Progress): Promise<Finding | undefined> {
    const { file, role } = t;
    const what = `target ${JSON.stringify(file.path)}`;
    const mismatch = (message: string): Finding => ({
      role,
      target: file.path,
      code: "TUF_LENGTH_OR_HASH_MISMATCH",
      message,
    });
    try {
      let remote = file.path;
      if (this.consistent && LIMITS.prefixTargetsWithHash) {
        // 5.7.3: consistent snapshots store targets as <dir>/<hash>.<name>.
        const slash = remote.lastIndexOf("/");
        remote = `${remote.slice(0, slash + 1)}${file.hashes.values().next().value as string}.${remote.slice(slash + 1)}`;
      }
      const segments = remote.split("/");
      if (segments.some((s) => s === "" || s === "." || s === "..")) {
        return {
          role,
          target: file.path,
          code: "TUF_UNSAFE_NAME",
          message: `${what} has an empty, "." or ".." segment`,
        };
      }
      const verifier = new HashVerifier(file.hashes, what);
      let received = 0;
      for await (const chunk of this.source.fetcher.fetch(this.source.targetUrl(segments), {
        maxLength: file.length,
      })) {
        received += chunk.length;
        progress.tick(chunk.length);
        if (received > file.length) return mismatch(`${what} is longer than the signed ${file.length} bytes`);
        verifier.update(chunk);
      }
      if (received !== file.length)
        return mismatch(`${what} is ${received} bytes, the signed metadata says ${file.length}`);
      verifier.verify();
      return undefined;
    } catch (error) {
      if (error instanceof DownloadLengthMismatchError)
        return mismatch(`${what} is longer than the signed ${file.length} bytes`);
      return this.finding(role, error, file.path);
    }
  }

  private metadata(file: string, maxLength: number): Promise<Buffer> {
    return readAll(this.source.fetcher, this.source.metadataUrl(file), { maxLength });
  }

  private async step<T>(role: string, fn: () => Promise<T>): Promise<T | undefined> {
    try {
      return await fn();
    } catch (error) {
      this.problem(role, error);
      return undefined;
    }
  }

  private finding(role: string, error: unknown, target?: string, prefix = ""): Finding {
    // Anything but a Bulwark error is a bug here, not a finding about the repository.
    if (!(error instanceof BulwarkError)) throw error;
    const code =
      error.code === "DOWNLOAD_NOT_FOUND" ? (target === undefined ? "METADATA_MISSING" : "TARGET_MISSING") : error.code;
    return { role, ...(target === undefined ? {} : { target }), code, message: `${prefix}${error.message}` };
  }

  private problem(role: string, error: unknown, target?: string, prefix = ""): void {
    this.problems.push(this.finding(role, error, target, prefix));
  }

  /** Records a verified role's expiry: a problem when expired, a warning within the refresh window. */
  private expiry(name: string, kind: RefreshKind, signed: Signed): void {
    const expiresIn = Math.floor((signed.expiresAt - this.at) / 1000);
    this.roles.push({ name, version: signed.version, expires: new Date(signed.expiresAt).toISOString(), expiresIn });
    const left = describeRemaining(signed.expiresAt - this.at);
    if (signed.isExpired(this.at)) {
      this.problems.push({
        role: name,
        code: "TUF_EXPIRED_METADATA",
        message: `${name} version ${signed.version} ${left} (freeze attack, or a stale repository)`,
      });
    } else if (signed.expiresAt - this.at < this.warnWindow(kind)) {
      this.warnings.push({
        role: name,
        code: "EXPIRES_SOON",
        message: `${name} version ${signed.version} expires in ${left}`,
      });
    }
  }
}
