/**
 * The quickstart's endpoints: each one a folder under endpoints/ with the agent config an
 * endpoint runs with (agent.json, checked by the agent's own loader), the vendor's first
 * root (root.json) and the agent's state. One update cycle is `bulwark agent --once
 * --config endpoints/NAME/agent.json`, run in this process; its JSON-lines log tells what
 * happened.
 */
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import type { UpdateOutcome } from "@bulwark/client";
import { writeFileAtomic } from "@bulwark/tuf";
import { AGENT_CONFIG_SCHEMA_FILE } from "../agent/config.js";
import { LAYOUT } from "./world.js";

/** One update cycle's result: what the client did, or the error that stopped it (`CODE: message`). */
export interface Attempt {
  readonly outcome?: UpdateOutcome;
  readonly error?: string;
}

/** What the endpoints need from the quickstart. */
export interface EndpointsKit {
  /** The world's folder. */
  readonly work: string;
  /** The vendor's root version 1, which every endpoint ships with. */
  readonly root: Uint8Array;
  /** Runs `bulwark argv` in the world (printed as a command line); the exit code and stdout. */
  invoke(argv: string[]): Promise<{ code: number; text: string }>;
  say(text: string): void;
}

/** The agent config of an endpoint that follows `url` (the update server's base URL). */
export function agentConfig(url: string): Record<string, unknown> {
  return {
    $schema: AGENT_CONFIG_SCHEMA_FILE,
    name: "demo-app",
    channel: "stable",
    repository: { metadataUrl: `${url}metadata/`, targetsUrl: `${url}targets/`, root: "root.json" },
    dataDir: "data",
    install: { strategy: "directory", dir: "app" },
    healthCheck: { command: ["sh", "bin/demo-app"], timeout: "10s" },
    poll: { interval: "1h", jitter: "10m" },
  };
}

const configText = (url: string) => `${JSON.stringify(agentConfig(url), null, 2)}\n`;

/** The endpoints of the tour, made as they are first used. */
export class Endpoints {
  private readonly made = new Set<string>();

  constructor(
    private readonly kit: EndpointsKit,
    private url: string,
  ) {}

  /** endpoints/NAME, relative to the world. */
  static dir(name: string): string {
    return path.join(LAYOUT.endpoints, name);
  }

  /** endpoints/NAME/agent.json, relative to the world. */
  static configFile(name: string): string {
    return path.join(Endpoints.dir(name), "agent.json");
  }

  /**
   * Makes endpoints/NAME (agent.json, root.json) unless it exists. `clientId` fixes the
   * rollout cohort ID the agent would otherwise pick at random and keep in data/client-id.
   */
  async make(name: string, clientId?: string): Promise<string> {
    const dir = path.join(this.kit.work, Endpoints.dir(name));
    if (!this.made.has(name)) {
      await mkdir(path.join(dir, "data"), { recursive: true });
      await writeFile(path.join(dir, "root.json"), this.kit.root);
      await writeFile(path.join(dir, "agent.json"), configText(this.url));
      if (clientId !== undefined) await writeFile(path.join(dir, "data", "client-id"), clientId);
      this.made.add(name);
    }
    return Endpoints.configFile(name);
  }

  /** Prints endpoints/NAME/agent.json as it is on disk. */
  async show(name: string): Promise<void> {
    const file = await this.make(name);
    const text = await readFile(path.join(this.kit.work, file), "utf8");
    this.kit.say(`  ${file} (docs/agent.md), the file \`bulwark agent\` runs with on the endpoint:`);
    for (const line of text.trimEnd().split("\n")) this.kit.say(`    ${line}`);
  }

  /** One update cycle of NAME: `bulwark agent --once --config endpoints/NAME/agent.json`. */
  async attempt(name: string): Promise<Attempt> {
    const file = await this.make(name);
    const { text } = await this.kit.invoke(["agent", "--once", "--config", file]);
    let result: Attempt | undefined;
    for (const line of text.split("\n")) {
      if (line.trim() === "") continue;
      const record = JSON.parse(line) as { event?: string; message?: string; code?: string; outcome?: UpdateOutcome };
      if (record.event === "release-logged") this.kit.say(`  log proof checked: ${record.message}`);
      if (record.event === "cycle" && record.outcome) result = { outcome: record.outcome };
      if (record.event === "cycle-failed") result = { error: `${record.code}: ${record.message}` };
    }
    return result ?? { error: `the agent said nothing: ${text.trim()}` };
  }

  /** The version NAME runs (its app/current/VERSION), or "nothing". */
  async installed(name: string): Promise<string> {
    const file = path.join(this.kit.work, Endpoints.dir(name), "app", "current", "VERSION");
    return (await readFile(file, "utf8").catch(() => "nothing")).trim();
  }

  /** Points every endpoint's agent.json at `url` (for a kept world, served by `bulwark serve`). */
  async retarget(url: string): Promise<void> {
    this.url = url;
    for (const name of this.made) {
      await writeFileAtomic(path.join(this.kit.work, Endpoints.configFile(name)), Buffer.from(configText(url)));
    }
  }
}
