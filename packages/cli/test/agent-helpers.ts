/** Helpers of the attack tests that drive `bulwark agent --once` with a configuration file. */
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { TestLike } from "@bulwark/testkit";
import { APP, type Vendor } from "./e2e-helpers.js";
import { type CliRun, runCli, tempDir } from "./helpers.js";

/** An agent installation: its configuration file and its application folder. */
export interface AgentSetup {
  readonly config: string;
  readonly appDir: string;
}

/** An agent configuration for `vendor`'s repository (shipped with its first root) in a temporary folder. */
export function agentConfig(t: TestLike, vendor: Vendor, extra: Record<string, unknown> = {}): AgentSetup {
  const dir = tempDir(t, "bulwark-agent-");
  writeFileSync(path.join(dir, "root.json"), vendor.root());
  const config = path.join(dir, "agent.json");
  const json = {
    name: APP,
    channel: "stable",
    platform: "linux-x64",
    repository: { metadataUrl: vendor.metadataUrl, targetsUrl: vendor.targetsUrl, root: "root.json" },
    dataDir: "data",
    install: { strategy: "directory", dir: "app" },
    poll: { interval: "1h" },
    ...extra,
  };
  writeFileSync(config, JSON.stringify(json));
  return { config, appDir: path.join(dir, "app") };
}

/** `bulwark agent --config FILE --once`. */
export function agentOnce(setup: AgentSetup): Promise<CliRun> {
  return runCli(["agent", "--config", setup.config, "--once"]);
}

/** The `cycle-failed` record of an agent run's JSON-lines output, if any. */
export function cycleFailure(run: CliRun): { code?: string; message?: string } | undefined {
  return run.stdout
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => JSON.parse(l) as { event: string; code?: string; message?: string })
    .find((l) => l.event === "cycle-failed");
}

/** The version the agent's application runs (`current/VERSION`). */
export function runningVersion(setup: AgentSetup): string {
  return readFileSync(path.join(setup.appDir, "current", "VERSION"), "utf8").trim();
}
