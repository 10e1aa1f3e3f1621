/**
 * @bulwark/tlog — transparency logs in C2SP formats: signed notes, checkpoints,
 * cosignatures and witness policies, tlog-tiles writer and reader, RFC 6962 proofs and
 * tlog-proof bundles; a tlog-witness witness and its client; Bulwark's release entries,
 * release proofs and the log monitor.
 */
export {
  type Checkpoint,
  formatCheckpoint,
  type ParseCheckpointOptions,
  parseCheckpoint,
  type VerifiedCheckpoint,
  type VerifyCheckpointOptions,
  verifyCheckpoint,
  verifyCheckpointConsistency,
} from "./checkpoint.js";
export {
  COSIGNATURE_TIMESTAMP_SIZE,
  COSIGNATURE_V1_HEADER,
  COSIGNATURE_V1_SIZE,
  type Cosignature,
  CosignatureV1Signer,
  CosignatureV1Verifier,
  type CosignerOptions,
  cosignatureMessage,
  MAX_COSIGNATURE_TIMESTAMP,
  parseCosignatureLine,
  splitTimestampedSignature,
} from "./cosignature.js";
export { EcdsaVerifier } from "./ecdsa.js";
export { Ed25519Signer, Ed25519Verifier } from "./ed25519.js";
export { TLOG_ERRORS, TLOG_USAGE, TlogError, type TlogErrorCode } from "./errors.js";
export { HTTP_STORE_LIMITS, HttpLogStore } from "./external/http-store.js";
export { type TufRepositoryOptions, tufRepository } from "./external/tuf-repository.js";
export {
  type AddCheckpointOutcome,
  addSignatureLines,
  type CollectedCosignatures,
  type CosignatureResult,
  type CosignRequestOptions,
  collectCosignatures,
  LOG_KEY_INCIDENT,
  policyEndpoints,
  postAddCheckpoint,
  requestCosignature,
  WITNESS_CLIENT_DEFAULTS,
  type WitnessClientOptions,
  type WitnessEndpoint,
  WitnessRequestError,
} from "./external/witness-client.js";
export { FolderStore } from "./folder-store.js";
export {
  checkLogPolicy,
  countedWitnesses,
  LOG_POLICY_FIELD,
  type LogPolicy,
  logPolicyFromJSON,
  logPolicyJson,
  logPolicyJsonIn,
  logPolicyOf,
  logPolicyQuorum,
  logPolicyToJSON,
  MAX_LOG_POLICY_WITNESSES,
  writeLogPolicy,
} from "./log-policy.js";
export { LogReader, type LogReaderOptions } from "./log-reader.js";
export { type AppendResult, LogWriter, type LogWriterOptions } from "./log-writer.js";
export { rootFromInclusionProof, verifyConsistency, verifyInclusion } from "./merkle-proof.js";
export {
  MemoryTree,
  type NodeId,
  type NodeReader,
  proofNodes,
  proveConsistency,
  proveInclusion,
  rangeHash,
  treeRoot,
} from "./merkle-tree.js";
export {
  type CheckpointView,
  type LogSource,
  MONITOR_DEFAULTS,
  type MonitorOptions,
  type MonitorProblem,
  type MonitorProblemKind,
  type MonitorReport,
  monitorLog,
  type TargetLookup,
} from "./monitor.js";
export type { LoggedChange } from "./monitor-entries.js";
export {
  formatMonitorState,
  type LoggedRelease,
  type LoggedRevocation,
  MAX_REMEMBERED_RELEASES,
  MAX_REMEMBERED_REVOCATIONS,
  MAX_REMEMBERED_UNLISTED,
  MONITOR_STATE_VERSION,
  type MonitorState,
  parseMonitorState,
} from "./monitor-state.js";
export {
  isValidKeyName,
  keyIdFor,
  MAX_NOTE_SIGNATURES,
  type NoteSigner,
  type NoteVerifier,
  SIGNATURE_TYPE,
} from "./note-key.js";
export {
  changeProofPath,
  entryBytes,
  formatLogEntry,
  formatReleaseChangeEntry,
  type LogEntry,
  parseLogEntry,
  RELEASE_CHANGE_ENTRY_TYPE,
  type ReleaseChange,
  type ReleaseChangeEntry,
} from "./release-change-entry.js";
export {
  assertEntryDescribes,
  formatReleaseEntry,
  MAX_RELEASE_ENTRY_SIZE,
  MAX_RELEASE_FIELD_LENGTH,
  parseReleaseEntry,
  RELEASE_ENTRY_TYPE,
  type ReleaseEntry,
  type ReleaseTargetsMetadata,
  releaseEntryFor,
  releaseEntryFromJson,
  type TargetDescription,
} from "./release-entry.js";
export {
  type AppendReleasesResult,
  appendReleases,
  cosignLatest,
  LOG_PROOF_SUFFIX,
  type ReleaseProof,
  releaseProofPath,
  releaseProofs,
  type VerifiedLogEntry,
  type VerifiedRelease,
  verifyLogEntryProof,
  verifyReleaseProof,
  type WitnessingOptions,
  WitnessQuorumError,
} from "./release-log.js";
export { EMPTY_ROOT, HASH_SIZE, hashChildren, hashLeaf, rootFromLeafHashes } from "./rfc6962.js";
export { Rfc6962SthVerifier } from "./rfc6962-sth.js";
export {
  type Note,
  type NoteSignature,
  type NoteToSign,
  openNote,
  signNote,
  UnverifiedNoteError,
  type VerifiedSignature,
} from "./signed-note.js";
export { SPECIFICATIONS } from "./spec.js";
export { CHECKPOINT_KEY, type LogStore, MemoryStore, type WritableLogStore } from "./store.js";
export {
  isValidSubtree,
  rootFromSubtreeConsistencyProof,
  verifySubtreeConsistency,
  verifySubtreeInclusion,
} from "./subtree-proof.js";
export {
  type EntryBundleCoordinates,
  encodeTileIndex,
  entryBundlePath,
  MAX_TILE_LEVEL,
  parseTilePath,
  TILE_HEIGHT,
  TILE_WIDTH,
  type TileCoordinates,
  type TileResource,
  tilePath,
} from "./tile-path.js";
export { TiledTree, type TreeAudit, tileNodeHash } from "./tiled-tree.js";
export {
  type EntryBundleRange,
  encodeEntryBundle,
  encodeTile,
  entryBundleFor,
  entryBundlePathFor,
  entryBundleRanges,
  MAX_ENTRY_SIZE,
  type NodeLocation,
  nodeLocation,
  parseEntryBundle,
  parseTile,
  partialTiles,
  type TileLevel,
  tileLevels,
  tileWidth,
} from "./tiles.js";
export {
  MAX_TLOG_PROOF_HASHES,
  marshalTlogProof,
  parseTlogProof,
  TLOG_PROOF_HEADER,
  type TlogProof,
  type VerifiedTlogProof,
  type VerifyTlogProofOptions,
  verifyTlogProof,
} from "./tlog-proof.js";
export {
  type GeneratedKey,
  generateKey,
  parseCosignatureVerifierKey,
  parseCosignerKey,
  parseSignerKey,
  parseVerifierKey,
} from "./vkey.js";
export {
  DATA_UNAVAILABLE_STATUS,
  FolderWitnessState,
  MemoryWitnessState,
  originHash,
  TlogWitness,
  type WitnessEvidence,
  type WitnessedLog,
  type WitnessOptions,
  WitnessRefusal,
  type WitnessStateStore,
} from "./witness.js";
export {
  checkDataAvailability,
  DATA_AVAILABILITY_DEFAULTS,
  type DataAvailabilityLimits,
  type PublicLogSource,
} from "./witness-availability.js";
export {
  createWitnessHandler,
  listenWitness,
  WITNESS_HTTP_DEFAULTS,
  type WitnessAccessLogEntry,
  type WitnessHandlerOptions,
  type WitnessServer,
} from "./witness-http.js";
export {
  isSatisfied,
  type PolicyComponent,
  parseWitnessPolicy,
  policyVerifiers,
  type Witness,
  type WitnessGroup,
  type WitnessPolicy,
  witness,
  witnessGroup,
} from "./witness-policy.js";
export {
  ADD_CHECKPOINT_PATH,
  type AddCheckpointRequest,
  formatAddCheckpointRequest,
  formatSizeBody,
  MAX_CONSISTENCY_PROOF_LINES,
  parseAddCheckpointRequest,
  parseCosignatureResponse,
  parseSizeBody,
  TLOG_SIZE_CONTENT_TYPE,
} from "./witness-request.js";
export { verifyWitnessedCheckpoint, type WitnessedCheckpointOptions } from "./witnessed-checkpoint.js";
