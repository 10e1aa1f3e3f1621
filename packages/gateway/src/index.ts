/**
 * @bulwark/gateway: the organisation gateway. See docs/gateway.md.
 */

// Sources (issue 16 item 2): polling vendors' feeds, verifying and recording each release.
export * from "./sources/index.js";

// The audit trail (issue 16 item 5): see docs/gateway-trail.md.
export { type Divergence, findDivergence } from "./trail/divergence.js";
export {
  formatTrailEntry,
  MAX_TRAIL_ENTRY_SIZE,
  MAX_TRAIL_ID_LENGTH,
  parseTrailEntry,
  TRAIL_ACTIONS,
  TRAIL_ACTOR_KINDS,
  TRAIL_ENTRY_TYPE,
  type TrailAction,
  type TrailActor,
  type TrailEntry,
  type TrailSubject,
} from "./trail/entry.js";
export {
  TRAIL_ERRORS,
  TRAIL_USAGE,
  type TrailChange,
  TrailEntryError,
  TrailError,
  type TrailErrorCode,
} from "./trail/errors.js";
export { type VerifiedTrailEntry, type VerifyTrailProofOptions, verifyTrailEntryProof } from "./trail/proof.js";
export { readTrailSnapshot, writeTrailSnapshot } from "./trail/snapshot.js";
export { FOLDER_TRAIL_DEFAULTS, FolderTrailStore, TRAIL_LOCK_FILE, type TrailStore } from "./trail/store.js";
export {
  Trail,
  type TrailAppendResult,
  type TrailEntryProof,
  type TrailOptions,
} from "./trail/trail.js";
export { type TrailSnapshot, type TrailVerification, type VerifyTrailOptions, verifyTrail } from "./trail/verify.js";
