import path from "node:path";
import { Journal, type SetAsideVersion } from "@bulwark/client";
import { alive } from "@bulwark/publisher";
import { readStatus, runningRevoked } from "../agent/agent.js";
import { AGENT_CONFIG_OPTION, loadAgentConfig } from "../agent/config.js";
import { defineCommand } from "../command.js";
import { EXIT } from "../exit-codes.js";

export default defineCommand({
  name: "agent status",
  summary: "what the update agent did last, and what is installed",
  description: `Reads the agent's status file and journal: whether it runs, the installed version, the
versions that failed and those the vendor revoked, the last check and its outcome, the last
error, and the next check. Exits 11 when the endpoint runs a version the vendor revoked and
the update metadata is stale or expired, so it cannot roll back (docs/agent.md says what to do).`,
  positionals: [],
  options: [AGENT_CONFIG_OPTION],
  async run({ options }, ctx) {
    const config = await loadAgentConfig(path.resolve(ctx.cwd, options.config));
    const status = await readStatus(config);
    const journal = await new Journal(path.join(config.dataDir, "journal.json")).load();
    const running = status !== undefined && alive(status.pid);
    const current = journal.current?.version ?? null;
    const revoked = journal.revoked ?? [];
    const stuck = runningRevoked(status) && current !== null;
    const revocation = revoked.find((r) => r.version === current);
    const warning = stuck
      ? `running ${current}, which the vendor revoked${revocation?.reason ? ` (${revocation.reason})` : ""}; the update metadata is stale or expired, so it cannot roll back: ${status?.lastError?.message ?? ""}`
      : null;
    const data = {
      name: config.name,
      channel: config.channel,
      running,
      current,
      previous: journal.previous.map((p) => p.version),
      failed: journal.failed.map((version) => setAsideEntry(version, journal.failures)),
      refused: (journal.refused ?? []).map((r) => setAsideEntry(r.version, journal.refused)),
      revoked: revoked.map((r) => ({
        version: r.version,
        reason: r.reason ?? null,
        at: r.at ?? null,
        seenAt: r.seenAt,
      })),
      runningRevoked: stuck ? { version: current, reason: revocation?.reason ?? null, message: warning } : null,
      operationInProgress: journal.operation ?? null,
      lastCheckAt: status?.lastCheckAt ?? null,
      lastOutcome: status?.lastOutcome ?? null,
      lastError: status?.lastError ?? null,
      consecutiveFailures: status?.consecutiveFailures ?? 0,
      nextCheckAt: running ? (status?.nextCheckAt ?? null) : null,
    };
    ctx.out.table(
      ["", ""],
      [
        ["product", `${config.name} (${config.channel})`],
        ["agent", running ? `running (pid ${status?.pid})` : "not running"],
        ["installed", current === null ? "nothing" : `${current}${revocation ? " (REVOKED by the vendor)" : ""}`],
        ["previous", data.previous.join(", ") || "-"],
        ["failed", data.failed.map(describe).join("; ") || "-"],
        ["refused", data.refused.map(describe).join("; ") || "-"],
        ["revoked", revoked.map((r) => (r.reason ? `${r.version} (${r.reason})` : r.version)).join(", ") || "-"],
        ["last check", data.lastCheckAt ?? "never"],
        ["last outcome", status?.lastOutcome ? JSON.stringify(status.lastOutcome) : "-"],
        ["last error", status?.lastError ? `${status.lastError.code}: ${status.lastError.message}` : "-"],
        ["next check", data.nextCheckAt ?? "-"],
      ],
    );
    if (warning !== null) {
      ctx.out.line(`${ctx.out.bad("REVOKED VERSION RUNNING:")} ${warning}`);
      ctx.out.line(
        'The repository must serve current metadata again (docs/agent.md, "Running a revoked version"); until then, take this endpoint off the revoked version by hand.',
      );
    }
    if (data.failed.length + data.refused.length > 0) {
      ctx.out.line("`bulwark agent retry VERSION` lets the agent try a failed or refused version again.");
    }
    return { data, exitCode: stuck ? EXIT.RUNNING_REVOKED : EXIT.OK };
  },
});

/** A failed or refused version as `agent status --json` shows it (journals before issue 13 have no reason). */
function setAsideEntry(version: string, details: readonly SetAsideVersion[] | undefined) {
  const entry = details?.find((d) => d.version === version);
  return { version, code: entry?.code ?? null, reason: entry?.reason ?? null, at: entry?.at ?? null };
}

function describe(e: ReturnType<typeof setAsideEntry>): string {
  const why = [e.code, e.reason].filter((x) => x !== null).join(": ");
  return why === "" ? e.version : `${e.version} (${why})`;
}
