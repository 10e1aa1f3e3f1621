import path from "node:path";
import { Journal } from "@bulwark/client";
import { AGENT_CONFIG_OPTION, loadAgentConfig } from "../agent/config.js";
import { defineCommand } from "../command.js";
import { CliError } from "../errors.js";
import { EXIT } from "../exit-codes.js";

export default defineCommand({
  name: "agent retry",
  summary: "let the update agent try a failed or refused version again",
  description: `Clears VERSION from the agent's failed and refused lists (see \`bulwark agent status\`), so
the next cycle may install it again: after fixing what made its health check fail on this
endpoint (a wrong path in the configuration, a missing dependency), or what a security check
refused it for. A version the vendor revoked stays refused: it is never installed.

Examples:
  bulwark agent retry 1.4.0 --config /etc/bulwark/agent.json`,
  positionals: [{ name: "version", required: true, description: "the release version to try again" }],
  options: [AGENT_CONFIG_OPTION],
  async run({ positionals, options }, ctx) {
    const config = await loadAgentConfig(path.resolve(ctx.cwd, options.config));
    const version = positionals.version;
    const journal = new Journal(path.join(config.dataDir, "journal.json"));
    const state = await journal.load();
    if (journal.current.operation !== undefined) {
      throw new CliError(
        "AGENT_BUSY",
        `an ${journal.current.operation.kind} is in progress in ${config.dataDir}`,
        EXIT.FAILURE,
        "let the agent's cycle finish (or run `bulwark agent --once` to recover), then retry",
      );
    }
    const revoked = (state.revoked ?? []).find((r) => r.version === version);
    const cleared = await journal.retry(version);
    if (!cleared.failed && !cleared.refused) {
      throw new CliError(
        "AGENT_NOT_FAILED",
        `${config.name} ${version} is neither failed nor refused on this endpoint`,
        EXIT.USAGE,
        "`bulwark agent status` lists the failed and refused versions",
      );
    }
    const what = [cleared.failed ? "failed" : "", cleared.refused ? "refused" : ""].filter(Boolean).join(" and ");
    ctx.out.line(`${config.name} ${version}: no longer ${what}; the agent's next cycle may install it.`);
    if (revoked !== undefined) {
      ctx.out.line(
        `${version} was revoked by the vendor${revoked.reason ? ` (${revoked.reason})` : ""}: it stays refused.`,
      );
    }
    return { data: { version, cleared, revoked: revoked !== undefined } };
  },
});
