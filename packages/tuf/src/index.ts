/**
 * @bulwark/tuf — The Update Framework 1.0.x: canonical JSON, keys and signatures,
 * metadata models, a trusted metadata set (no I/O), a client updater and a repository writer.
 */
export { canonicalize, canonicalString } from "./canonical-json.js";
export * from "./errors.js";
export { isJsonObject } from "./fields.js";
export { type ListeningServer, listenHttp } from "./http-listen.js";
export { inspectRepository } from "./inspect/inspector.js";
export { describeRemaining } from "./inspect/remaining.js";
export { folderRepository, httpRepository, type RepositorySource, sourceUpdater } from "./inspect/source.js";
export { TARGET_CONCURRENCY } from "./inspect/targets.js";
export type {
  InspectionProblem,
  InspectionProgress,
  InspectOptions,
  RepositoryInspection,
  RoleExpiry,
  RoleKind,
} from "./inspect/types.js";
export { JsonFloat, type JsonObject, type JsonValue, MAX_JSON_DEPTH, parseJson, stringifyJson } from "./json.js";
export { Key, type SignatureScheme, SUPPORTED_SCHEMES } from "./keys.js";
export { hashPrefixedPath } from "./models/canonical-layout.js";
export { DelegatedRole, Delegations, SuccinctRoles } from "./models/delegations.js";
export {
  computeHashes,
  HashVerifier,
  isSupportedHash,
  longerThanSigned,
  shorterThanSigned,
  verifyHashes,
} from "./models/hashes.js";
export { MetaFile } from "./models/meta-file.js";
export {
  type AnySigned,
  Metadata,
  type RoleKeys,
  Signature,
  type SignatureCount,
  type SignedTypes,
} from "./models/metadata.js";
export { matchesPathPattern } from "./models/path-pattern.js";
export { Role } from "./models/role.js";
export { Root } from "./models/root.js";
export { formatExpires, type ParseOptions, parseExpires, Signed } from "./models/signed.js";
export { Snapshot } from "./models/snapshot.js";
export { TargetFile } from "./models/target-file.js";
export { Targets } from "./models/targets.js";
export { Timestamp } from "./models/timestamp.js";
export { writeRepositoryFiles } from "./repository/publish.js";
export {
  type CreateRepositoryOptions,
  DEFAULT_EXPIRY,
  type ExpiryPolicy,
  Repository,
  type RepositoryFile,
  type RoleKey,
} from "./repository/repository.js";
export { keyFromKeyObject, PrivateKeySigner, type Signer } from "./signer.js";
export { SPECIFICATION_VERSION, TOP_LEVEL_ROLE_NAMES, type TopLevelRoleName } from "./spec.js";
export {
  TrustedMetadataSet,
  type TrustedMetadataSetOptions,
} from "./trusted-metadata-set.js";
export { DEFAULT_UPDATER_CONFIG, type UpdaterConfig } from "./updater/config.js";
export { type Fetcher, type FetchOptions, readAll } from "./updater/fetcher.js";
export { FileFetcher } from "./updater/file-fetcher.js";
export {
  type DownloadLimits,
  HTTP_FETCHER_DEFAULTS,
  HttpFetcher,
  type HttpFetcherOptions,
  type RedirectPolicy,
} from "./updater/http-fetcher.js";
export { encodeName, readFileIfExists, syncDirectory, targetFileName, writeFileAtomic } from "./updater/storage.js";
export { Updater, type UpdaterOptions } from "./updater/updater.js";
