import path from "node:path";
import { Journal } from "@bulwark/client";
import { alive } from "@bulwark/publisher";
import { readStatus } from "../agent/agent.js";
import { AGENT_CONFIG_OPTION, loadAgentConfig } from "../agent/config.js";
import { defineCommand } from "../command.js";

export default defineCommand({
  name: "agent status",
  summary: "what the update agent did last, and what is installed",
  description:
    "Reads the agent's status file and journal: whether it runs, the installed version, the last check and its outcome, the last error, and the next check.",
  positionals: [],
  options: [AGENT_CONFIG_OPTION],
  async run({ options }, ctx) {
    const config = await loadAgentConfig(options.config);
    const status = await readStatus(config);
    const journal = await new Journal(path.join(config.dataDir, "journal.json")).load();
    const running = status !== undefined && alive(status.pid);
    const data = {
      name: config.name,
      channel: config.channel,
      running,
      current: journal.current?.version ?? null,
      previous: journal.previous.map((p) => p.version),
      failed: journal.failed,
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
        ["installed", data.current ?? "nothing"],
        ["previous", data.previous.join(", ") || "-"],
        ["last check", data.lastCheckAt ?? "never"],
        ["last outcome", status?.lastOutcome ? JSON.stringify(status.lastOutcome) : "-"],
        ["last error", status?.lastError ? `${status.lastError.code}: ${status.lastError.message}` : "-"],
        ["next check", data.nextCheckAt ?? "-"],
      ],
    );
    return { data };
  },
});
