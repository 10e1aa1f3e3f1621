/**
 * Witness policies: which witnesses must have cosigned a checkpoint before a client
 * trusts it. A policy is a tree of k-of-n groups over witnesses, written in the line
 * format of Sigsum's policy files as transparency-dev/formats reads it:
 *
 *     witness <name> <vkey> [url]
 *     group <name> <k|all|any> <member names...>
 *     quorum <name|none>
 *
 * `#` starts a comment; `log` lines are ignored (the log is configured separately). Witness
 * keys are cosignature/v1 keys (type 0x04), or Ed25519 keys (0x01) read as such.
 */
import type { CosignatureV1Verifier } from "./cosignature.js";
import { TLOG_ERRORS, TlogError, usageError } from "./errors.js";
import type { NoteVerifier } from "./note-key.js";
import { parseCosignatureVerifierKey } from "./vkey.js";

/** A witness: a name in the policy, its cosignature key, and where to reach it. */
export interface Witness {
  readonly kind: "witness";
  readonly name: string;
  readonly verifier: CosignatureV1Verifier;
  readonly url?: string;
  /**
   * Whether the witness checks data availability: it cosigns only checkpoints whose entries
   * it read from the log's public URL (a log policy's claim about it; see log-policy.ts).
   */
  readonly checksAvailability?: boolean;
}

/** At least `threshold` of `members` must be satisfied (a threshold of 0 always is). */
export interface WitnessGroup {
  readonly kind: "group";
  readonly threshold: number;
  readonly members: readonly PolicyComponent[];
}

/** A witness or a group of components. */
export type PolicyComponent = Witness | WitnessGroup;

/**
 * A k-of-n group of components.
 * @throws {UsageError} unless 0 <= threshold <= members.length.
 */
export function witnessGroup(threshold: number, members: readonly PolicyComponent[]): WitnessGroup {
  if (!Number.isSafeInteger(threshold) || threshold < 0 || threshold > members.length) {
    throw usageError(`a group of ${members.length} cannot have threshold ${threshold}`);
  }
  return { kind: "group", threshold, members: [...members] };
}

/** A witness component for a cosignature verifier. */
export function witness(name: string, verifier: CosignatureV1Verifier, url?: string): Witness {
  return url === undefined ? { kind: "witness", name, verifier } : { kind: "witness", name, verifier, url };
}

/**
 * Whether a component is satisfied by the witness keys that verifiably cosigned, given by
 * their `vkey` (or as the verifiers themselves).
 */
export function isSatisfied(component: PolicyComponent, cosigners: Iterable<NoteVerifier | string>): boolean {
  const set = new Set<string>();
  for (const c of cosigners) set.add(typeof c === "string" ? c : c.vkey);
  return satisfied(component, set);
}

function satisfied(component: PolicyComponent, vkeys: ReadonlySet<string>): boolean {
  if (component.kind === "witness") return vkeys.has(component.verifier.vkey);
  if (component.threshold <= 0) return true;
  let count = 0;
  for (const member of component.members) {
    if (satisfied(member, vkeys) && ++count >= component.threshold) return true;
  }
  return false;
}

/** The distinct witness keys of a component, for opening a checkpoint with them. */
export function policyVerifiers(component: PolicyComponent): CosignatureV1Verifier[] {
  const byVkey = new Map<string, CosignatureV1Verifier>();
  const walk = (c: PolicyComponent): void => {
    if (c.kind === "witness") byVkey.set(c.verifier.vkey, c.verifier);
    else for (const m of c.members) walk(m);
  };
  walk(component);
  return [...byVkey.values()];
}

/** A parsed policy: its quorum group and every named component. */
export interface WitnessPolicy {
  /** The group that must be satisfied. A quorum naming one witness is a 1-of-1 group. */
  readonly quorum: WitnessGroup;
  /** The witnesses and groups by name, in definition order. */
  readonly components: ReadonlyMap<string, PolicyComponent>;
}

const KEYWORDS = new Set(["witness", "group", "any", "all", "none", "quorum", "log"]);
// strings.Fields splits on Unicode white space.
const FIELD_SEPARATOR = /[\t\n\v\f\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]+/u;

function bad(message: string, cause?: unknown): TlogError {
  return new TlogError(TLOG_ERRORS.BAD_POLICY, message, cause === undefined ? undefined : { cause });
}

/**
 * Parses a witness policy.
 * @throws {TlogError} TLOG_BAD_POLICY naming the line at fault.
 */
export function parseWitnessPolicy(text: string): WitnessPolicy {
  const components = new Map<string, PolicyComponent>();
  let quorumName: string | undefined;
  const define = (name: string, what: string): void => {
    if (KEYWORDS.has(name)) throw bad(`invalid ${what} name ${JSON.stringify(name)}`);
    if (components.has(name)) throw bad(`duplicate component name: ${JSON.stringify(name)}`);
  };
  for (const rawLine of text.split("\n")) {
    const hash = rawLine.indexOf("#");
    const line = (hash < 0 ? rawLine : rawLine.slice(0, hash)).trim();
    if (line === "") continue;
    const fields = line.split(FIELD_SEPARATOR);
    const [keyword, ...args] = fields as [string, ...string[]];
    switch (keyword) {
      case "log":
        break;
      case "witness": {
        if (args.length < 2 || args.length > 3) throw bad(`invalid witness definition: ${JSON.stringify(line)}`);
        const [name, vkey, url] = args as [string, string, string | undefined];
        define(name, "witness");
        let verifier: CosignatureV1Verifier;
        try {
          verifier = parseCosignatureVerifierKey(vkey);
        } catch (cause) {
          throw bad(`invalid witness key for ${JSON.stringify(name)}`, cause);
        }
        if (url !== undefined && !URL.canParse(url)) throw bad(`invalid witness URL ${JSON.stringify(url)}`);
        components.set(name, witness(name, verifier, url));
        break;
      }
      case "group": {
        if (args.length < 2) throw bad(`invalid group definition: ${JSON.stringify(line)}`);
        const [name, n, ...memberNames] = args as [string, string, ...string[]];
        define(name, "group");
        const threshold = n === "any" ? 1 : n === "all" ? memberNames.length : /^[0-9]{1,3}$/.test(n) ? Number(n) : -1;
        if (threshold < 0 || threshold > 255)
          throw bad(`invalid threshold ${JSON.stringify(n)} for group ${JSON.stringify(name)}`);
        if (threshold > memberNames.length) {
          throw bad(`group with ${memberNames.length} children cannot have threshold ${threshold}`);
        }
        if (new Set(memberNames).size !== memberNames.length)
          throw bad(`duplicate member in group ${JSON.stringify(name)}`);
        const members = memberNames.map((m) => {
          if (KEYWORDS.has(m)) throw bad(`invalid component name ${JSON.stringify(m)}`);
          const member = components.get(m);
          if (member === undefined) throw bad(`unknown component ${JSON.stringify(m)} in group definition`);
          return member;
        });
        components.set(name, witnessGroup(threshold, members));
        break;
      }
      case "quorum":
        if (args.length !== 1) throw bad(`invalid quorum definition: ${JSON.stringify(line)}`);
        if (quorumName !== undefined) throw bad("more than one quorum line");
        quorumName = args[0] as string;
        break;
      default:
        throw bad(`unknown keyword: ${JSON.stringify(keyword)}`);
    }
  }
  if (quorumName === undefined) throw bad("policy file must define a quorum");
  if (quorumName === "none") return { quorum: witnessGroup(0, []), components };
  if (KEYWORDS.has(quorumName)) throw bad(`invalid quorum name ${JSON.stringify(quorumName)}`);
  const quorum = components.get(quorumName);
  if (quorum === undefined) throw bad(`quorum component ${JSON.stringify(quorumName)} not found`);
  return { quorum: quorum.kind === "group" ? quorum : witnessGroup(1, [quorum]), components };
}
