import { Agent } from "../agent/agent.js";
import { AGENT_CONFIG_OPTION, DEFAULT_AGENT_CONFIG, loadAgentConfig } from "../agent/config.js";
import { type Command, flag, str } from "../command.js";
import { EXIT } from "../exit-codes.js";

const command: Command = {
  name: "agent",
  summary: "run the update agent on an endpoint or server (a daemon)",
  description: `Polls the vendor's repository and keeps one application up to date: recovers
an interrupted install, rolls back a revoked release, installs the newest applicable release
(verified, atomically, health-checked, rolled back on failure). Polls every poll.interval
plus up to poll.jitter, backs off exponentially (from 30 s to poll.maxBackoff) after
failures, and writes JSON-lines logs on stdout (and to "log" when set). Stops on SIGINT or
SIGTERM. The configuration file is described in docs/agent.md.

Examples:
  bulwark agent --config /etc/bulwark/agent.json
  bulwark agent --config agent.json --once      # one cycle, for cron or a test`,
  positionals: [],
  options: [
    AGENT_CONFIG_OPTION,
    { name: "once", type: "boolean", description: "run one update cycle and exit (exit 1 if it failed)" },
  ],
  async run(a, ctx) {
    const config = await loadAgentConfig(str(a, "config") ?? DEFAULT_AGENT_CONFIG);
    const agent = new Agent(config, (line) => ctx.out.streams.stdout.write(`${line}\n`));
    if (flag(a, "once")) return { exitCode: (await agent.cycle()) ? EXIT.OK : EXIT.FAILURE };
    await agent.run(ctx.signal);
    return { exitCode: EXIT.OK };
  },
};

export default command;
