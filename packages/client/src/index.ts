/**
 * @bulwark/client — the update client for Node and Electron main processes: check,
 * verified resumable download, atomic install with health check and automatic rollback,
 * staged rollout and the vendor's kill switch, all from signed TUF metadata; releases
 * governed by a release policy install only when k independent builders attest them, and
 * under a root that names a transparency log only with a proof that they are in it.
 */

// Formats whose one home is a lower package, re-exported for the client's callers.
export {
  attestationBundlePath,
  formatAttestationBundle,
  releasePoliciesOf,
  splitAttestationBundle,
} from "@bulwark/attest";
export { LOG_PROOF_SUFFIX } from "@bulwark/tlog";
export {
  ARCHIVE_ERRORS,
  type ArchiveEntry,
  ArchiveError,
  type ArchiveErrorCode,
  type ArchiveMeasure,
  Budget,
  bytesReader,
  checkCompressionRatio,
  type EntryType,
  type ExtractLimits,
  type ExtractOptions,
  extractArchive,
  hasTarMagic,
  isZlibError,
  limitsForRelease,
  measureArchive,
  parseEntryPath,
  type RandomAccessReader,
  readTarEntries,
  readZipEntries,
  resolveLimits,
  type UnpackedSize,
  type ZipReadOptions,
} from "./archive/index.js";
export {
  type ClientEvent,
  MAX_REFUSED,
  type RepositoryMapOptions,
  type RepositoryTrust,
  UpdateClient,
  type UpdateClientOptions,
  type UpdateOutcome,
} from "./client.js";
export { type DownloadOptions, type DownloadProgress, downloadedPath, downloadVerified } from "./download.js";
export { channelFor, ELECTRON_DEFAULT_CHANNEL, releaseNameFor } from "./electron-names.js";
export { CLIENT_ERRORS, ClientError } from "./errors.js";
export {
  HEALTH_CHECK_ATTEMPTS,
  HEALTH_CHECK_RETRY_DELAYS_MS,
  HEALTH_CHECK_TIMEOUT_MS,
  type HealthCheck,
  type HealthCheckRetries,
  type HealthContext,
  type HealthResult,
  runHealthCheck,
  runHealthCheckWithRetries,
} from "./health.js";
export { CommandStrategy, INSTALLER_TIMEOUT_MS } from "./install/command.js";
export { DirectoryStrategy, type DirectoryStrategyOptions } from "./install/directory.js";
export { type InstallEvents, Installer } from "./install/installer.js";
export type { InstallStrategy } from "./install/strategy.js";
export {
  Journal,
  type JournalState,
  type JournalVersion,
  MAX_INTERRUPTED_INSTALLS,
  type Operation,
  type RevokedVersion,
  type SetAsideVersion,
  setAside,
} from "./journal.js";
export {
  formatReleaseIndex,
  type IndexEntry,
  indexPath,
  parseReleaseIndex,
  RELEASE_INDEX_FORMAT,
  type Release,
  type ReleaseFields,
  type ReleaseIndex,
  releaseOf,
  writeReleaseMetadata,
  writeRevocation,
  writeRollout,
} from "./release.js";
export { checkBeforeDownload, type ReleaseCheckOptions } from "./release-checks.js";
export { type FollowedRepository, Repositories, type SignedRelease } from "./repositories.js";
export { MAX_REMEMBERED_REVOCATIONS, MAX_REVOCATION_REASON_LENGTH } from "./revocations.js";
export { inRollout, rolloutPosition } from "./rollout.js";
export {
  checkRootRequirements,
  OUTDATED_ROOT_HINT,
  type RequiredPolicies,
  type RootRequirements,
} from "./root-requirements.js";
export { compareSemver, parseSemver, type SemVer } from "./semver.js";
export {
  type Agreement,
  consensusKey,
  findConsensus,
  type Listing,
  NoConsensusError,
  resolveTarget,
} from "./tap4/consensus.js";
export {
  type MapFile,
  mapFileFromJSON,
  mapFileToJSON,
  parseMapFile,
  REPOSITORY_NAME,
  type RepositoryMapping,
  TAP4_VERSION,
} from "./tap4/map-file.js";
export {
  LOG_PROOF_LIMITS,
  type LoggedRelease,
  type LogProofLimits,
  trustedLogPolicy,
  verifyReleaseLogged,
} from "./transparency.js";
export {
  ATTESTATION_LIMITS,
  type AttestationLimits,
  formatSourceDigest,
  parseSourceDigest,
  verifyReleaseBuilds,
} from "./verified-builds.js";
