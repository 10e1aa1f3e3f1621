/**
 * The transparency-log policy a TUF root carries: which log every release must be in
 * (its origin and key) and which witnesses must have cosigned the checkpoint that proves
 * it (k of n). It is the field {@link LOG_POLICY_FIELD} of `root.signed`, which other TUF
 * clients ignore and root's signatures cover: only a new root version, signed by the root
 * keys, can change it, so a stolen targets or online key cannot turn the requirement off.
 *
 *     "x-bulwark-transparency-log": {
 *       "origin": "updates.example.com/log",
 *       "log_vkey": "updates.example.com/log+1a2b3c4d+AbCd...",
 *       "log_url": "https://updates.example.com/log/",
 *       "witnesses": [{"name": "w1", "vkey": "w1.example+...+...", "url": "https://w1.example/",
 *                      "checks_availability": true}],
 *       "threshold": 2,
 *       "require_availability_witnesses": true
 *     }
 *
 * `log_url` (the log's public tlog-tiles URL), `checks_availability` and
 * `require_availability_witnesses` are optional: a policy without them reads as before. With
 * `require_availability_witnesses`, only witnesses marked `checks_availability` (witnesses
 * that cosign a checkpoint only after reading its entries from `log_url`) count towards the
 * threshold, so a checkpoint whose entries were never published cannot satisfy the policy.
 *
 * Read strictly: unknown fields are refused (one could be a requirement this version does
 * not know; an older reader refuses a policy using the fields above, failing closed), witness
 * names and keys must be distinct, the threshold is 1..n (of the availability witnesses when
 * they are required), and no witness may hold the log's own key.
 */
import { canonicalString, isJsonObject, type JsonObject, type JsonValue } from "@bulwark/tuf";
import type { CosignatureV1Verifier } from "./cosignature.js";
import { Ed25519Verifier } from "./ed25519.js";
import { TLOG_ERRORS, TlogError } from "./errors.js";
import type { NoteVerifier } from "./note-key.js";
import { parseCosignatureVerifierKey, parseVerifierKey } from "./vkey.js";
import { type Witness, type WitnessGroup, witness, witnessGroup } from "./witness-policy.js";

/** The field of `root.signed` that holds the policy. */
export const LOG_POLICY_FIELD = "x-bulwark-transparency-log";
/** The most witnesses a log policy may list. */
export const MAX_LOG_POLICY_WITNESSES = 32;
/** The longest origin, witness name or URL accepted. */
const MAX_TEXT = 1024;

/** The log every release must be in, and the witnesses that must vouch for it. */
export interface LogPolicy {
  /** The log's origin line. */
  readonly origin: string;
  /** The log's key. */
  readonly logVerifier: NoteVerifier;
  /** The witnesses, with their cosignature keys and, optionally, where to reach them. */
  readonly witnesses: readonly Witness[];
  /** k: how many distinct witnesses must have cosigned. */
  readonly threshold: number;
  /** The log's public URL: its tlog-tiles prefix, where witnesses and monitors read it. */
  readonly logUrl?: string;
  /** Whether only witnesses that check data availability count towards `threshold`. */
  readonly requireAvailabilityWitnesses?: boolean;
}

function bad(message: string): never {
  throw new TlogError(TLOG_ERRORS.BAD_POLICY, `${LOG_POLICY_FIELD}: ${message}`);
}

function onlyFields(value: JsonObject, allowed: readonly string[], where: string): void {
  for (const name of Object.keys(value)) {
    if (!allowed.includes(name)) bad(`${where} has an unknown field ${JSON.stringify(name)}`);
  }
}

function text(value: JsonValue | undefined, where: string): string {
  if (typeof value !== "string" || value === "" || value.length > MAX_TEXT || /[\n\r]/.test(value)) {
    return bad(`${where} must be a non-empty one-line string`);
  }
  return value;
}

/** The witnesses that count towards the threshold: those that check data availability when the policy requires it. */
export function countedWitnesses(policy: LogPolicy): Witness[] {
  return policy.witnesses.filter((w) => !policy.requireAvailabilityWitnesses || w.checksAvailability === true);
}

/** The witness group the policy requires: k of its (counted) witnesses. */
export function logPolicyQuorum(policy: LogPolicy): WitnessGroup {
  return witnessGroup(policy.threshold, countedWitnesses(policy));
}

function httpUrl(value: string, where: string): string {
  if (!/^https?:\/\//i.test(value) || !URL.canParse(value)) bad(`${where} must be an http(s) URL`);
  return value;
}

function flag(value: JsonValue | undefined, where: string): boolean {
  if (typeof value !== "boolean") return bad(`${where} must be true or false`);
  return value;
}

/**
 * Checks a policy's parts and returns it: the same checks as {@link logPolicyFromJSON}.
 * @throws {TlogError} TLOG_BAD_POLICY naming what is wrong.
 */
export function checkLogPolicy(policy: LogPolicy): LogPolicy {
  const { witnesses, threshold } = policy;
  text(policy.origin, "origin");
  if (witnesses.length === 0 || witnesses.length > MAX_LOG_POLICY_WITNESSES) {
    bad(`list 1 to ${MAX_LOG_POLICY_WITNESSES} witnesses, not ${witnesses.length}`);
  }
  if (!Number.isSafeInteger(threshold) || threshold < 1 || threshold > witnesses.length) {
    bad(`threshold must be a whole number from 1 to ${witnesses.length}, not ${threshold}`);
  }
  const names = new Set<string>();
  const keys = new Set<string>();
  const logKey = policy.logVerifier instanceof Ed25519Verifier ? policy.logVerifier.publicKey : undefined;
  for (const w of witnesses) {
    text(w.name, "a witness name");
    if (names.has(w.name)) bad(`the witness name ${JSON.stringify(w.name)} is listed twice`);
    // Thresholds count distinct keys: the same key under two names is one witness.
    const raw = Buffer.from(w.verifier.publicKey).toString("hex");
    if (keys.has(raw)) bad(`witness ${JSON.stringify(w.name)} has the key of another witness`);
    if (logKey !== undefined && Buffer.from(logKey).toString("hex") === raw) {
      bad(`witness ${JSON.stringify(w.name)} holds the log's own key: a log cannot witness itself`);
    }
    if (w.url !== undefined && !/^https?:\/\//i.test(w.url))
      bad(`witness ${JSON.stringify(w.name)}: url must be http(s)`);
    names.add(w.name);
    keys.add(raw);
  }
  if (policy.logUrl !== undefined) httpUrl(text(policy.logUrl, "log_url"), "log_url");
  if (policy.requireAvailabilityWitnesses === true) {
    if (policy.logUrl === undefined) bad("require_availability_witnesses needs log_url: where witnesses read the log");
    const counted = countedWitnesses(policy).length;
    if (threshold > counted) {
      bad(`threshold ${threshold} needs that many witnesses with checks_availability, not ${counted}`);
    }
  }
  return policy;
}

/**
 * Reads the JSON form (see the module comment) strictly.
 * @throws {TlogError} TLOG_BAD_POLICY naming the field at fault.
 */
export function logPolicyFromJSON(value: JsonValue | undefined): LogPolicy {
  if (!isJsonObject(value)) return bad("must be an object");
  onlyFields(
    value,
    ["origin", "log_vkey", "log_url", "witnesses", "threshold", "require_availability_witnesses"],
    "the policy",
  );
  const origin = text(value.origin, "origin");
  let logVerifier: NoteVerifier;
  try {
    logVerifier = parseVerifierKey(text(value.log_vkey, "log_vkey"));
  } catch (cause) {
    if (!(cause instanceof TlogError)) throw cause;
    return bad(`log_vkey does not parse: ${cause.message}`);
  }
  const list = value.witnesses;
  if (!Array.isArray(list)) return bad("witnesses must be an array");
  if (list.length > MAX_LOG_POLICY_WITNESSES) return bad(`more than ${MAX_LOG_POLICY_WITNESSES} witnesses`);
  const witnesses = list.map((entry, i): Witness => {
    const at = `witnesses[${i}]`;
    if (!isJsonObject(entry)) return bad(`${at} must be an object`);
    onlyFields(entry, ["name", "vkey", "url", "checks_availability"], at);
    const name = text(entry.name, `${at}.name`);
    let verifier: CosignatureV1Verifier;
    try {
      verifier = parseCosignatureVerifierKey(text(entry.vkey, `${at}.vkey`));
    } catch (cause) {
      if (!(cause instanceof TlogError)) throw cause;
      return bad(`${at}.vkey is not a witness key: ${cause.message}`);
    }
    const url = Object.hasOwn(entry, "url") ? text(entry.url, `${at}.url`) : undefined;
    if (url !== undefined && !URL.canParse(url)) bad(`${at}.url is not a URL`);
    const w = witness(name, verifier, url);
    if (!Object.hasOwn(entry, "checks_availability")) return w;
    return { ...w, checksAvailability: flag(entry.checks_availability, `${at}.checks_availability`) };
  });
  const threshold = typeof value.threshold === "bigint" ? Number(value.threshold) : value.threshold;
  if (typeof threshold !== "number") return bad("threshold must be a whole number");
  const logUrl = Object.hasOwn(value, "log_url") ? httpUrl(text(value.log_url, "log_url"), "log_url") : undefined;
  const require = Object.hasOwn(value, "require_availability_witnesses")
    ? flag(value.require_availability_witnesses, "require_availability_witnesses")
    : undefined;
  return checkLogPolicy({
    origin,
    logVerifier,
    witnesses,
    threshold,
    ...(logUrl === undefined ? {} : { logUrl }),
    ...(require === undefined ? {} : { requireAvailabilityWitnesses: require }),
  });
}

/** The JSON form of a policy, for `root.signed[LOG_POLICY_FIELD]`. */
export function logPolicyToJSON(policy: LogPolicy): JsonObject {
  return {
    origin: policy.origin,
    log_vkey: policy.logVerifier.vkey,
    ...(policy.logUrl === undefined ? {} : { log_url: policy.logUrl }),
    witnesses: policy.witnesses.map((w) => ({
      name: w.name,
      vkey: w.verifier.vkey,
      ...(w.url === undefined ? {} : { url: w.url }),
      ...(w.checksAvailability === undefined ? {} : { checks_availability: w.checksAvailability }),
    })),
    threshold: policy.threshold,
    ...(policy.requireAvailabilityWitnesses === undefined
      ? {}
      : { require_availability_witnesses: policy.requireAvailabilityWitnesses }),
  };
}

/**
 * The log policy of a TUF root's unrecognized fields, or undefined when it has none.
 * @throws {TlogError} TLOG_BAD_POLICY when the field is there but does not parse.
 */
export function logPolicyOf(root: {
  readonly unrecognized: Readonly<Record<string, JsonValue>>;
}): LogPolicy | undefined {
  if (!Object.hasOwn(root.unrecognized, LOG_POLICY_FIELD)) return undefined;
  return logPolicyFromJSON(root.unrecognized[LOG_POLICY_FIELD]);
}

/** The canonical JSON of the policy a root carries, for comparisons; undefined when none. */
export function logPolicyJsonIn(root: {
  readonly unrecognized: Readonly<Record<string, JsonValue>>;
}): string | undefined {
  if (!Object.hasOwn(root.unrecognized, LOG_POLICY_FIELD)) return undefined;
  return canonicalString(root.unrecognized[LOG_POLICY_FIELD] as JsonValue);
}

/** The canonical JSON {@link writeLogPolicy} stores for `policy`; undefined for none. */
export function logPolicyJson(policy: LogPolicy | undefined): string | undefined {
  return policy === undefined ? undefined : canonicalString(logPolicyToJSON(policy));
}

/** Writes `policy` into a root's fields (removing the field when it is undefined). */
export function writeLogPolicy(root: { unrecognized: Record<string, JsonValue> }, policy: LogPolicy | undefined): void {
  const { [LOG_POLICY_FIELD]: _old, ...rest } = root.unrecognized;
  root.unrecognized = policy === undefined ? rest : { ...rest, [LOG_POLICY_FIELD]: logPolicyToJSON(policy) };
}
