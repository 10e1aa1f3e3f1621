/**
 * A plain URL: the file itself is fetched, conditionally, and checked against the SHA-256
 * pinned when the source was added or a detached signature under the key given then. A
 * URL has no feed to go back in, but a server that answers with bytes it served before,
 * after newer ones, is going back all the same.
 */
import type { SourceKeys } from "./config.js";
import { stageIfModified } from "./fetch.js";
import type { Expectation } from "./offer.js";
import { checkStaged } from "./offer.js";
import { type PollContext, recordRelease } from "./poll.js";
import type { PollResult, SourceAlert, UrlSourceConfig } from "./types.js";

/** One poll of a plain URL source. */
export async function urlPoll(config: UrlSourceConfig, keys: SourceKeys, ctx: PollContext): Promise<PollResult> {
  const staged = await stageIfModified(
    ctx.fetch,
    config.url,
    ctx.fetch.limits.maxArtifactBytes,
    await ctx.memory.validators(config.url),
  );
  const none: PollResult = { sourceId: config.id, changed: false, records: [], alerts: [] };
  if (staged === undefined) return none;
  const seen = await ctx.memory.releases();
  const version = config.version ?? `sha256-${staged.sha256.slice(0, 16)}`;
  const prior = seen.find((r) => r.version === version);
  const alerts: SourceAlert[] = [];
  const earlier = seen.findIndex((r) => Object.values(r.sha256).includes(staged.sha256));
  if (earlier >= 0 && earlier < seen.length - 1) {
    const was = seen[earlier]?.version as string;
    const last = seen.at(-1)?.version as string;
    alerts.push({
      sourceId: config.id,
      kind: "version-rollback",
      version: was,
      message: `${config.url} serves again the bytes of ${was}, after those of ${last}`,
      evidence: { servedNow: staged.sha256, lastServed: last },
    });
  }
  const name = new URL(config.url).pathname.split("/").pop() || "file";
  if (prior !== undefined && prior.declared === staged.sha256) {
    // The server ignored the conditional request; the bytes are the same.
    await ctx.memory.setValidators(config.url, staged.validators);
    return { ...none, alerts, changed: alerts.length > 0 };
  }
  const expect: Expectation[] = [
    ...(config.sha256 === undefined ? [] : [{ check: "sha256-pinned" as const, hex: config.sha256 }]),
    ...(config.signature === undefined || keys.key === undefined
      ? []
      : [
          {
            check: "detached-signature" as const,
            url: config.signature.url,
            algorithm: config.signature.algorithm,
            key: keys.key,
          },
        ]),
  ];
  const checks = await checkStaged(ctx.fetch, { name, url: config.url, expect }, staged);
  const artifact = {
    name,
    url: config.url,
    role: "installer" as const,
    size: staged.size,
    sha256: staged.sha256,
    file: staged.file,
  };
  const record =
    earlier >= 0 && prior === undefined
      ? undefined
      : await recordRelease(
          config,
          { version, declared: staged.sha256 },
          { artifacts: [artifact], checks },
          prior,
          alerts,
          ctx,
        );
  await ctx.memory.setValidators(config.url, staged.validators);
  return { sourceId: config.id, changed: true, records: record === undefined ? [] : [record], alerts };
}
