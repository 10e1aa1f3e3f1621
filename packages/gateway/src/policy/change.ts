/**
 * What every change of the policy engine's state returns: its result and the audit-trail entry
 * that records it, which the caller appends to the trail (trail/trail.ts).
 */
import type { JsonObject } from "@bulwark/tuf";
import type { TrailActor, TrailEntry } from "../trail/entry.js";
import { POLICY_ERRORS, PolicyError } from "./errors.js";

/** The longest name, reason or comment kept. */
export const MAX_POLICY_TEXT = 1024;

/** A change made, and the trail entry that records it (append it to the trail). */
export interface PolicyChange<T = undefined> {
  readonly result: T;
  readonly trail: TrailEntry;
}

/** @throws {PolicyError} `POLICY_INVALID` for an empty or over-long text. */
export function checkText(what: string, text: string): void {
  if (text.trim() === "" || text.length > MAX_POLICY_TEXT) {
    throw new PolicyError(POLICY_ERRORS.INVALID, `${what} must be between 1 and ${MAX_POLICY_TEXT} characters`);
  }
}

/** A trail entry. */
export function trailEntry(
  actor: TrailActor,
  action: TrailEntry["action"],
  subject: TrailEntry["subject"],
  time: Date,
  details: JsonObject,
): TrailEntry {
  return { actor, action, subject, time, details };
}
