/**
 * @bulwark/publisher — the vendor's repository on disk, as a library a server can call:
 * create a repository, stage and publish releases, refresh, roll out and revoke, change
 * keys, roles and the policies in root, log releases in a transparency log, serve the
 * public tree. It never prints, prompts or exits: passphrases and progress come in through
 * {@link PublisherOptions}; failures are {@link PublisherError}s with stable codes.
 */

export {
  ConfigError,
  type ConfigFileOptions,
  checkConfig,
  closest,
  configJsonSchema,
  durationField,
  folderPathField,
  parseConfigFile,
  SCHEMA_KEY,
} from "./config-file.js";
export { PUBLISHER_ERRORS, PUBLISHER_USAGE_CODES, PublisherError } from "./errors.js";
export { CommandSigner, EXTERNAL_SIGNER_TIMEOUT_MS } from "./external/command-signer.js";
export { type ListedRelease, listedReleases, targetFileState } from "./listed-releases.js";
export { type UnloggedRelease, unloggedReleases } from "./log/backfill.js";
export {
  type AppendedToLog,
  type AppendToLogOptions,
  appendToLog,
  DEFAULT_LOG_BATCH,
  LogWitnessError,
  WITNESS_FAILURE_HINTS,
  witnessFailure,
} from "./log/log-append.js";
export {
  isLogDir,
  LOG_CONFIG_SCHEMA,
  LOG_CONFIG_SCHEMA_FILE,
  type LogConfig as LogFolderConfig,
  LogDir,
  logLayout,
} from "./log/log-dir.js";
export { isUrl, type LogLocation, openLogLocation, readPolicyFile, vkeyOption } from "./log/log-location.js";
export { createNoteKeyFile, readNoteKeyFile } from "./log/note-keys.js";
export { type ProofFile, proofDestinations, proofFiles } from "./log/proof-files.js";
export { changeEntries, type LoggedReleases, logReleases, releaseEntries } from "./log/release-logging.js";
export {
  loadCosigner,
  readWitnessConfig,
  WITNESS_CONFIG_SCHEMA,
  WITNESS_CONFIG_SCHEMA_FILE,
  type WitnessConfig,
  witnessLayout,
  writeWitnessConfig,
} from "./log/witness-dir.js";
export {
  type AddElectronOptions,
  type AddElectronResult,
  addElectronReleases,
  electronFeedTarget,
  type SkippedElectronFile,
} from "./operations/add-electron.js";
export {
  type AddReleaseOptions,
  type AddReleaseResult,
  addRelease,
  type ReleaseFile,
  type StagedReleaseFile,
} from "./operations/add-release.js";
export { type ImportResult, importRootSignatures, type RootThreshold } from "./operations/import-root.js";
export { type InitOptions, type InitResult, type InitRole, initRepository, type KeyCount } from "./operations/init.js";
export {
  addKey,
  type Delegation,
  delegateRole,
  type KeyInfo,
  type RoleKeys,
  type RotatedKey,
  revokeKey,
  rotateKey,
  type StagedChange,
  setRoleThreshold,
} from "./operations/keys.js";
export { type BackfillOptions, type BackfillResult, backfillLog } from "./operations/log-backfill.js";
export { isoSeconds, withRepository } from "./operations/open.js";
export {
  ONLINE_ROLES,
  type OnlineKeysOption,
  type PolicyChange,
  setLogPolicy,
  setReleasePolicy,
} from "./operations/policies.js";
export { type PublishOptions, type PublishResult, publish, type RootNotice } from "./operations/publish.js";
export {
  type RefreshOptions,
  type RefreshResult,
  type RoleCheck,
  refreshRepository,
  type ShortenedWindow,
} from "./operations/refresh.js";
export {
  type GateDecision,
  type GatedRelease,
  type GateOptions,
  RELEASE_GATE_LOG,
  type ReleaseGate,
} from "./operations/release-gate.js";
export { type RemovedRelease, removeRelease } from "./operations/release-remove.js";
export { listReleases, type ReleaseListing } from "./operations/releases-list.js";
export { type RepairAction, type RepairOptions, type RepairResult, repairRepository } from "./operations/repair.js";
export {
  keysOfRole,
  privateHalf,
  type RootStatus,
  resolveKeyId,
  rootStatus,
  setThreshold,
  takeKeyOff,
} from "./operations/roles.js";
export { isRolloutPercent, type ReleaseChange, revokeRelease, rolloutRelease } from "./operations/rollout.js";
export {
  type KeyLocation,
  type KeyStatus,
  type RepositoryStatus,
  type RoleRow,
  repositoryStatus,
  type StagedTargetStatus,
} from "./operations/status.js";
export {
  RELEASE_CHECK_CONCURRENCY,
  type ReleaseVerification,
  type VerifyReleasesOptions,
  verifyReleases,
} from "./operations/verify-releases.js";
export type { PassphraseCallback, ProgressEvent, PublisherOptions } from "./options.js";
export { checkIndependent, readBuilderKey } from "./release-policy.js";
export { type ReleaseTarget, readIndex, releaseTargets, updateIndex } from "./releases.js";
export {
  type AccessLogEntry,
  CACHE_IMMUTABLE,
  CACHE_REVALIDATE,
  cacheControlFor,
  contentTypeFor,
  createStaticServer,
  SHUTDOWN_GRACE_MS,
  type StaticServer,
  type StaticServerOptions,
} from "./server/static-server.js";
export { autoHashedBins } from "./store/bins.js";
export {
  DEFAULT_CONFIG,
  formatConfig,
  type KeyEntry,
  type LogConfig,
  parseConfig,
  REPO_CONFIG_SCHEMA,
  REPO_CONFIG_SCHEMA_FILE,
  type RepoConfig,
} from "./store/config.js";
export { copyHashed } from "./store/copy-hashed.js";
export { formatDuration, parseDuration } from "./store/duration.js";
export {
  decryptKeyFile,
  encryptKeyFile,
  INSECURE_TEST_KDF_VARIABLE,
  isCurrentKeyFile,
  KEY_FILE_COST,
  KEY_FILE_COST_CEILING,
  KEY_FILE_COST_FLOOR,
  KEY_FILE_ERRORS,
  KEY_FILE_LABEL,
  KeyFileError,
  type KeyFileFormat,
  keyFileFormat,
  type ScryptCost,
  TEST_ONLY_KEY_FILE_COST,
} from "./store/key-file.js";
export {
  type ReencryptedKeyFile,
  type ReencryptRequest,
  type RoleKeyFile,
  reencryptKeyFiles,
} from "./store/key-file-upgrade.js";
export {
  type KeySource,
  KeyStore,
  type NewKey,
  privateKeyFromPem,
  readPublicKeyFile,
  schemeFor,
  withKeyEntry,
  withoutKeyRole,
  writeKeyFile,
} from "./store/keystore.js";
export { acquireLock, alive } from "./store/lock.js";
export { MIN_PASSPHRASE_LENGTH, Passphrases, passphraseVariable } from "./store/passphrases.js";
export { type RefreshKind, ROOT_NOTICE_SECONDS, refreshWindow } from "./store/refresh-window.js";
export { type PublishReport, RepoDir, type StagedTarget } from "./store/repo-dir.js";
export { checkReleaseName, checkTargetPath } from "./target-path.js";
export { logPolicyIn } from "./transparency-policy.js";
export {
  type AttestationInput,
  policyForRelease,
  type ReleaseQuorum,
  readAttestationFiles,
  requireReleaseQuorum,
  type UnattestedRelease,
  unattestedReleases,
} from "./verified-builds.js";
