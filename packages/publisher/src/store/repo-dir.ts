/**
 * A repository folder:
 *
 *   DIR/bulwark.json            policy and key locations (see config.ts)
 *   DIR/keys/                   encrypted private keys of the online roles
 *   DIR/public/                 the static tree clients read: metadata/, targets/
 *   DIR/staged/metadata/        working copies of roles changed since the last publish
 *   DIR/staged/targets/<sha256> release files waiting to be published
 *   DIR/staged/state.json       targets added, roles to re-sign, the repair base (staged-state.ts)
 *   DIR/.bulwark.lock           held while a command changes the repository
 *
 * The published state in public/ is the source of truth, verified as a client would each
 * time it is loaded (published.ts); staged/ holds what the next publish will sign. A
 * publish writes new versioned files first and timestamp.json last; under a root that names a transparency log, each release file's proof is published
 * beside it as `<file>.tlog-proof` (not a TUF target: it is self-authenticating).
 */
import { createHash, randomBytes } from "node:crypto";
import { promises as fs } from "node:fs";
import path from "node:path";
import { logPolicyJsonIn, type ReleaseChange, type ReleaseEntry } from "@bulwark/tlog";
import {
  encodeName,
  hashPrefixedPath,
  Metadata,
  Repository,
  type RepositoryFile,
  Root,
  readFileIfExists,
  type TargetFile,
  type Targets,
  writeFileAtomic,
  writeRepositoryFiles,
} from "@bulwark/tuf";
import { PUBLISHER_ERRORS, PublisherError } from "../errors.js";
import { type UnloggedRelease, unloggedReleases } from "../log/backfill.js";
import { proofFiles } from "../log/proof-files.js";
import { changeEntries, type LoggedReleases, logReleases, releaseEntries } from "../log/release-logging.js";
import type { PublisherOptions } from "../options.js";
import { logPolicyIn } from "../transparency-policy.js";
import { formatConfig, parseConfig, type RepoConfig } from "./config.js";
import { copyHashed } from "./copy-hashed.js";
import { isInterrupt, stopIfAborted } from "./interrupt.js";
import { KeyStore } from "./keystore.js";
import { acquireLock } from "./lock.js";
import { Passphrases } from "./passphrases.js";
import { PublicUndo } from "./public-undo.js";
import { publishTarget } from "./publish-target.js";
import { corruptFile, problemOf, readPublished } from "./published.js";
import { parseStagedState, type StagedState, type StagedTarget } from "./staged-state.js";

export type { StagedState, StagedTarget } from "./staged-state.js";

/** What a publish did (or, with `--dry-run`, would do). */
export interface PublishReport {
  readonly files: ReadonlyArray<{ path: string; bytes: number }>;
  readonly targets: number;
  readonly versions: Readonly<Record<string, number>>;
  /** The releases logged (with `--dry-run`: to log), when the root names a transparency log. */
  readonly log?: {
    readonly origin: string;
    readonly entries: number;
    readonly firstIndex?: string;
    readonly size?: string;
    readonly cosignedBy?: readonly string[];
    /** Releases published earlier without a valid proof, logged (to log) with this publish. */
    readonly backfilled: readonly UnloggedRelease[];
  };
}

/** An opened repository folder: its layout, its config, and the one operation's passphrases and clock. */
export class RepoDir {
  readonly paths: {
    readonly config: string;
    readonly keys: string;
    readonly public: string;
    readonly metadata: string;
    readonly targets: string;
    readonly staged: string;
    readonly stagedMetadata: string;
    readonly stagedTargets: string;
    readonly state: string;
    readonly lock: string;
  };

  /** The passphrases asked for during this operation (each role's once). */
  readonly passphrases: Passphrases;
  /** The clock. */
  readonly now: () => number;

  private constructor(
    readonly dir: string,
    public config: RepoConfig,
    readonly options: PublisherOptions,
  ) {
    this.paths = RepoDir.layout(dir);
    this.passphrases = new Passphrases(options.passphrase);
    this.now = options.now ?? Date.now;
  }

  /** The paths of a repository folder. */
  static layout(dir: string): RepoDir["paths"] {
    const staged = path.join(dir, "staged");
    const pub = path.join(dir, "public");
    return {
      config: path.join(dir, "bulwark.json"),
      keys: path.join(dir, "keys"),
      public: pub,
      metadata: path.join(pub, "metadata"),
      targets: path.join(pub, "targets"),
      staged,
      stagedMetadata: path.join(staged, "metadata"),
      stagedTargets: path.join(staged, "targets"),
      state: path.join(staged, "state.json"),
      lock: path.join(dir, ".bulwark.lock"),
    };
  }

  /**
   * Opens an existing repository folder (relative to `options.cwd`).
   * @throws {PublisherError} `NOT_A_REPOSITORY` when DIR has no bulwark.json, `BAD_CONFIG`.
   */
  static async open(dir: string, options: PublisherOptions = {}): Promise<RepoDir> {
    const abs = path.resolve(options.cwd ?? process.cwd(), dir);
    const bytes = await readFileIfExists(path.join(abs, "bulwark.json"));
    if (bytes === undefined) {
      throw new PublisherError(
        PUBLISHER_ERRORS.NOT_A_REPOSITORY,
        `${dir} is not a Bulwark repository (no bulwark.json)`,
        {
          hint: `create one with \`bulwark repo init ${dir}\``,
        },
      );
    }
    return new RepoDir(abs, parseConfig(bytes, dir), options);
  }

  /** A repository folder object for a new repository (see `initRepository`). */
  static create(dir: string, config: RepoConfig, options: PublisherOptions = {}): RepoDir {
    return new RepoDir(path.resolve(options.cwd ?? process.cwd(), dir), config, options);
  }

  async saveConfig(config: RepoConfig): Promise<void> {
    await writeFileAtomic(this.paths.config, Buffer.from(formatConfig(config)));
    this.config = config;
  }

  /** Runs `fn` holding the repository lock. */
  async locked<T>(fn: () => Promise<T>): Promise<T> {
    const release = await acquireLock(this.paths.lock);
    try {
      return await fn();
    } finally {
      await release();
    }
  }

  /** The key store, resolving public keys through `repo`. */
  keyStore(repo: () => Repository | undefined): KeyStore {
    return new KeyStore(this.dir, this.config.keys, this.passphrases, (id) => repo()?.publicKey(id));
  }

  /**
   * The repository as published (verified as a client would, see published.ts; on the
   * repair base when `repo repair` recorded one), with the staged changes applied (unless
   * `staged` is false), keys loaded on demand.
   * @throws {PublisherError} `NOT_PUBLISHED` when nothing was published yet, `BROKEN_REPOSITORY`,
   *   `CORRUPT_FILE` naming a published or staged file that does not parse or verify.
   */
  async load(options: { readonly staged?: boolean } = {}): Promise<Repository> {
    const published = await readPublished(this.dir, this.paths.metadata, (await this.stagedState()).base);
    let repo: Repository | undefined;
    const keys = this.keyStore(() => repo);
    repo = Repository.open({
      roots: published.roots,
      timestamp: published.timestamp,
      snapshot: published.snapshot,
      loadTargets: published.loadTargets,
      expiry: this.config.expiry,
      signerSource: (role, keyids) => keys.signersFor(role, keyids),
      now: this.now,
    });
    if (options.staged !== false) await this.applyStaged(repo);
    return repo;
  }

  private async applyStaged(repo: Repository): Promise<void> {
    const files = await fs.readdir(this.paths.stagedMetadata).catch(() => [] as string[]);
    for (const file of files) {
      if (!file.endsWith(".json")) continue;
      const role = decodeURIComponent(file.slice(0, -".json".length));
      const md = await this.stagedRole(file);
      if (md.signed instanceof Root) repo.stageRoot(md as Metadata<Root>);
      else repo.stageTargets(role, md as Metadata<Targets>);
    }
    for (const role of (await this.stagedState()).resign) if (role === "snapshot") repo.resignSnapshot();
  }

  /**
   * A working copy in staged/metadata/ (`root.json` or a targets role), parsed.
   * @throws {PublisherError} `CORRUPT_FILE` naming it.
   */
  async stagedRole(file: string): Promise<Metadata<Root> | Metadata<Targets>> {
    const bytes = await fs.readFile(path.join(this.paths.stagedMetadata, file));
    try {
      return file === "root.json" ? Metadata.fromBytes(bytes, "root") : Metadata.fromBytes(bytes, "targets");
    } catch (error) {
      throw corruptFile(this.dir, `staged/metadata/${file}`, problemOf(error), error);
    }
  }

  /**
   * The working state (staged/state.json), empty when nothing is staged.
   * @throws {PublisherError} `CORRUPT_FILE` when it does not parse.
   */
  async stagedState(): Promise<StagedState> {
    const bytes = await readFileIfExists(this.paths.state);
    if (bytes === undefined) return { added: [], resign: [] };
    return parseStagedState(this.dir, bytes);
  }

  /** Writes the working state (staged/state.json). */
  async saveState(state: StagedState): Promise<void> {
    await fs.mkdir(this.paths.staged, { recursive: true });
    await writeFileAtomic(this.paths.state, Buffer.from(`${JSON.stringify(state, null, 2)}\n`));
  }

  /** Writes the working copies of every changed role to staged/, for the next publish. */
  async stage(repo: Repository, added: readonly StagedTarget[] = []): Promise<string[]> {
    await fs.mkdir(this.paths.stagedMetadata, { recursive: true });
    const pending = repo.pendingRoles();
    for (const role of pending) {
      if (role === "snapshot") continue;
      const md = role === "root" ? repo.stagedRoot() : repo.targets(role);
      if (md === undefined) continue;
      await writeFileAtomic(
        path.join(this.paths.stagedMetadata, `${encodeName(role)}.json`),
        md.toCanonicalLayoutBytes(),
      );
    }
    const state = await this.stagedState();
    const byPath = new Map(state.added.map((t) => [t.path, t]));
    for (const t of added) byPath.set(t.path, t);
    state.added = [...byPath.values()];
    if (pending.includes("snapshot") && !state.resign.includes("snapshot")) state.resign.push("snapshot");
    await this.saveState(state);
    return pending;
  }

  /** Drops staged targets from the next publish, and their staged files no other staged target uses. */
  async unstageTargets(paths: ReadonlySet<string>): Promise<void> {
    const state = await this.stagedState();
    const dropped = state.added.filter((t) => paths.has(t.path));
    state.added = state.added.filter((t) => !paths.has(t.path));
    const kept = new Set(state.added.map((t) => t.sha256));
    for (const t of dropped) {
      if (!kept.has(t.sha256)) await fs.rm(path.join(this.paths.stagedTargets, t.sha256), { force: true });
    }
    await this.saveState(state);
  }

  /**
   * Copies a release file into staged/targets/ (hashing it on the way, with progress),
   * atomically. Returns its length and SHA-256, and whether its staged copy is new (see
   * {@link dropUnlisted}).
   * @throws {PublisherError} `NOT_A_FILE`, `READ_FAILED`, `INTERRUPTED` (the options' signal).
   */
  async stageFile(file: string): Promise<{ length: number; sha256: string; created: boolean }> {
    await fs.mkdir(this.paths.stagedTargets, { recursive: true });
    const stat = await fs.stat(file);
    if (!stat.isFile()) throw new PublisherError(PUBLISHER_ERRORS.NOT_A_FILE, `${file} is not a regular file`);
    const tmp = path.join(this.paths.stagedTargets, `.incoming-${randomBytes(6).toString("hex")}`);
    let copied: { length: number; sha256: string };
    try {
      copied = await copyHashed(file, tmp, `hashing ${path.basename(file)}`, this.options.onProgress, {
        signal: this.options.signal,
        what: "adding the release",
      });
    } catch (cause) {
      if (isInterrupt(cause)) throw cause;
      throw new PublisherError(PUBLISHER_ERRORS.READ_FAILED, `cannot read ${file}: ${(cause as Error).message}`, {
        cause,
      });
    }
    const dest = path.join(this.paths.stagedTargets, copied.sha256);
    const created = (await fs.stat(dest).catch(() => undefined)) === undefined;
    await fs.rename(tmp, dest);
    return { ...copied, created };
  }

  /**
   * After a failed or interrupted `release add`: removes the staged copies among `sha256s`
   * that the working state does not list, and staged/ itself when that leaves it empty.
   */
  async dropUnlisted(sha256s: readonly string[]): Promise<void> {
    const listed = new Set((await this.stagedState().catch(() => ({ added: [] }))).added.map((t) => t.sha256));
    for (const sha256 of sha256s) {
      if (!listed.has(sha256)) await fs.rm(path.join(this.paths.stagedTargets, sha256), { force: true });
    }
    for (const dir of [this.paths.stagedTargets, this.paths.staged]) await fs.rmdir(dir).catch(() => undefined);
  }

  /** Stages bytes made here (a release index) as a release file. */
  async stageBytes(bytes: Buffer): Promise<{ sha256: string; length: number }> {
    await fs.mkdir(this.paths.stagedTargets, { recursive: true });
    const sha256 = createHash("sha256").update(bytes).digest("hex");
    await writeFileAtomic(path.join(this.paths.stagedTargets, sha256), bytes);
    return { sha256, length: bytes.length };
  }

  /** The bytes of a target: staged, or published (hash-prefixed or not); checked against its hash. */
  async readTarget(target: TargetFile): Promise<Buffer> {
    const sha256 = target.hashes.get("sha256") ?? "";
    const candidates = [
      path.join(this.paths.stagedTargets, sha256),
      path.join(this.paths.targets, ...hashPrefixedPath(target.path, sha256).split("/")),
      path.join(this.paths.targets, ...target.path.split("/")),
    ];
    for (const file of candidates) {
      const data = await readFileIfExists(file);
      if (
        data !== undefined &&
        data.length === target.length &&
        createHash("sha256").update(data).digest("hex") === sha256
      ) {
        return data;
      }
    }
    throw new PublisherError(
      PUBLISHER_ERRORS.TARGET_MISSING,
      `the file of target ${target.path} is missing from ${this.dir}`,
    );
  }

  /**
   * Signs what changed and writes it to public/: release files and their log proofs first,
   * then new versioned metadata, `timestamp.json` last. When the root being published names
   * a transparency log, the releases are logged and cosigned after signing and before
   * anything is written (see log/release-logging.ts); `unlogged` skips that, for the tests'
   * and the quickstart's attacker only. On any failure before timestamp.json is replaced,
   * clients keep seeing the previous state, and staged/ is kept for a retry.
   */
  async publish(
    repo: Repository,
    options: {
      dryRun?: boolean;
      unlogged?: boolean;
      /** Changes to released files (a revocation, a rollout change), logged with the releases. */
      changes?: ReadonlyArray<{ readonly path: string; readonly change: ReleaseChange }>;
    } = {},
  ): Promise<PublishReport> {
    stopIfAborted(this.options.signal, "publishing");
    const state = await this.stagedState();
    const previousPolicy = ((r) => (r === undefined ? undefined : logPolicyJsonIn(r.signed)))(repo.publishedRoot());
    const changed: RepositoryFile[] = await repo.publish();
    const root = changed.find((f) => /^metadata\/\d+\.root\.json$/.test(f.path));
    if (root !== undefined) changed.splice(changed.length - 1, 0, { path: "metadata/root.json", data: root.data });
    const consistent = repo.root.signed.consistentSnapshot === true;
    const targetFiles = state.added.map((t) => {
      const name = consistent ? hashPrefixedPath(t.path, t.sha256) : t.path;
      return { ...t, dest: path.join(this.paths.targets, ...name.split("/")) };
    });
    const policy = options.unlogged ? undefined : logPolicyIn(repo.root.signed);
    // The publish that turns the log on (or changes its policy) logs the listed releases
    // published before it (or under the earlier policy), so that no client refuses them
    // afterwards. Later, `bulwark log backfill` does it; `repo status` lists what needs it.
    const policyChanged = policy !== undefined && logPolicyJsonIn(repo.root.signed) !== previousPolicy;
    const backfilled = policyChanged
      ? await unloggedReleases(this, repo, policy, new Set(state.added.map((t) => t.path)))
      : [];
    const entries =
      policy === undefined
        ? []
        : [...releaseEntries(repo, [...state.added, ...backfilled]), ...changeEntries(repo, options.changes ?? [])];
    const logged =
      policy === undefined || entries.length === 0 || options.dryRun
        ? undefined
        : await logReleases(this.dir, this.config.log, policy, entries, {
            passphrases: this.passphrases,
            ...(this.options.signal ? { signal: this.options.signal } : {}),
          });
    const proofs = proofFiles(
      this.paths.targets,
      repo,
      logged,
      [...state.added, ...backfilled].map((t) => t.path),
      options.changes,
    );
    const report: PublishReport = {
      files: [
        ...targetFiles.map((t) => ({ path: path.relative(this.paths.public, t.dest), bytes: t.length })),
        ...proofs.map((f) => ({ path: path.relative(this.paths.public, f.dest), bytes: f.data.length })),
        ...changed.map((f) => ({ path: f.path, bytes: f.data.length })),
      ],
      targets: targetFiles.length,
      versions: {
        ...Object.fromEntries(
          changed
            .map((f) => /^metadata\/(\d+)\.(.+)\.json$/.exec(f.path))
            .filter((m): m is RegExpExecArray => m !== null)
            .map((m) => [decodeURIComponent(m[2] as string), Number(m[1])]),
        ),
        timestamp: repo.timestamp.signed.version,
      },
      ...(policy === undefined || entries.length === 0
        ? {}
        : { log: logReport(policy.origin, entries, logged, backfilled) }),
    };
    if (options.dryRun) return report;
    // Nothing is published until timestamp.json is replaced: a failure or an interrupt before
    // that puts back what this publish wrote, so public/ is byte for byte as it was.
    const signal = this.options.signal;
    const undo = new PublicUndo();
    try {
      for (const t of targetFiles) {
        stopIfAborted(signal, "publishing");
        await undo.creating(t.dest);
        await publishTarget(this.paths.stagedTargets, t, this.options.onProgress, signal);
      }
      for (const f of proofs) {
        stopIfAborted(signal, "publishing");
        await undo.replacing(f.dest);
        await fs.mkdir(path.dirname(f.dest), { recursive: true });
        await writeFileAtomic(f.dest, f.data);
      }
      // The last safe point: past it the publish commits and finishes, even if interrupted.
      stopIfAborted(signal, "publishing");
    } catch (error) {
      await undo.run();
      throw error;
    }
    await writeRepositoryFiles(this.paths.public, changed);
    await fs.rm(this.paths.staged, { recursive: true, force: true });
    return report;
  }
}

/** The `log` part of a publish report. */
function logReport(
  origin: string,
  entries: readonly ReleaseEntry[],
  logged: LoggedReleases | undefined,
  backfilled: readonly UnloggedRelease[],
) {
  return {
    origin,
    entries: entries.length,
    backfilled,
    ...(logged === undefined
      ? {}
      : {
          firstIndex: logged.firstIndex.toString(),
          size: logged.size.toString(),
          cosignedBy: logged.witnesses.filter((w) => w.lines !== undefined).map((w) => w.witness),
        }),
  };
}
