/**
 * An `autoUpdater` with electron-updater's API shape, backed by `@bulwark/client`: the same
 * methods, events and payloads, so an app switches by changing its import and its
 * configuration. What it installs is decided by the vendor's signed TUF metadata, checked
 * against the root shipped with the app; a release reaches the installer only after TUF, the
 * build quorum (verified builds) and the transparency-log proof have passed, at download and
 * again at install.
 *
 * Electron's parts (the `app`, the installer launch as an install strategy, notifications)
 * are passed in, so it runs, and is tested, under plain Node.
 */
import { EventEmitter } from "node:events";
import path from "node:path";
import {
  type ClientEvent,
  channelFor,
  type DownloadProgress,
  type HealthCheck,
  type InstallStrategy,
  parseSemver,
  type Release,
  releaseNameFor,
  UpdateClient,
  type UpdateClientOptions,
} from "@bulwark/client";
import { BulwarkError } from "@bulwark/tuf";

/** Codes of {@link ElectronUpdaterError}. */
export const ELECTRON_ERRORS = {
  /** `downloadUpdate()` before a check found an update. */
  NOT_CHECKED: "ELECTRON_NOT_CHECKED",
  /** `quitAndInstall()` with no verified download. */
  NOTHING_DOWNLOADED: "ELECTRON_NOTHING_DOWNLOADED",
  /** `allowDowngrade = true`: Bulwark never installs an older version than the one running. */
  DOWNGRADE_REFUSED: "ELECTRON_DOWNGRADE_REFUSED",
  /** A wrong option: no product name, an empty channel. */
  USAGE: "ELECTRON_USAGE",
  /** The download was cancelled through its {@link CancellationToken}. */
  CANCELLED: "ELECTRON_CANCELLED",
} as const;

/** A misuse of the updater, or a cancelled download. Failures of the update itself keep the client's codes. */
export class ElectronUpdaterError extends BulwarkError {}

/** The parts of Electron's `app` the updater uses. */
export interface ElectronApp {
  getVersion(): string;
  getName(): string;
  getPath(name: "userData"): string;
  quit(): void;
  relaunch(): void;
  /** When false (a development run), checks are skipped, as electron-updater does. */
  readonly isPackaged?: boolean;
  /** Electron's `app.on`: `before-quit` installs a downloaded update on exit (`autoInstallOnAppQuit`). */
  on?(event: "before-quit", listener: (event: { preventDefault(): void }) => void): unknown;
}

/** electron-updater's logger: `console`, electron-log, or anything with these methods. */
export interface Logger {
  info(message?: unknown): void;
  warn(message?: unknown): void;
  error(message?: unknown): void;
  debug?(message: string): void;
}

/** One file of an update, as electron-updater describes it. */
export interface UpdateFileInfo {
  /** The file's name. */
  readonly url: string;
  /** Its signed length. */
  readonly size: number;
  /** Its signed sha512, base64, when the signed metadata carries one. */
  readonly sha512?: string;
  /** Its signed sha256, hex (Bulwark's hash). */
  readonly sha256: string;
}

/** electron-updater's `UpdateInfo`. */
export interface UpdateInfo {
  readonly version: string;
  readonly files: readonly UpdateFileInfo[];
  /** Deprecated in electron-updater: the first file's name. */
  readonly path: string;
  /** Deprecated in electron-updater: the first file's sha512 (base64), when signed. */
  readonly sha512?: string;
  /** When the vendor released it (ISO 8601). */
  readonly releaseDate: string;
  readonly releaseName?: string;
  readonly releaseNotes?: string | null;
  /** The staged-rollout percentage of the release. */
  readonly stagingPercentage?: number;
}

/** electron-updater's `UpdateDownloadedEvent`: the update and the verified file. */
export interface UpdateDownloadedEvent extends UpdateInfo {
  readonly downloadedFile: string;
}

/** electron-updater's `ProgressInfo`. */
export interface ProgressInfo {
  readonly total: number;
  readonly delta: number;
  readonly transferred: number;
  readonly percent: number;
  readonly bytesPerSecond: number;
}

/** electron-updater's `UpdateCheckResult`. */
export interface UpdateCheckResult {
  readonly isUpdateAvailable: boolean;
  readonly updateInfo: UpdateInfo;
  /** Deprecated alias of {@link updateInfo}. */
  readonly versionInfo: UpdateInfo;
  /** The download `autoDownload` started: the verified file's path. */
  readonly downloadPromise?: Promise<string[]> | null;
  readonly cancellationToken?: CancellationToken;
}

/** The notification `checkForUpdatesAndNotify` shows; `{appName}` and `{version}` are filled in. */
export interface DownloadNotification {
  readonly title: string;
  readonly body: string;
}

/** Cancels a download (builder-util-runtime's `CancellationToken`): the bytes so far are kept and resumed later. */
export class CancellationToken {
  private readonly controller = new AbortController();
  get cancelled(): boolean {
    return this.controller.signal.aborted;
  }
  /** The signal the download watches. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }
  cancel(): void {
    this.controller.abort(new ElectronUpdaterError(ELECTRON_ERRORS.CANCELLED, "the update download was cancelled"));
  }
}

/** How {@link createAutoUpdater} is set up. */
export interface AutoUpdaterOptions {
  /** Electron's `app`. */
  readonly app: ElectronApp;
  /** The update server: the folder holding `metadata/` and `targets/` (`bulwark serve`, a CDN). */
  readonly serverUrl: string;
  /** The vendor's root.json, shipped with the app (never downloaded). */
  readonly trustedRoot: Uint8Array;
  /**
   * How a verified installer becomes the running version: a `CommandStrategy` that runs the
   * platform's installer with the verified file, a `DirectoryStrategy`, or your own.
   */
  readonly install: InstallStrategy;
  /** The release name published (`bulwark release add-electron` uses the product name: `My App` → `my-app`). */
  readonly name?: string;
  /** The channel followed; `stable` by default (electron-builder's `latest`). */
  readonly channel?: string;
  /** `${process.platform}-${process.arch}` by default. */
  readonly platform?: string;
  /** The client's state; `<userData>/bulwark-updates` by default. */
  readonly dataDir?: string;
  /** Run after the switch; when it fails the previous version is restored. */
  readonly healthCheck?: HealthCheck;
  /** Shows a system notification (Electron: `(n) => new Notification(n).show()`). */
  readonly notify?: (notification: DownloadNotification) => void;
  /** More options of the underlying {@link UpdateClient} (`requirePolicies`, `minRootVersion`, `downloadLimits`, …). */
  readonly clientOptions?: Partial<
    Omit<UpdateClientOptions, "name" | "channel" | "platform" | "currentVersion" | "install" | "dataDir">
  >;
}

const DEFAULT_NOTIFICATION: DownloadNotification = {
  title: "A new update is ready to install",
  body: "{appName} version {version} has been downloaded and will be automatically installed on exit",
};

/** A download notification with `{appName}` and `{version}` filled in, as electron-updater formats it. */
export function formatDownloadNotification(
  version: string,
  appName: string,
  notification: DownloadNotification = DEFAULT_NOTIFICATION,
): DownloadNotification {
  const fill = (text: string) => text.replace("{appName}", appName).replace("{version}", version);
  return { title: fill(notification.title), body: fill(notification.body) };
}

function base64OfHex(hex: string | undefined): string | undefined {
  return hex === undefined ? undefined : Buffer.from(hex, "hex").toString("base64");
}

/** electron-updater's description of a signed release. */
export function updateInfoOf(release: Release): UpdateInfo {
  const target = release.target;
  const sha512 = base64OfHex(target.hashes.get("sha512"));
  const file: UpdateFileInfo = {
    url: path.posix.basename(target.path),
    size: target.length,
    sha256: target.hashes.get("sha256") ?? "",
    ...(sha512 === undefined ? {} : { sha512 }),
  };
  return {
    version: release.version,
    files: [file],
    path: file.url,
    ...(sha512 === undefined ? {} : { sha512 }),
    releaseDate: release.released ?? "",
    releaseName: `${release.name} ${release.version}`,
    releaseNotes: null,
    ...(release.rollout < 100 ? { stagingPercentage: release.rollout } : {}),
  };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? (error.stack ?? error.message) : String(error);
}

/**
 * electron-updater's `AppUpdater`, on Bulwark. Events: `checking-for-update`,
 * `update-available` (UpdateInfo), `update-not-available` (UpdateInfo), `download-progress`
 * (ProgressInfo), `update-downloaded` (UpdateDownloadedEvent), `update-cancelled`
 * (UpdateInfo), `error` (error, message).
 */
export class BulwarkAutoUpdater extends EventEmitter {
  /** Download an update as soon as it is found. */
  autoDownload = true;
  /** After a non-silent `quitAndInstall`, start the app again. */
  autoRunAppAfterInstall = true;
  /** Install a downloaded update when the app quits (`quitAndInstall` not called), silently, without restarting it. */
  autoInstallOnAppQuit = true;
  /** Check even when `app.isPackaged` is false (a development run). */
  forceDevUpdateConfig = false;
  /** Offer pre-release versions; true by default when the running version is one. */
  allowPrerelease: boolean;
  /** The version running, from `app.getVersion()`. */
  readonly currentVersion: string;

  private readonly options: AutoUpdaterOptions;
  private readonly productName: string;
  private _channel: string;
  private _logger: Logger | null = console;
  private client: { channel: string; allowPrerelease: boolean; client: UpdateClient } | undefined;
  private checking: Promise<UpdateCheckResult | null> | undefined;
  private downloading: Promise<string[]> | undefined;
  private available: { release: Release; info: UpdateInfo; client: UpdateClient } | undefined;
  private downloaded: { release: Release; info: UpdateInfo; client: UpdateClient; file: string } | undefined;
  private installing = false;
  private quitHandlerAdded = false;
  private quitting = false;

  constructor(options: AutoUpdaterOptions) {
    super();
    this.options = options;
    this.currentVersion = options.app.getVersion();
    this.productName = options.name ?? releaseNameFor(options.app.getName());
    if (this.productName === "") {
      throw new ElectronUpdaterError(ELECTRON_ERRORS.USAGE, "the app has no usable product name", {
        hint: "pass `name`, the name its releases are published under",
      });
    }
    this._channel = channelFor(options.channel ?? "stable");
    this.allowPrerelease = /^[^+]*-/.test(this.currentVersion);
    // As electron-updater does: an error is logged even when the app does not listen for it.
    this.on("error", (error: unknown) => this._logger?.error(`Error: ${messageOf(error)}`));
  }

  /** The channel followed (`latest` is taken as `stable`, as `release add-electron` publishes it). */
  get channel(): string {
    return this._channel;
  }

  set channel(value: string) {
    if (typeof value !== "string" || value === "") {
      throw new ElectronUpdaterError(ELECTRON_ERRORS.USAGE, "the channel must be a non-empty name, e.g. beta");
    }
    this._channel = channelFor(value);
  }

  /** Always false: Bulwark never installs a version older than the one running. */
  get allowDowngrade(): boolean {
    return false;
  }

  set allowDowngrade(value: boolean) {
    if (value) {
      throw new ElectronUpdaterError(
        ELECTRON_ERRORS.DOWNGRADE_REFUSED,
        "allowDowngrade cannot be turned on: an older version is never installed over a newer one",
        {
          hint: "to take a bad version back, revoke it (`bulwark release revoke`): clients running it roll back to their last good version",
        },
      );
    }
  }

  /** Where the updater logs (`console` by default); null for no logging. */
  get logger(): Logger | null {
    return this._logger;
  }

  set logger(value: Logger | null) {
    this._logger = value;
  }

  /** The update client for the current channel and settings (a new one when they change). */
  private updateClient(): UpdateClient {
    const { channel, allowPrerelease } = this;
    const cached = this.client;
    if (cached !== undefined && cached.channel === channel && cached.allowPrerelease === allowPrerelease) {
      return cached.client;
    }
    const { app, serverUrl, trustedRoot, install, healthCheck, clientOptions } = this.options;
    const base = serverUrl.endsWith("/") ? serverUrl : `${serverUrl}/`;
    const client = new UpdateClient({
      metadataUrl: `${base}metadata/`,
      targetsUrl: `${base}targets/`,
      trustedRoot,
      ...clientOptions,
      name: this.productName,
      channel,
      allowPrerelease,
      platform: this.options.platform ?? `${process.platform}-${process.arch}`,
      currentVersion: this.currentVersion,
      dataDir: this.options.dataDir ?? path.join(app.getPath("userData"), "bulwark-updates"),
      install,
      ...(healthCheck === undefined ? {} : { healthCheck }),
      log: (event: ClientEvent) => {
        clientOptions?.log?.(event);
        this._logger?.info(event.message);
      },
    });
    this.client = { channel, allowPrerelease, client };
    return client;
  }

  private dispatchError(error: unknown): void {
    this.emit("error", error, messageOf(error));
  }

  /**
   * Asks the server whether there is an update; with `autoDownload`, downloads it.
   * @returns null when the updater is inactive (a development run), else what was found.
   */
  checkForUpdates(): Promise<UpdateCheckResult | null> {
    if (this.options.app.isPackaged === false && !this.forceDevUpdateConfig) {
      this._logger?.info("Skip checkForUpdates because application is not packed and dev update config is not forced");
      return Promise.resolve(null);
    }
    if (this.checking !== undefined) {
      this._logger?.info("Checking for update (already in progress)");
      return this.checking;
    }
    this._logger?.info("Checking for update");
    const checking = this.doCheck()
      .catch((error: unknown) => {
        this.emit("error", error, `Cannot check for updates: ${messageOf(error)}`);
        throw error;
      })
      .finally(() => {
        this.checking = undefined;
      });
    this.checking = checking;
    return checking;
  }

  private async doCheck(): Promise<UpdateCheckResult> {
    this.emit("checking-for-update");
    const client = this.updateClient();
    // Listed once: check() picks from the listing, and update-not-available reports its newest.
    const releases = await client.releases();
    const release = await client.check({ releases });
    if (release === undefined) {
      if (this.downloading === undefined) this.available = undefined;
      // The newest release this app would take, for the event: electron-updater reports the feed's version.
      const newest = releases.find(
        (r) => r.revoked === undefined && (this.allowPrerelease || parseSemver(r.version)?.prerelease.length === 0),
      );
      const info: UpdateInfo = newest
        ? updateInfoOf(newest)
        : { version: this.currentVersion, files: [], path: "", releaseDate: "" };
      this._logger?.info(
        `Update for version ${this.currentVersion} is not available (latest version: ${info.version}, downgrade is disallowed).`,
      );
      this.emit("update-not-available", info);
      return { isUpdateAvailable: false, updateInfo: info, versionInfo: info };
    }
    const info = updateInfoOf(release);
    this.available = { release, info, client };
    this._logger?.info(`Found version ${info.version} (url: ${info.files.map((f) => f.url).join(", ")})`);
    this.emit("update-available", info);
    const cancellationToken = new CancellationToken();
    let downloadPromise: Promise<string[]> | null = null;
    if (this.autoDownload) {
      downloadPromise = this.downloadUpdate(cancellationToken);
      // Reported through the "error" event; an app that ignores the promise must not crash.
      downloadPromise.catch(() => undefined);
    }
    return { isUpdateAvailable: true, updateInfo: info, versionInfo: info, downloadPromise, cancellationToken };
  }

  /**
   * Checks, downloads when `autoDownload`, and shows `notification` (through `notify`) when
   * the verified download is ready.
   */
  async checkForUpdatesAndNotify(notification?: DownloadNotification): Promise<UpdateCheckResult | null> {
    const result = await this.checkForUpdates();
    if (!result?.downloadPromise) return result;
    const { version } = result.updateInfo;
    result.downloadPromise.then(
      () => this.options.notify?.(formatDownloadNotification(version, this.options.app.getName(), notification)),
      () => undefined,
    );
    return result;
  }

  /**
   * Downloads the update found by the last check, verified against its signed length and
   * hashes (after the build quorum and the log proof, when the root requires them).
   * @returns the verified file's path, in an array as electron-updater returns it.
   */
  downloadUpdate(cancellationToken: CancellationToken = new CancellationToken()): Promise<string[]> {
    const available = this.available;
    if (available === undefined) {
      const error = new ElectronUpdaterError(ELECTRON_ERRORS.NOT_CHECKED, "Please check update first", {
        hint: "call checkForUpdates() and download when it found an update",
      });
      this.dispatchError(error);
      return Promise.reject(error);
    }
    if (this.downloading !== undefined) {
      this._logger?.info("Downloading update (already in progress)");
      return this.downloading;
    }
    this._logger?.info(`Downloading update from ${available.info.files.map((f) => f.url).join(", ")}`);
    const downloading = (async () => {
      const file = await available.client.download(available.release, {
        onProgress: this.progressReporter(),
        signal: cancellationToken.signal,
      });
      this.downloaded = { ...available, file };
      this.addQuitHandler();
      this._logger?.info(`New version ${available.info.version} has been downloaded to ${file}`);
      this.emit("update-downloaded", { ...available.info, downloadedFile: file } satisfies UpdateDownloadedEvent);
      return [file];
    })()
      .catch((error: unknown) => {
        if (cancellationToken.cancelled) {
          this._logger?.info("cancelled");
          this.emit("update-cancelled", available.info);
          throw cancellationToken.signal.reason;
        }
        this.dispatchError(error);
        throw error;
      })
      .finally(() => {
        this.downloading = undefined;
      });
    this.downloading = downloading;
    return downloading;
  }

  /** electron-updater's progress events: at most one a second, and one at the end. */
  private progressReporter(): (p: DownloadProgress) => void {
    const start = Date.now();
    let nextUpdate = start + 1000;
    let reported = 0;
    let first = true;
    return ({ received, total, resumedFrom }) => {
      if (first) {
        reported = resumedFrom;
        first = false;
      }
      const now = Date.now();
      if (received !== total && now < nextUpdate) return;
      if (this.listenerCount("download-progress") === 0) return;
      nextUpdate = now + 1000;
      const seconds = Math.max(now - start, 1) / 1000;
      const info: ProgressInfo = {
        total,
        delta: received - reported,
        transferred: received,
        percent: total === 0 ? 100 : (received / total) * 100,
        bytesPerSecond: Math.round((received - resumedFrom) / seconds),
      };
      reported = received;
      this.emit("download-progress", info);
    };
  }

  /**
   * Installs the downloaded update through the install strategy and quits the app (and
   * starts it again when `isForceRunAfter`, or when not silent and `autoRunAppAfterInstall`).
   * The release is read again from the refreshed signed metadata and its file checked again
   * first: one revoked or replaced since the download is not installed. A failure is
   * reported through the `error` event and the app keeps running.
   */
  async quitAndInstall(isSilent = false, isForceRunAfter = false): Promise<void> {
    this._logger?.info("Install on explicit quitAndInstall");
    if (!(await this.install())) return;
    const runAfter = isSilent ? isForceRunAfter : this.autoRunAppAfterInstall;
    this.quitting = true;
    if (runAfter) this.options.app.relaunch();
    this.options.app.quit();
  }

  /** Installs the verified download; false (an `error` event) when there is none or it fails. */
  private async install(): Promise<boolean> {
    const downloaded = this.downloaded;
    if (downloaded === undefined) {
      this.dispatchError(
        new ElectronUpdaterError(
          ELECTRON_ERRORS.NOTHING_DOWNLOADED,
          "No update filepath provided, can't quit and install",
          {
            hint: "wait for the update-downloaded event first",
          },
        ),
      );
      return false;
    }
    if (this.installing) {
      this._logger?.warn("install call ignored: an install is already running");
      return false;
    }
    this.installing = true;
    try {
      await downloaded.client.install(downloaded.release);
      return true;
    } catch (error) {
      this.installing = false;
      this.dispatchError(error);
      return false;
    }
  }

  /**
   * With `autoInstallOnAppQuit`, a downloaded update is installed when the app quits: the
   * quit waits for the install (checks, installer, health check), then goes on, whether the
   * install succeeded or not.
   */
  private addQuitHandler(): void {
    const { app } = this.options;
    if (this.quitHandlerAdded || app.on === undefined) return;
    this.quitHandlerAdded = true;
    app.on("before-quit", (event) => {
      if (this.quitting || this.installing || !this.autoInstallOnAppQuit) return;
      this._logger?.info("Auto install update on quit");
      event.preventDefault();
      void this.install().finally(() => {
        this.quitting = true;
        app.quit();
      });
    });
  }
}

/** An {@link BulwarkAutoUpdater}: the object electron-updater exports as `autoUpdater`. */
export function createAutoUpdater(options: AutoUpdaterOptions): BulwarkAutoUpdater {
  return new BulwarkAutoUpdater(options);
}
