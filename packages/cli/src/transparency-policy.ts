/**
 * The transparency-log policy in root metadata, on the vendor's side: read from and written
 * to `root.signed["x-bulwark-transparency-log"]` (see @bulwark/tlog `log-policy.ts`), a field
 * other TUF clients ignore and root's signatures cover. Only a new root version, signed by
 * the root keys' thresholds, can change it, so a stolen targets or online key cannot turn
 * the log requirement off, swap the log key or lower the witness threshold.
 */
import {
  LOG_POLICY_FIELD,
  type LogPolicy,
  logPolicyOf,
  logPolicyToJSON,
  parseCosignatureVerifierKey,
  TlogError,
  type Witness,
  witness,
} from "@bulwark/tlog";
import { canonicalString, type JsonValue, type Root } from "@bulwark/tuf";
import { CliError, usage } from "./errors.js";
import { EXIT } from "./exit-codes.js";

/**
 * The log policy a root carries, or undefined.
 * @throws {CliError} `BAD_LOG_POLICY` when the field does not parse.
 */
export function logPolicyIn(root: Root): LogPolicy | undefined {
  try {
    return logPolicyOf(root);
  } catch (cause) {
    if (!(cause instanceof TlogError)) throw cause;
    throw new CliError(
      "BAD_LOG_POLICY",
      `root version ${root.version}: ${cause.message}`,
      EXIT.FAILURE,
      "set a valid one with `bulwark log policy set` (a new root version, signed by the root keys)",
      { cause },
    );
  }
}

/** The canonical JSON of the policy a root carries, for comparisons; undefined when none. */
export function logPolicyJsonIn(root: Root): string | undefined {
  if (!Object.hasOwn(root.unrecognized, LOG_POLICY_FIELD)) return undefined;
  return canonicalString(root.unrecognized[LOG_POLICY_FIELD] as JsonValue);
}

/** The canonical JSON {@link writeLogPolicy} would store; undefined for none. */
export function logPolicyJson(policy: LogPolicy | undefined): string | undefined {
  return policy === undefined ? undefined : canonicalString(logPolicyToJSON(policy));
}

/** Writes `policy` into `root` (removing the field when it is undefined). */
export function writeLogPolicy(root: Root, policy: LogPolicy | undefined): void {
  const { [LOG_POLICY_FIELD]: _old, ...rest } = root.unrecognized;
  root.unrecognized = policy === undefined ? rest : { ...rest, [LOG_POLICY_FIELD]: logPolicyToJSON(policy) };
}

/**
 * Parses `--witness NAME=VKEY[@URL]`. The vkey's base64 holds no `@`, so a URL starts at
 * the first `@` after the vkey's last `+`.
 * @throws {CliError} `CLI_USAGE` naming what is wrong.
 */
export function witnessOption(spec: string): Witness {
  const eq = spec.indexOf("=");
  const hint = "e.g. --witness w1=witness.example+1a2b3c4d+AbCd...@https://witness.example/";
  if (eq <= 0) throw usage(`--witness ${JSON.stringify(spec)} is not NAME=VKEY[@URL]`, hint);
  const name = spec.slice(0, eq);
  const rest = spec.slice(eq + 1);
  const at = rest.indexOf("@", rest.lastIndexOf("+") + 1);
  const vkey = at < 0 ? rest : rest.slice(0, at);
  const url = at < 0 ? undefined : rest.slice(at + 1);
  if (url !== undefined && !(/^https?:\/\//i.test(url) && URL.canParse(url))) {
    throw usage(`--witness ${name}: ${JSON.stringify(url)} is not an http(s) URL`, hint);
  }
  try {
    return witness(name, parseCosignatureVerifierKey(vkey), url);
  } catch (cause) {
    if (!(cause instanceof TlogError)) throw cause;
    throw usage(`--witness ${name}: ${JSON.stringify(vkey)} is not a witness key: ${cause.message}`, hint);
  }
}

/** Table rows describing a policy: witness, key, URL. */
export function logPolicyRows(policy: LogPolicy): string[][] {
  return policy.witnesses.map((w) => [w.name, w.verifier.vkey, w.url ?? "-"]);
}

/** A policy for `--json`. */
export function describeLogPolicy(policy: LogPolicy | undefined): JsonValue {
  return policy === undefined ? null : logPolicyToJSON(policy);
}
