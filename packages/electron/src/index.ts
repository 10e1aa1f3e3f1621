/**
 * @bulwark/electron — a drop-in for electron-updater's `autoUpdater`, backed by
 * `@bulwark/client`: the same methods, events and payloads; nothing reaches the installer
 * before TUF, the build quorum and the transparency-log proof have passed.
 */
export {
  type AutoUpdaterOptions,
  BulwarkAutoUpdater,
  CancellationToken,
  createAutoUpdater,
  type DownloadNotification,
  ELECTRON_ERRORS,
  type ElectronApp,
  ElectronUpdaterError,
  formatDownloadNotification,
  type Logger,
  type ProgressInfo,
  type UpdateCheckResult,
  type UpdateDownloadedEvent,
  type UpdateFileInfo,
  type UpdateInfo,
  updateInfoOf,
} from "./auto-updater.js";
