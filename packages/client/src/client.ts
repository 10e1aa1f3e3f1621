/**
 * The application-facing update client: check for a release, download it (verified,
 * resumable), install it through a strategy, run a health check, and commit or roll back
 * automatically. Every step is journalled, so a crash at any point is finished or undone
 * by `recover()` at the next start.
 */
import { randomUUID } from "node:crypto";
import { EventEmitter } from "node:events";
import { promises as fs } from "node:fs";
import path from "node:path";
import {
  BulwarkError,
  DownloadError,
  type DownloadLimits,
  type Fetcher,
  HttpFetcher,
  readFileIfExists,
  Updater,
  type UpdaterConfig,
  UsageError,
  writeFileAtomic,
} from "@bulwark/tuf";
import { type DownloadOptions, downloadVerified } from "./download.js";
import { CLIENT_ERRORS, ClientError } from "./errors.js";
import type { HealthCheck } from "./health.js";
import { Installer } from "./install/installer.js";
import type { InstallStrategy } from "./install/strategy.js";
import { Journal, type JournalState, type JournalVersion, setAside } from "./journal.js";
import type { Release } from "./release.js";
import { checkBeforeDownload } from "./release-checks.js";
import { type FollowedRepository, Repositories, type SignedRelease } from "./repositories.js";
import { applyRememberedRevocations, rememberedRevocation, rememberRevocations } from "./revocations.js";
import { inRollout } from "./rollout.js";
import { checkRootRequirements, checkRootRequirementsOption, type RootRequirements } from "./root-requirements.js";
import { compareSemver, parseSemver } from "./semver.js";
import { NoConsensusError } from "./tap4/consensus.js";
import type { MapFile } from "./tap4/map-file.js";
import { LOG_PROOF_LIMITS, type LogProofLimits, trustedLogPolicy, unloggedRevocation } from "./transparency.js";
import { ATTESTATION_LIMITS, type AttestationLimits } from "./verified-builds.js";

/** Refusals kept in the journal, the newest: a list that cannot grow without bound. */
export const MAX_REFUSED = 20;

const REFUSAL_CODES: ReadonlySet<string> = new Set([
  CLIENT_ERRORS.NO_BUILD_QUORUM,
  CLIENT_ERRORS.NOT_IN_LOG,
  CLIENT_ERRORS.BAD_LOG_PROOF,
  CLIENT_ERRORS.REVOKED,
  CLIENT_ERRORS.PLATFORM_MISMATCH,
  CLIENT_ERRORS.NO_CONSENSUS,
  "TUF_LENGTH_OR_HASH_MISMATCH",
]);

/** Whether `error` is a security check refusing a release (not a network or local failure). */
function isRefusal(error: unknown): boolean {
  return error instanceof BulwarkError && (REFUSAL_CODES.has(error.code) || error.code.startsWith("ARCHIVE_"));
}

/**
 * Refuses options that mix a single repository and a TAP 4 map, or name no repository.
 * @throws {UsageError} `CLIENT_USAGE`.
 */
function checkRepositoriesOption(options: UpdateClientOptions): void {
  const usage = (message: string) => new UsageError(message, { code: "CLIENT_USAGE" });
  const { repositories } = options;
  if (repositories === undefined) {
    if (options.metadataUrl === undefined || options.targetsUrl === undefined) {
      throw usage("metadataUrl and targetsUrl are required (or repositories, with a TAP 4 map)");
    }
    return;
  }
  if (options.metadataUrl !== undefined || options.targetsUrl !== undefined || options.trustedRoot !== undefined) {
    throw usage("give either metadataUrl, targetsUrl and trustedRoot, or repositories, not both");
  }
  if (options.requirePolicies !== undefined || options.minRootVersion !== undefined) {
    throw usage("with repositories, set requirePolicies and minRootVersion per repository (repositories.trust)");
  }
  for (const name of repositories.trust.keys()) {
    if (!repositories.map.repositories.has(name)) throw usage(`repositories.trust names ${name}, not in the map`);
  }
  for (const trust of repositories.trust.values()) checkRootRequirementsOption(trust);
}

/** One structured log record; every step of the client emits one. */
export interface ClientEvent {
  /** What happened, e.g. `checking`, `update-available`, `downloaded`, `installed`, `rolled-back`. */
  readonly event: string;
  /** The release version the event is about, when there is one. */
  readonly version?: string;
  /** A sentence for people (logs, status lines). */
  readonly message: string;
  /** Details of the event (bytes, builders, log origin, reason …). */
  readonly [key: string]: unknown;
}

/** How an {@link UpdateClient} finds, verifies and installs releases. */
export interface UpdateClientOptions extends RootRequirements {
  /** The product name releases are published under (`bulwark release add --name`). */
  readonly name: string;
  /** The release channel followed (`custom.bulwark.channel`); `stable` by default. */
  readonly channel?: string;
  /** Only releases for this platform (or for any platform) are offered. */
  readonly platform?: string;
  /** The version running now, for apps whose install the client does not manage. */
  readonly currentVersion?: string;
  /** Offer pre-release versions (`2.0.0-beta.1`); true by default. */
  readonly allowPrerelease?: boolean;
  /** Base URL of the repository's TUF metadata (`…/metadata/`); not with {@link repositories}. */
  readonly metadataUrl?: string;
  /**
   * Base URL of the repository's target files (`…/targets/`); log proofs are fetched beside
   * them. Not with {@link repositories}.
   */
  readonly targetsUrl?: string;
  /** The root to trust on first use; afterwards dataDir/metadata/root.json is used. Not with {@link repositories}. */
  readonly trustedRoot?: Uint8Array;
  /**
   * TAP 4: follow several repositories instead of one (each with its own pinned root and
   * metadata in dataDir/repositories/NAME/), and accept a release only when the map file's
   * threshold of them sign the same bytes as the same release. `requirePolicies` and
   * `minRootVersion` then go per repository, in {@link RepositoryMapOptions.trust}.
   */
  readonly repositories?: RepositoryMapOptions;
  /** The client's own state: metadata, downloads, journal, client ID. */
  readonly dataDir: string;
  /** Stable per installation; generated and kept in dataDir when absent. */
  readonly clientId?: string;
  /**
   * How a verified release becomes the running version ({@link DirectoryStrategy},
   * {@link CommandStrategy}); needed by `install`, `update`, `recover` and rollbacks.
   */
  readonly install?: InstallStrategy;
  /** Run after a new version is switched in; when it fails or times out the client rolls back. */
  readonly healthCheck?: HealthCheck;
  /** Where bytes come from; the `@bulwark/tuf` HttpFetcher (bounded, with Range support) by default. */
  readonly fetcher?: Fetcher;
  /**
   * Limits of the default fetcher (ignored with {@link fetcher}): the slow-retrieval guard
   * (at least `minBytesPerSecond`, 4 KiB/s, over every `rateWindowMs`, 10 s), the deadline of
   * each file (`deadlineBaseMs`, 60 s, plus its signed length at `deadlineBytesPerSecond`,
   * 16 KiB/s) and the connect and idle timeouts (15 s each). See `HTTP_FETCHER_DEFAULTS`.
   */
  readonly downloadLimits?: DownloadLimits;
  /** Bounds and switches of the TUF updater (`DEFAULT_UPDATER_CONFIG` of `@bulwark/tuf` by default). */
  readonly updaterConfig?: Partial<UpdaterConfig>;
  /** Limits on a release's attestations (verified builds); {@link ATTESTATION_LIMITS} by default. */
  readonly attestationLimits?: Partial<AttestationLimits>;
  /** Limits on a release's transparency-log proof; {@link LOG_PROOF_LIMITS} by default. */
  readonly logProofLimits?: Partial<LogProofLimits>;
  /** Receives every event (also emitted as "event" on the client). */
  readonly log?: (event: ClientEvent) => void;
}

/** The repositories of a TAP 4 client: the map file, and what the client trusts of each repository. */
export interface RepositoryMapOptions {
  /** Which repositories are followed, and which must agree on which targets ({@link parseMapFile}). */
  readonly map: MapFile;
  /** Per repository named in the map: the root to trust on first use, and what its root must satisfy. */
  readonly trust: ReadonlyMap<string, RepositoryTrust>;
}

/** What a TAP 4 client trusts of one repository. */
export interface RepositoryTrust extends RootRequirements {
  /** Its root to trust on first use; afterwards dataDir/repositories/NAME/metadata/root.json. */
  readonly root?: Uint8Array;
}

/** What {@link UpdateClient.update} did. */
export type UpdateOutcome =
  | { readonly action: "none"; readonly current?: string }
  | { readonly action: "installed"; readonly from?: string; readonly to: string }
  | { readonly action: "rolled-back"; readonly from: string; readonly to?: string; readonly reason: string };

/**
 * The update client of one product on one machine: {@link check} for a release, then
 * {@link download} (verified, resumable) and {@link install} it, or run {@link update} for
 * the whole cycle. Every step emits a {@link ClientEvent} as `"event"` and under its own name;
 * download progress is emitted as `"download-progress"`.
 */
export class UpdateClient extends EventEmitter {
  /** The channel this client follows. */
  readonly channel: string;
  private readonly journal: Journal;
  private readonly metadataDir: string;
  private readonly downloads: string;
  /** The fetcher every download of this client goes through. */
  private readonly fetcher: Fetcher;
  private readonly installer: Installer;
  private clientIdCache: string | undefined;

  /**
   * Nothing is read or fetched until the first call.
   * @param options the options the client was made with, kept as {@link UpdateClient.options}.
   */
  constructor(readonly options: UpdateClientOptions) {
    super();
    checkRootRequirementsOption(options);
    checkRepositoriesOption(options);
    this.channel = options.channel ?? "stable";
    this.journal = new Journal(path.join(options.dataDir, "journal.json"));
    this.metadataDir = path.join(options.dataDir, "metadata");
    this.downloads = path.join(options.dataDir, "downloads");
    this.fetcher = options.fetcher ?? new HttpFetcher(options.downloadLimits);
    this.installer = new Installer(this.journal, options.install, options.healthCheck, this.downloads, (e) =>
      this.emitEvent(e),
    );
  }

  private emitEvent(event: ClientEvent): void {
    this.options.log?.(event);
    this.emit("event", event);
    this.emit(event.event, event);
  }

  /** The client's stable ID, used for rollout cohorts. */
  async clientId(): Promise<string> {
    if (this.options.clientId !== undefined) return this.options.clientId;
    if (this.clientIdCache !== undefined) return this.clientIdCache;
    const file = path.join(this.options.dataDir, "client-id");
    let id = (await readFileIfExists(file))?.toString("utf8").trim();
    if (!id) {
      id = randomUUID();
      await fs.mkdir(this.options.dataDir, { recursive: true });
      await writeFileAtomic(file, Buffer.from(id));
    }
    this.clientIdCache = id;
    return id;
  }

  /** The version installed now (journal), or the one the app said it runs. */
  async currentVersion(): Promise<string | undefined> {
    const state = await this.journal.load();
    return state.current?.version ?? this.options.currentVersion;
  }

  /**
   * Every followed repository, its metadata refreshed and its root held to the app's
   * requirements.
   * @throws {ClientError} `CLIENT_OUTDATED_ROOT` (see {@link RootRequirements}); what a
   *   refresh throws (as `CLIENT_RUNNING_REVOKED` when the version running was seen revoked).
   */
  private async refreshed(): Promise<Repositories> {
    const { repositories } = this.options;
    if (repositories === undefined) {
      const url = { metadataUrl: this.options.metadataUrl ?? "", targetsUrl: this.options.targetsUrl ?? "" };
      const updater = await this.refreshedUpdater(this.metadataDir, [url], this.options.trustedRoot);
      checkRootRequirements(updater.trustedSet.root.signed, this.options.name, this.options);
      return new Repositories([{ name: "", updater }]);
    }
    const followed: FollowedRepository[] = [];
    for (const [name, mirrors] of repositories.map.repositories) {
      const trust = repositories.trust.get(name) ?? {};
      const urls = mirrors.map((base) => ({ metadataUrl: `${base}metadata/`, targetsUrl: `${base}targets/` }));
      const dir = path.join(this.options.dataDir, "repositories", name, "metadata");
      const updater = await this.refreshedUpdater(dir, urls, trust.root);
      checkRootRequirements(updater.trustedSet.root.signed, this.options.name, trust);
      followed.push({ name, updater });
    }
    return new Repositories(followed, repositories.map);
  }

  /**
   * An updater of one repository, refreshed from its first mirror that answers: a mirror
   * that cannot be reached is skipped; one that serves bad metadata fails the refresh.
   */
  private async refreshedUpdater(
    metadataDir: string,
    mirrors: ReadonlyArray<{ metadataUrl: string; targetsUrl: string }>,
    trustedRoot: Uint8Array | undefined,
  ): Promise<Updater> {
    await fs.mkdir(metadataDir, { recursive: true });
    const hasRoot = (await readFileIfExists(path.join(metadataDir, "root.json"))) !== undefined;
    for (const [i, mirror] of mirrors.entries()) {
      const updater = new Updater({
        metadataDir,
        metadataBaseUrl: mirror.metadataUrl,
        targetBaseUrl: mirror.targetsUrl,
        targetDir: this.downloads,
        ...(hasRoot || trustedRoot === undefined ? {} : { bootstrap: trustedRoot }),
        fetcher: this.fetcher,
        ...(this.options.updaterConfig ? { config: this.options.updaterConfig } : {}),
      });
      try {
        await updater.refresh();
        return updater;
      } catch (error) {
        if (error instanceof DownloadError && i < mirrors.length - 1) continue;
        throw await this.runningRevoked(error);
      }
    }
    throw new UsageError("a repository needs at least one URL", { code: "CLIENT_USAGE" });
  }

  /**
   * A refresh failure, as `CLIENT_RUNNING_REVOKED` when the version running is one this
   * client saw revoked: stale metadata then leaves it on a revoked version, which is loud.
   */
  private async runningRevoked(error: unknown): Promise<unknown> {
    if (!(error instanceof BulwarkError) || error instanceof UsageError) return error;
    const current = await this.currentVersion();
    const revoked = rememberedRevocation((await this.journal.load()).revoked, current);
    if (current === undefined || revoked === undefined) return error;
    const message = `${this.options.name} ${current} is running, and this client saw it revoked${revoked.reason === undefined ? "" : ` (${revoked.reason})`}; fresh metadata cannot be had (${error.code}: ${error.message}), so it can be neither rolled back nor updated`;
    this.emitEvent({ event: "running-revoked", version: current, message, cause: error.code });
    return new ClientError(CLIENT_ERRORS.RUNNING_REVOKED, message, {
      cause: error,
      hint: "the repository must serve current metadata (is its timestamp re-signed before it expires? does a CDN serve stale files?); until then, take this endpoint off the revoked version by hand",
    });
  }

  /**
   * Remembers the revocations among `releases` (durably, in the journal), and marks revoked
   * again every release this client once saw revoked, whatever the metadata says now.
   */
  private async withRevocationsRemembered(releases: Release[]): Promise<Release[]> {
    const state = await this.journal.load();
    const known = rememberRevocations(state.revoked, releases, new Date());
    if (known !== undefined) {
      await this.journal.update({ revoked: known });
      for (const r of releases.filter(
        (r) => r.revoked !== undefined && !rememberedRevocation(state.revoked, r.version),
      )) {
        this.emitEvent({
          event: "revocation-seen",
          version: r.version,
          message: `${r.name} ${r.version} is revoked; this client will never install it`,
        });
      }
    }
    const { releases: marked, withdrawn } = applyRememberedRevocations(releases, known ?? state.revoked);
    for (const r of withdrawn) {
      this.emitEvent({
        event: "revocation-withdrawn",
        version: r.version,
        message: `${r.name} ${r.version} was revoked when this client saw it, and the signed metadata no longer says so: it stays revoked here`,
      });
    }
    return marked;
  }

  /**
   * Every signed release of this product on this channel and platform, newest first
   * (revoked ones included, marked: also those this client saw revoked before, whose
   * revocation the metadata no longer carries). Refreshes the TUF metadata first.
   * @throws {RepositoryError} (of `@bulwark/tuf`) when the repository's metadata or index
   *   must not be trusted (bad signatures, rollback, freeze, mismatched hashes).
   * @throws {DownloadError} (of `@bulwark/tuf`) when the repository cannot be reached.
   * @throws {ClientError} `CLIENT_BAD_INDEX` when the signed release index is malformed;
   *   `CLIENT_OUTDATED_ROOT` when the trusted root lacks what the app requires
   *   (`requirePolicies`, `minRootVersion`): nothing is offered then.
   */
  async releases(): Promise<Release[]> {
    const repositories = await this.refreshed();
    const out: Release[] = [];
    for (const entry of await repositories.indexEntries(this.options.name, this.downloads)) {
      if (entry.channel !== this.channel) continue;
      if (entry.platform !== undefined && entry.platform !== this.options.platform) continue;
      let release: Release | undefined;
      try {
        release = (await repositories.resolve(entry.target))?.release;
      } catch (error) {
        // A release the repositories do not agree on is not offered, and said so (TAP 4).
        if (!(error instanceof NoConsensusError)) throw error;
        this.emitEvent({
          event: "no-consensus",
          version: entry.version,
          message: error.message,
          code: error.code,
          agreeing: error.agreeing,
        });
        continue;
      }
      if (release === undefined && repositories.unmapped(entry.target)) {
        this.emitEvent({
          event: "not-mapped",
          version: entry.version,
          message: `${entry.target} matches no mapping of the map file, so no repository is asked for it (patterns are TUF delegation paths: * does not cross /; a release file is NAME/VERSION/FILE)`,
        });
      }
      // Only what the signed target entry says counts; an index that disagrees is ignored.
      if (release === undefined || release.name !== this.options.name || release.version !== entry.version) continue;
      if (release.channel !== this.channel) continue;
      if (release.platform !== undefined && release.platform !== this.options.platform) continue;
      out.push(release);
    }
    out.sort((a, b) => compareSemver(parseSemver(b.version) as never, parseSemver(a.version) as never));
    return this.withRevocationsRemembered(out);
  }

  /**
   * The newest release newer than the current version that applies to this app, channel
   * and platform, is not revoked, and whose staged rollout includes this client; or undefined.
   * `options.releases`: what {@link releases} returned in this same cycle, when the caller
   * needs the listing too (one refresh instead of two).
   * @throws what {@link releases} throws.
   */
  async check(options: { readonly releases?: readonly Release[] } = {}): Promise<Release | undefined> {
    this.emitEvent({ event: "checking", message: `checking for ${this.options.name} updates on ${this.channel}` });
    const [releases, current, failed] = await Promise.all([
      options.releases ?? this.releases(),
      this.currentVersion(),
      this.failedVersions(),
    ]);
    const currentVer = current === undefined ? undefined : parseSemver(current);
    const id = await this.clientId();
    for (const r of releases) {
      const v = parseSemver(r.version);
      if (v === undefined || (currentVer !== undefined && compareSemver(v, currentVer) <= 0)) continue;
      if (this.options.allowPrerelease === false && v.prerelease.length > 0) continue;
      if (r.revoked !== undefined || failed.includes(r.version)) continue;
      if (!inRollout(id, `${r.name}@${r.version}`, r.rollout)) {
        this.emitEvent({
          event: "not-in-rollout",
          version: r.version,
          message: `${r.version} is rolling out to ${r.rollout} % of clients, not this one yet`,
        });
        continue;
      }
      this.emitEvent({ event: "update-available", version: r.version, message: `${r.name} ${r.version} is available` });
      return r;
    }
    this.emitEvent({ event: "up-to-date", ...(current ? { version: current } : {}), message: "no applicable update" });
    return undefined;
  }

  private async failedVersions(): Promise<readonly string[]> {
    return (await this.journal.load()).failed;
  }

  /**
   * Downloads a release's file, verified against its signed length and hashes; resumes an
   * interrupted download. Returns the verified file's path. When the trusted root has a
   * release policy for this product, k independent builders must attest the file first;
   * when it names a transparency log, a proof that the file is in it must verify first.
   * @throws {ClientError} `CLIENT_NO_BUILD_QUORUM` when the builders do not agree,
   *   `CLIENT_NOT_IN_LOG` or `CLIENT_BAD_LOG_PROOF` when it is not provably logged,
   *   `CLIENT_OUTDATED_ROOT` when the trusted root lacks what the app requires (nothing is
   *   downloaded); `CLIENT_PLATFORM_MISMATCH` or `CLIENT_RELEASE_REVOKED` for a release that
   *   is not for this client (or that it once saw revoked); `CLIENT_RELEASE_WITHDRAWN` when
   *   the signed metadata no longer lists it.
   * @throws {LengthOrHashMismatchError} (of `@bulwark/tuf`) when the bytes are not the signed ones.
   * @throws {DownloadError} (of `@bulwark/tuf`) when the download fails; it resumes next time.
   */
  async download(release: Release, options: DownloadOptions = {}): Promise<string> {
    return (await this.downloadSigned(release, options)).file;
  }

  /**
   * {@link download}, returning the release as the refreshed signed metadata lists it: an
   * offer may be stale (revoked or changed since {@link check}), and only the signed entry
   * as it is now may be downloaded and installed.
   */
  private async downloadSigned(offer: Release, options: DownloadOptions): Promise<{ release: Release; file: string }> {
    this.checkPlatform(offer);
    await this.refuseSeenRevoked(offer);
    const { release, signers } = await this.signedRelease(await this.refreshed(), offer);
    this.checkPlatform(release);
    // Each signing repository's own root policies (build quorum, log proof) apply to its own entry.
    for (const signer of signers) {
      const from = signer.repository.name === "" ? {} : { repository: signer.repository.name };
      await checkBeforeDownload(signer.repository.updater, signer.release, {
        product: this.options.name,
        dir: this.downloads,
        attestationLimits: { ...ATTESTATION_LIMITS, ...this.options.attestationLimits },
        logProofLimits: { ...LOG_PROOF_LIMITS, ...this.options.logProofLimits },
        emit: (event, message, details) =>
          this.emitEvent({ event, version: release.version, message, ...details, ...from }),
      });
    }
    if (signers.length > 1) {
      this.emitEvent({
        event: "consensus",
        version: release.version,
        message: `${release.target.path} is signed alike by ${signers.map((s) => s.repository.name).join(", ")}`,
        repositories: signers.map((s) => s.repository.name),
      });
    }
    // The bytes come once, from the first signer, and must match the hashes they all signed.
    const updater = (signers[0] as SignedRelease["signers"][number]).repository.updater;
    this.emitEvent({
      event: "downloading",
      version: release.version,
      message: `downloading ${release.target.path}`,
      bytes: release.target.length,
    });
    const file = await downloadVerified(
      updater.fetcherInUse,
      updater.targetUrl(release.target),
      release.target,
      this.downloads,
      {
        ...options,
        onProgress: (p) => {
          options.onProgress?.(p);
          this.emit("download-progress", p);
        },
      },
    );
    this.emitEvent({ event: "downloaded", version: release.version, message: `verified ${release.target.path}`, file });
    return { release, file };
  }

  /**
   * The release `offer` names, read again from the refreshed signed target entries.
   * @throws {ClientError} `CLIENT_RELEASE_WITHDRAWN` when the signed metadata no longer lists
   *   it; {@link NoConsensusError} `CLIENT_NO_CONSENSUS` when the repositories disagree on it.
   */
  private async signedRelease(repositories: Repositories, offer: Release): Promise<SignedRelease> {
    const signed = await repositories.resolve(offer.target.path);
    const release = signed?.release;
    if (signed === undefined || release?.name !== offer.name || release.version !== offer.version) {
      throw new ClientError(
        CLIENT_ERRORS.RELEASE_WITHDRAWN,
        `${offer.name} ${offer.version} is no longer listed as ${offer.target.path} in the signed metadata`,
      );
    }
    return signed;
  }

  /** Refuses a version this client once saw revoked, however `release` was obtained. */
  private async refuseSeenRevoked(release: Release): Promise<void> {
    const revoked = rememberedRevocation((await this.journal.load()).revoked, release.version);
    if (revoked === undefined) return;
    throw new ClientError(
      CLIENT_ERRORS.REVOKED,
      `${release.name} ${release.version} was revoked by the vendor${revoked.reason ? `: ${revoked.reason}` : ""} (seen ${revoked.seenAt}); it stays revoked here whatever later metadata says`,
    );
  }

  private checkPlatform(release: Release): void {
    if (release.platform !== undefined && release.platform !== this.options.platform) {
      throw new ClientError(
        CLIENT_ERRORS.PLATFORM_MISMATCH,
        `${release.name} ${release.version} is for ${release.platform}, this client is ${this.options.platform ?? "unspecified"}`,
      );
    }
    if (release.revoked !== undefined) {
      throw new ClientError(
        CLIENT_ERRORS.REVOKED,
        `${release.name} ${release.version} was revoked by the vendor${release.revoked.reason ? `: ${release.revoked.reason}` : ""}`,
      );
    }
  }

  /**
   * Installs a release: download (if needed), prepare, switch atomically, health check;
   * commits on success, rolls back to the previous version on failure.
   * @throws {ClientError} `CLIENT_HEALTH_CHECK_FAILED` after rolling back;
   *   `CLIENT_NO_INSTALLER` without an install strategy; what {@link download} throws.
   * @throws {ArchiveError} when the release archive is refused (nothing was switched).
   */
  async install(release: Release, options: DownloadOptions = {}): Promise<void> {
    this.checkPlatform(release);
    await this.recover();
    const signed = await this.downloadSigned(release, options);
    await this.installer.installFile(signed.release, signed.file);
  }

  /**
   * Finishes or undoes an install or rollback that a crash interrupted. An install that had
   * not passed its health check is rolled back (and tried again later, up to three
   * interruptions); a rollback is completed. Idempotent.
   * @throws {ClientError} `CLIENT_NO_INSTALLER` when there is something to recover and no
   *   install strategy.
   */
  recover(): Promise<JournalState> {
    return this.installer.recover();
  }

  /**
   * Rolls back to the previous good version (the kill switch, or by hand); the version
   * rolled back from is never offered again.
   * @throws {ClientError} `CLIENT_NOTHING_TO_ROLL_BACK_TO` when nothing is installed or no
   *   earlier version is kept.
   */
  rollbackToPrevious(reason: string): Promise<JournalVersion | undefined> {
    return this.installer.rollbackToPrevious(reason);
  }

  /**
   * One full cycle, as the agent runs it: recover, honour a revocation of the running
   * version (roll back to the last good one), else install the newest applicable release.
   * @throws {ClientError} `CLIENT_NOTHING_TO_ROLL_BACK_TO` when the running version is revoked
   *   and no earlier good release exists; what {@link install} throws.
   */
  async update(options: DownloadOptions = {}): Promise<UpdateOutcome> {
    await this.recover();
    const current = await this.currentVersion();
    const releases = await this.releases();
    const state = await this.journal.load();
    // A revocation this client saw counts even when the release has since left the metadata.
    const revocation =
      releases.find((r) => r.version === current)?.revoked ?? rememberedRevocation(state.revoked, current);
    if (current !== undefined && revocation !== undefined && (await this.mayRollBackFrom(releases, current))) {
      const reason = `${current} was revoked by the vendor${revocation.reason ? `: ${revocation.reason}` : ""}`;
      const localGood = state.previous.find(
        (p) =>
          !releases.find((r) => r.version === p.version)?.revoked &&
          rememberedRevocation(state.revoked, p.version) === undefined,
      );
      if (localGood !== undefined && state.current !== undefined) {
        await this.installer.rollBack(state.current, localGood, reason, true, CLIENT_ERRORS.REVOKED);
        return { action: "rolled-back", from: current, to: localGood.version, reason };
      }
      const older = releases.find(
        (r) =>
          r.revoked === undefined && compareSemver(parseSemver(r.version) as never, parseSemver(current) as never) < 0,
      );
      if (older === undefined)
        throw new ClientError(CLIENT_ERRORS.NOTHING_TO_ROLL_BACK_TO, `${reason}, and no earlier good release exists`);
      await this.installDowngrade(older, reason, options);
      return { action: "rolled-back", from: current, to: older.version, reason };
    }
    const next = await this.check();
    if (next === undefined) return { action: "none", ...(current ? { current } : {}) };
    try {
      await this.install(next, options);
    } catch (error) {
      if (isRefusal(error)) {
        const { code, message } = error as BulwarkError;
        const refused = { version: next.version, code, reason: message, at: new Date().toISOString() };
        await this.journal.update({ refused: setAside(this.journal.current.refused, refused).slice(-MAX_REFUSED) });
      }
      throw error;
    }
    return { action: "installed", ...(current ? { from: current } : {}), to: next.version };
  }

  /**
   * Whether the running version's revocation may move this endpoint back: always without a
   * log policy; with one, only when the revocation is provably in the log. An unlogged
   * revocation is reported (`revocation-not-logged`) and the endpoint keeps running.
   */
  private async mayRollBackFrom(releases: readonly Release[], current: string): Promise<boolean> {
    const repositories = await this.refreshed();
    const logged = (r: FollowedRepository) => trustedLogPolicy(r.updater.trustedSet.root.signed) !== undefined;
    if (!repositories.all.some(logged)) return true;
    const running = releases.find((r) => r.version === current);
    const signed = running === undefined ? undefined : await repositories.resolve(running.target.path);
    let why = "the release is no longer listed, so its revocation's log proof cannot be checked";
    if (signed !== undefined) {
      // A revocation counts when a repository that revoked it has no log policy, or logged it.
      const revoking = signed.signers.filter((s) => s.release.revoked !== undefined);
      for (const signer of revoking.length > 0 ? revoking : signed.signers) {
        const limits = { ...LOG_PROOF_LIMITS, ...this.options.logProofLimits };
        const reason = await unloggedRevocation(signer.repository.updater, signer.release, limits);
        if (reason === undefined) return true;
        why = reason;
      }
    }
    this.emitEvent({
      event: "revocation-not-logged",
      version: current,
      message: `${this.options.name} ${current} is marked revoked, but not rolled back: ${why}`,
    });
    return false;
  }

  private async installDowngrade(release: Release, reason: string, options: DownloadOptions): Promise<void> {
    this.emitEvent({
      event: "rolling-back",
      version: release.version,
      message: `${reason}: installing ${release.version}`,
    });
    const revoked = (await this.journal.load()).current;
    await this.install(release, options);
    // The revoked version is never a rollback target: forget it and remove its files.
    if (revoked !== undefined) await this.installer.forget(revoked);
  }
}
