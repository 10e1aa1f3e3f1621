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
  type DownloadLimits,
  type Fetcher,
  HttpFetcher,
  readFileIfExists,
  Updater,
  type UpdaterConfig,
  UsageError,
  writeFileAtomic,
} from "@bulwark/tuf";
import { type DownloadOptions, downloadedPath, downloadVerified } from "./download.js";
import { CLIENT_ERRORS, ClientError } from "./errors.js";
import type { HealthCheck } from "./health.js";
import { Installer } from "./install/installer.js";
import type { InstallStrategy } from "./install/strategy.js";
import { Journal, type JournalState, type JournalVersion, setAside } from "./journal.js";
import { indexPath, parseReleaseIndex, type Release, releaseOf } from "./release.js";
import { checkBeforeDownload } from "./release-checks.js";
import { applyRememberedRevocations, rememberedRevocation, rememberRevocations } from "./revocations.js";
import { inRollout } from "./rollout.js";
import { checkRootRequirements, checkRootRequirementsOption, type RootRequirements } from "./root-requirements.js";
import { compareSemver, parseSemver } from "./semver.js";
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
  "TUF_LENGTH_OR_HASH_MISMATCH",
]);

/** Whether `error` is a security check refusing a release (not a network or local failure). */
function isRefusal(error: unknown): boolean {
  return error instanceof BulwarkError && (REFUSAL_CODES.has(error.code) || error.code.startsWith("ARCHIVE_"));
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
  /** Base URL of the repository's TUF metadata (`…/metadata/`). */
  readonly metadataUrl: string;
  /** Base URL of the repository's target files (`…/targets/`); log proofs are fetched beside them. */
  readonly targetsUrl: string;
  /** The root to trust on first use; afterwards dataDir/metadata/root.json is used. */
  readonly trustedRoot?: Uint8Array;
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

  private async updater(): Promise<Updater> {
    await fs.mkdir(this.metadataDir, { recursive: true });
    const hasRoot = (await readFileIfExists(path.join(this.metadataDir, "root.json"))) !== undefined;
    return new Updater({
      metadataDir: this.metadataDir,
      metadataBaseUrl: this.options.metadataUrl,
      targetBaseUrl: this.options.targetsUrl,
      targetDir: this.downloads,
      ...(hasRoot || this.options.trustedRoot === undefined ? {} : { bootstrap: this.options.trustedRoot }),
      fetcher: this.fetcher,
      ...(this.options.updaterConfig ? { config: this.options.updaterConfig } : {}),
    });
  }

  /**
   * Refreshes the TUF metadata, then holds the trusted root to the app's requirements.
   * @throws {ClientError} `CLIENT_OUTDATED_ROOT` (see {@link RootRequirements}).
   */
  private async refresh(updater: Updater): Promise<void> {
    try {
      await updater.refresh();
    } catch (error) {
      throw await this.runningRevoked(error);
    }
    checkRootRequirements(updater.trustedSet.root.signed, this.options.name, this.options);
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
    const updater = await this.updater();
    await this.refresh(updater);
    const indexInfo = await updater.getTargetInfo(indexPath(this.options.name));
    if (indexInfo === undefined) return [];
    const file =
      (await updater.findCachedTarget(indexInfo, downloadedPath(this.downloads, indexInfo))) ??
      (await downloadVerified(updater.fetcherInUse, updater.targetUrl(indexInfo), indexInfo, this.downloads));
    const index = parseReleaseIndex(await fs.readFile(file), this.options.name);
    const out: Release[] = [];
    for (const entry of index.releases) {
      if (entry.channel !== this.channel) continue;
      if (entry.platform !== undefined && entry.platform !== this.options.platform) continue;
      const target = await updater.getTargetInfo(entry.target);
      if (target === undefined) continue;
      const release = releaseOf(target);
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
   * @throws what {@link releases} throws.
   */
  async check(): Promise<Release | undefined> {
    this.emitEvent({ event: "checking", message: `checking for ${this.options.name} updates on ${this.channel}` });
    const [releases, current, failed] = await Promise.all([
      this.releases(),
      this.currentVersion(),
      this.failedVersions(),
    ]);
    const currentVer = current === undefined ? undefined : parseSemver(current);
    const id = await this.clientId();
    for (const r of releases) {
      const v = parseSemver(r.version);
      if (v === undefined || (currentVer !== undefined && compareSemver(v, currentVer) <= 0)) continue;
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
    const updater = await this.updater();
    await this.refresh(updater);
    const release = await this.signedRelease(updater, offer);
    this.checkPlatform(release);
    await checkBeforeDownload(updater, release, {
      product: this.options.name,
      dir: this.downloads,
      attestationLimits: { ...ATTESTATION_LIMITS, ...this.options.attestationLimits },
      logProofLimits: { ...LOG_PROOF_LIMITS, ...this.options.logProofLimits },
      emit: (event, message, details) => this.emitEvent({ event, version: release.version, message, ...details }),
    });
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
   * The release `offer` names, read again from the refreshed signed target entry.
   * @throws {ClientError} `CLIENT_RELEASE_WITHDRAWN` when the signed metadata no longer lists it.
   */
  private async signedRelease(updater: Updater, offer: Release): Promise<Release> {
    const target = await updater.getTargetInfo(offer.target.path);
    const release = target === undefined ? undefined : releaseOf(target);
    if (release === undefined || release.name !== offer.name || release.version !== offer.version) {
      throw new ClientError(
        CLIENT_ERRORS.RELEASE_WITHDRAWN,
        `${offer.name} ${offer.version} is no longer listed as ${offer.target.path} in the signed metadata`,
      );
    }
    return release;
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
    const updater = await this.updater();
    await this.refresh(updater);
    if (trustedLogPolicy(updater.trustedSet.root.signed) === undefined) return true;
    const running = releases.find((r) => r.version === current);
    const why =
      running === undefined
        ? "the release is no longer listed, so its revocation's log proof cannot be checked"
        : await unloggedRevocation(updater, running, { ...LOG_PROOF_LIMITS, ...this.options.logProofLimits });
    if (why === undefined) return true;
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
