/**
 * One poll of one source: fetch its feed (conditionally), find what is new, fetch and
 * check it once, and compare it with what the source served before. A feed that goes back
 * a version, changes the bytes of a version it served, or stops verifying raises an alert,
 * and the release it concerns is recorded as suspicious, with the evidence.
 */

import type { KeyObject } from "node:crypto";
import { BadVersionNumberError, RepositoryError } from "@bulwark/tuf";
import { checkSourceConfig, type SourceKeys } from "./config.js";
import { SourceConfigError } from "./errors.js";
import { electronOffers, sparkleOffers, squirrelOffers } from "./feeds.js";
import { type FetchContext, fetchFeed } from "./fetch.js";
import type { SeenRelease, SourceMemory } from "./memory.js";
import type { Offer, Verification } from "./offer.js";
import { tufOffers } from "./tuf.js";
import type { CheckStrength, PollResult, ReleaseRecord, SourceAlert, SourceConfig } from "./types.js";
import { urlPoll } from "./url.js";
import { compareVersions, newestVersion } from "./versions.js";

/** What a poll needs besides the source. */
export interface PollContext {
  /** What the source saw before. */
  readonly memory: SourceMemory;
  /** How bytes are fetched, and where they are staged. */
  readonly fetch: FetchContext;
  /** Where TUF sources keep their client's metadata. */
  readonly workDir: string;
  /** The clock, for `fetchedAt`. */
  readonly now?: () => Date;
}

/**
 * Polls `config` once.
 * @throws {SourceConfigError} when the source is configured wrongly.
 * @throws {SourceFetchError} when the feed or a file cannot be fetched (nothing is remembered: the next poll tries again).
 * @throws {SourceFeedError} when the feed is not a feed of its kind.
 */
export async function pollSource(config: SourceConfig, ctx: PollContext): Promise<PollResult> {
  const keys = checkSourceConfig(config);
  switch (config.kind) {
    case "url":
      return urlPoll(config, keys, ctx);
    case "tuf": {
      let offers: Offer[];
      try {
        offers = await tufOffers(config, ctx.workDir, ctx.fetch.tufFetcher);
      } catch (error) {
        if (!(error instanceof RepositoryError)) throw error;
        const evidence = { code: error.code, detail: error.message };
        // TUF itself refuses metadata older than what this gateway trusts: that is a rollback.
        const alert: SourceAlert =
          error instanceof BadVersionNumberError
            ? {
                sourceId: config.id,
                kind: "version-rollback",
                message: `the repository went back: ${error.message}`,
                evidence,
              }
            : await notVerifying(config.id, ctx.memory, undefined, evidence);
        return { sourceId: config.id, changed: true, records: [], alerts: [alert] };
      }
      return takeOffers(config, offers, ctx);
    }
    default: {
      const answer = await fetchFeed(ctx.fetch, config.feedUrl, await ctx.memory.validators(config.feedUrl));
      if (!answer.modified) return { sourceId: config.id, changed: false, records: [], alerts: [] };
      const offers =
        config.kind === "electron"
          ? electronOffers(answer.bytes, config.feedUrl)
          : config.kind === "sparkle"
            ? sparkleOffers(answer.bytes, config.feedUrl, sparkleKey(keys))
            : squirrelOffers(answer.bytes, config.feedUrl);
      const result = await takeOffers(config, offers, ctx);
      // Last: a poll that failed half way is done again in full.
      await ctx.memory.setValidators(config.feedUrl, answer.validators);
      return result;
    }
  }
}

function sparkleKey(keys: SourceKeys): KeyObject {
  if (keys.key === undefined) throw new SourceConfigError("a Sparkle source needs the app's EdDSA public key");
  return keys.key;
}

/** The alert of a release (or a source) that does not verify: `stopped-verifying` when it did before. */
export async function notVerifying(
  sourceId: string,
  memory: SourceMemory,
  version: string | undefined,
  evidence: Record<string, string>,
): Promise<SourceAlert> {
  const before = (await memory.releases()).filter((r) => r.verified).at(-1);
  const what = version === undefined ? "the source" : version;
  return {
    sourceId,
    kind: before === undefined ? "verification-failed" : "stopped-verifying",
    ...(version === undefined ? {} : { version }),
    message:
      before === undefined
        ? `${what} does not verify`
        : `${what} does not verify, though ${before.version} from this source did`,
    evidence: { ...evidence, ...(before === undefined ? {} : { lastVerified: before.version }) },
  };
}

/**
 * Fetches and checks the newest offer when it is new (or its declaration changed), and
 * every version served before whose declaration changed; raises the alerts.
 */
async function takeOffers(config: SourceConfig, offers: readonly Offer[], ctx: PollContext): Promise<PollResult> {
  const seen = await ctx.memory.releases();
  const byVersion = new Map(seen.map((r) => [r.version, r]));
  const highest = newestVersion(seen.map((r) => r.version));
  const newest = newestVersion(offers.map((o) => o.version));
  const alerts: SourceAlert[] = [];
  if (highest !== undefined && newest !== undefined && compareVersions(newest, highest) < 0) {
    alerts.push({
      sourceId: config.id,
      kind: "version-rollback",
      version: newest,
      message: `the feed went back from ${highest} to ${newest}`,
      evidence: { highestServedBefore: highest, newestServedNow: newest },
    });
  }
  const records: ReleaseRecord[] = [];
  for (const offer of offers) {
    const prior = byVersion.get(offer.version);
    if (prior !== undefined && prior.declared === offer.declared) continue;
    if (prior === undefined && offer.version !== newest) continue;
    const record = await recordRelease(config, offer, await offer.verify(ctx.fetch), prior, alerts, ctx);
    if (record !== undefined) records.push(record);
  }
  return { sourceId: config.id, changed: records.length > 0 || alerts.length > 0, records, alerts };
}

/**
 * Compares a fetched and checked version with what the source served before, raises its
 * alerts (also pushed onto `alerts`), remembers it, and makes its record; undefined when it
 * is the same bytes as before, described differently.
 */
export async function recordRelease(
  config: SourceConfig,
  offer: Pick<Offer, "version" | "declared">,
  result: Verification,
  prior: SeenRelease | undefined,
  alerts: SourceAlert[],
  ctx: PollContext,
): Promise<ReleaseRecord | undefined> {
  const installers = result.artifacts.filter((a) => a.role === "installer");
  const sha256 = Object.fromEntries(installers.map((a) => [a.name, a.sha256]));
  const own: SourceAlert[] = alerts.filter((a) => a.version === offer.version);
  if (prior !== undefined) {
    const changed = [...new Set([...Object.keys(prior.sha256), ...Object.keys(sha256)])].filter(
      (name) => prior.sha256[name] !== sha256[name],
    );
    if (changed.length === 0) {
      // Same bytes, described differently (a new URL): nothing new.
      await ctx.memory.remember({ ...prior, declared: offer.declared });
      return undefined;
    }
    const alert: SourceAlert = {
      sourceId: config.id,
      kind: "bytes-changed",
      version: offer.version,
      message: `the feed serves other bytes for ${offer.version} than it did on ${prior.seenAt}`,
      evidence: Object.fromEntries(
        changed.map((name) => [name, `was ${prior.sha256[name] ?? "(absent)"}, now ${sha256[name] ?? "(absent)"}`]),
      ),
    };
    own.push(alert);
    alerts.push(alert);
  }
  const failed = result.checks.filter((c) => !c.ok);
  const ok = failed.length === 0 && result.checks.length > 0;
  if (!ok) {
    const alert = await notVerifying(config.id, ctx.memory, offer.version, {
      failed:
        failed.map((c) => `${c.check}${c.artifact === undefined ? "" : ` (${c.artifact})`}: ${c.detail}`).join("; ") ||
        "no check",
    });
    own.push(alert);
    alerts.push(alert);
  }
  const fetchedAt = (ctx.now?.() ?? new Date()).toISOString();
  // A version served before keeps its first bytes on record: those are the ones it is compared with.
  await ctx.memory.remember(
    prior === undefined
      ? { version: offer.version, sha256, declared: offer.declared, verified: ok, seenAt: fetchedAt }
      : { ...prior, declared: offer.declared },
  );
  return {
    sourceId: config.id,
    kind: config.kind,
    version: offer.version,
    status: own.length === 0 ? "verified" : "suspicious",
    verifiedBy: ok ? strongest(result.checks.map((c) => c.strength)) : "nothing",
    artifacts: result.artifacts,
    checks: result.checks,
    alerts: own,
    fetchedAt,
  };
}

const RANK: Record<CheckStrength, number> = { weak: 0, "integrity-only": 1, strong: 2 };

function strongest(strengths: readonly CheckStrength[]): CheckStrength {
  return strengths.reduce((a, b) => (RANK[b] > RANK[a] ? b : a), "weak" as CheckStrength);
}
