/**
 * Quarantine and policy (issue 16 item 3): the policy document, the pure decision of what each
 * ring may do with a release, and the policy engine's state in the database.
 */

export { type ApprovalRecord, type ApprovalRequest, listApprovals, recordApproval } from "./approvals.js";
export { MAX_POLICY_TEXT, type PolicyChange } from "./change.js";
export {
  type ApprovalVote,
  DECISION_REASONS,
  type DecisionReason,
  decide,
  type Freeze,
  type PolicyContext,
  type PolicyRelease,
  type PolicyVerdict,
  type RingDecision,
  type RingProgress,
  type ScanVerdict,
} from "./decide.js";
export { POLICY_ERRORS, PolicyError, type PolicyErrorCode } from "./errors.js";
export { currentFreeze, freeze, listPins, pin, unfreeze, unpin } from "./holds.js";
export {
  type MaintenanceWindow,
  type Policy,
  type PolicyDocument,
  parsePolicy,
  policySchema,
  type Ring,
  type RingRule,
  SCAN_REQUIREMENTS,
  toPolicy,
  WEEKDAYS,
} from "./model.js";
export { loadPolicy } from "./rows.js";
export { type Approver, PolicyStore } from "./store.js";
export { windowOpen } from "./windows.js";
