import path from "node:path";
import { Agent } from "../agent/agent.js";
import { AGENT_CONFIG_OPTION, loadAgentConfig } from "../agent/config.js";
import { defineCommand } from "../command.js";
import { EXIT } from "../exit-codes.js";

const CYCLE_EXIT = { ok: EXIT.OK, failed: EXIT.FAILURE, "running-revoked": EXIT.RUNNING_REVOKED } as const;

export default defineCommand({
  name: "agent",
  summary: "run the update agent on an endpoint or server (a daemon)",
  description: `Polls the vendor's repository and keeps one application up to date: recovers
an interrupted install, rolls back a revoked release, installs the newest applicable release
(verified, atomically, health-checked, rolled back on failure). Polls every poll.interval
plus up to poll.jitter, backs off exponentially (from 30 s to poll.maxBackoff) after
failures, and writes JSON-lines logs on stdout (and to "log" when set). Stops on SIGINT or
SIGTERM. With a TAP 4 map in the configuration ("repositories" and "mapping", or "map"), a
release installs only when enough of the listed repositories (say the vendor's and the
organisation's gateway) sign the same bytes as the same release. The configuration file is
described in docs/agent.md.

Examples:
  bulwark agent --config /etc/bulwark/agent.json
  bulwark agent --config agent.json --once      # one cycle, for cron or a test`,
  positionals: [],
  options: [
    AGENT_CONFIG_OPTION,
    {
      name: "once",
      type: "boolean",
      description:
        "run one update cycle and exit (exit 1 if it failed, 11 if it left the endpoint running a revoked version on stale metadata)",
    },
  ],
  async run({ options }, ctx) {
    const config = await loadAgentConfig(path.resolve(ctx.cwd, options.config));
    const agent = new Agent(config, (line) => ctx.out.streams.stdout.write(`${line}\n`));
    if (options.once) return { exitCode: CYCLE_EXIT[await agent.cycle()] };
    await agent.run(ctx.signal);
    return { exitCode: EXIT.OK };
  },
});
