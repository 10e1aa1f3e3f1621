/**
 * The policy document: which releases may go to which ring, and when. JSON checked with zod
 * (every field named, unknown keys refused), saved whole and versioned (policy/store.ts).
 *
 *     {
 *       "rings": [{ "name": "canary" }, { "name": "early", "delay": "1d" }, { "name": "broad", "delay": "3d" }],
 *       "default": { "soak": "2d", "scan": "clean", "approvals": { "required": 2, "approvers": ["alice", "bob", "carol"] } },
 *       "sources": { "acme-app": { "autoApprove": true, "rings": { "broad": { "windows": [{ "days": ["sat"], "start": "02:00", "end": "06:00" }] } } } },
 *       "block": { "sha256": ["…"], "signers": ["CN=Old Build Key"] }
 *     }
 *
 * A ring's rule is the default, then the ring's own `rule`, then the source's rule, then the
 * source's rule for that ring, each overriding the fields it names. Pins and the freeze are
 * state changed by a command (and recorded in the trail), not edits of this document.
 */
import { checkConfig, durationField, SCHEMA_KEY } from "@bulwark/publisher";
import { z } from "zod";
import { POLICY_ERRORS, PolicyError } from "./errors.js";

/** Days of the week as maintenance windows name them, Sunday first (as `Date.getUTCDay`). */
export const WEEKDAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"] as const;

/** The scan verdict a ring accepts at least: `clean` only, or `review` too (never `block`). */
export const SCAN_REQUIREMENTS = ["clean", "review"] as const;

const NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/;
const HOUR_MINUTE = /^([01][0-9]|2[0-3]):[0-5][0-9]$|^24:00$/;
const SHA256 = /^[0-9a-f]{64}$/;

const minutes = (text: string): number => Number(text.slice(0, 2)) * 60 + Number(text.slice(3));

const windowSchema = z
  .strictObject({
    days: z.array(z.enum(WEEKDAYS)).min(1).describe("the days of the week (UTC) the window opens"),
    start: z.string().regex(HOUR_MINUTE, 'must be a time such as "02:00" (UTC)').describe("opens at (HH:MM, UTC)"),
    end: z
      .string()
      .regex(HOUR_MINUTE, 'must be a time such as "06:00" (UTC)')
      .describe("closes at (HH:MM, UTC; 24:00 is midnight)"),
  })
  .refine((w) => minutes(w.end) > minutes(w.start), "end must be after start (split a window across midnight in two)")
  .transform((w) => ({ days: w.days, startMinute: minutes(w.start), endMinute: minutes(w.end) }))
  .describe("a weekly window (UTC) in which publishing may happen");

const approvalsSchema = z
  .strictObject({
    required: z.number().int().min(0).max(32).describe("how many distinct approvers must approve (k)"),
    approvers: z
      .array(z.string().regex(NAME, "must be an approver id (lowercase letters, digits, '.', '_', '-')"))
      .default([])
      .describe("the approvers who may approve (n); empty: any approver in the approvers table"),
  })
  .refine(
    (a) => a.approvers.length === 0 || a.required <= a.approvers.length,
    "required is more than the approvers listed",
  )
  .refine((a) => new Set(a.approvers).size === a.approvers.length, "an approver is listed twice")
  .describe("k-of-n approvals by named approvers");

const ruleFields = {
  soak: durationField("soak: how long a release waits after it was fetched before it can be approved").optional(),
  scan: z.enum(SCAN_REQUIREMENTS).optional().describe("the scan verdict accepted at least: clean, or review too"),
  approvals: approvalsSchema.optional(),
  autoApprove: z.boolean().optional().describe("approve a clean release automatically once it has soaked"),
  windows: z.array(windowSchema).optional().describe("maintenance windows; none: publishing may happen at any time"),
};

/** A rule that overrides the fields it names. */
const overrideSchema = z.strictObject(ruleFields);

const ringSchema = z.strictObject({
  name: z.string().regex(NAME, "must be a ring name (lowercase letters, digits, '.', '_', '-')"),
  delay: durationField("delay: how long after the previous ring published this ring may follow").optional(),
  rule: overrideSchema.optional().describe("this ring's rule, over the default"),
});

const sourceSchema = z.strictObject({
  ...ruleFields,
  rings: z.record(z.string(), overrideSchema).optional().describe("this source's rule per ring"),
});

/** The schema of a policy document. */
export const policySchema = z
  .strictObject({
    ...SCHEMA_KEY,
    rings: z.array(ringSchema).min(1).max(16).describe("the rings, in order: each follows the previous"),
    default: overrideSchema.optional().describe("the rule of every source and ring unless overridden"),
    sources: z.record(z.string(), sourceSchema).optional().describe("rules per source (by source name)"),
    block: z
      .strictObject({
        sha256: z.array(z.string().regex(SHA256, "must be a lowercase hex SHA-256")).default([]),
        signers: z.array(z.string().min(1)).default([]),
      })
      .optional()
      .describe("releases never approved: by the SHA-256 of their bytes, or by their signer's identity"),
  })
  .superRefine((policy, context) => {
    const names = policy.rings.map((r) => r.name);
    if (new Set(names).size !== names.length)
      context.addIssue({ code: "custom", path: ["rings"], message: "a ring is named twice" });
    for (const [source, rule] of Object.entries(policy.sources ?? {})) {
      for (const ring of Object.keys(rule.rings ?? {})) {
        if (!names.includes(ring)) {
          context.addIssue({
            code: "custom",
            path: ["sources", source, "rings", ring],
            message: `no ring named ${ring}`,
          });
        }
      }
    }
  });

/** A maintenance window: minutes after midnight UTC on each of its days. */
export interface MaintenanceWindow {
  readonly days: readonly (typeof WEEKDAYS)[number][];
  readonly startMinute: number;
  readonly endMinute: number;
}

/** The rule in force for one source in one ring: every field resolved. */
export interface RingRule {
  /** Milliseconds a release waits after it was fetched. */
  readonly soakMs: number;
  readonly scan: (typeof SCAN_REQUIREMENTS)[number];
  /** k: distinct approvals needed (0: only auto-approval can approve). */
  readonly required: number;
  /** n: who may approve; empty: any registered approver. */
  readonly approvers: readonly string[];
  readonly autoApprove: boolean;
  /** Empty: any time. */
  readonly windows: readonly MaintenanceWindow[];
}

/** A checked policy document. */
export type PolicyDocument = z.output<typeof policySchema>;

/** A ring of a policy, in order. */
export interface Ring {
  readonly name: string;
  /** Milliseconds after the previous ring published (for the first ring: after the soak). */
  readonly delayMs: number;
}

/** A checked policy, ready for {@link decide}: rings in order and each source's rule per ring. */
export interface Policy {
  readonly document: PolicyDocument;
  readonly rings: readonly Ring[];
  readonly blockedSha256: ReadonlySet<string>;
  readonly blockedSigners: ReadonlySet<string>;
  /**
   * The rule for `source` in `ring`.
   * @throws {PolicyError} `POLICY_UNKNOWN_RING` for a ring the policy does not have.
   */
  rule(source: string, ring: string): RingRule;
  /** Every approver id the policy names. */
  readonly approverIds: ReadonlySet<string>;
}

const BASE: RingRule = { soakMs: 0, scan: "clean", required: 0, approvers: [], autoApprove: false, windows: [] };

function apply(rule: RingRule, override: z.output<typeof overrideSchema> | undefined): RingRule {
  if (override === undefined) return rule;
  return {
    soakMs: override.soak === undefined ? rule.soakMs : override.soak * 1000,
    scan: override.scan ?? rule.scan,
    required: override.approvals?.required ?? rule.required,
    approvers: override.approvals?.approvers ?? rule.approvers,
    autoApprove: override.autoApprove ?? rule.autoApprove,
    windows: override.windows ?? rule.windows,
  };
}

/** Makes a {@link Policy} of a checked document. */
export function toPolicy(document: PolicyDocument): Policy {
  const rings = document.rings.map((r) => ({ name: r.name, delayMs: (r.delay ?? 0) * 1000 }));
  const approverIds = new Set<string>();
  const collect = (o: z.output<typeof overrideSchema> | undefined) => {
    for (const id of o?.approvals?.approvers ?? []) approverIds.add(id);
  };
  collect(document.default);
  for (const ring of document.rings) collect(ring.rule);
  for (const source of Object.values(document.sources ?? {})) {
    collect(source);
    for (const o of Object.values(source.rings ?? {})) collect(o);
  }
  return {
    document,
    rings,
    blockedSha256: new Set(document.block?.sha256 ?? []),
    blockedSigners: new Set(document.block?.signers ?? []),
    approverIds,
    rule(source, ringName) {
      const ring = document.rings.find((r) => r.name === ringName);
      if (ring === undefined) {
        throw new PolicyError(POLICY_ERRORS.UNKNOWN_RING, `the policy has no ring ${JSON.stringify(ringName)}`);
      }
      const forSource = Object.hasOwn(document.sources ?? {}, source) ? document.sources?.[source] : undefined;
      const ringOverride =
        forSource?.rings && Object.hasOwn(forSource.rings, ringName) ? forSource.rings[ringName] : undefined;
      return apply(apply(apply(apply(BASE, document.default), ring.rule), forSource), ringOverride);
    },
  };
}

/**
 * Checks a policy document (parsed JSON).
 * @throws {ConfigError} `POLICY_INVALID`, naming every field at fault.
 */
export function parsePolicy(value: unknown): Policy {
  return toPolicy(
    checkConfig(policySchema, value, {
      file: "policy",
      code: POLICY_ERRORS.INVALID,
      hint: "Fix the fields named and save the policy again; docs/gateway.md#policies describes each.",
    }),
  );
}
