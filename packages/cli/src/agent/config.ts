/**
 * The agent's configuration file (JSON), e.g. /etc/bulwark/agent.json:
 *
 *   {
 *     "name": "demo-app", "channel": "stable", "platform": "linux-x64",
 *     "repository": { "metadataUrl": "https://updates.example.com/metadata/",
 *                     "targetsUrl": "https://updates.example.com/targets/",
 *                     "root": "root.json" },
 *     "dataDir": "/var/lib/bulwark/demo-app",
 *     "install": { "strategy": "directory", "dir": "/opt/demo-app" },
 *     "healthCheck": { "command": ["/opt/demo-app/current/bin/selftest"], "timeout": "30s" },
 *     "poll": { "interval": "1h", "jitter": "10m", "maxBackoff": "6h" },
 *     "log": "/var/log/bulwark/agent.jsonl"
 *   }
 *
 * Relative paths are relative to the configuration file.
 */
import { promises as fs } from "node:fs";
import path from "node:path";
import { parseDuration } from "@bulwark/publisher";
import { isJsonObject, parseJson } from "@bulwark/tuf";
import { CliError } from "../errors.js";
import { EXIT } from "../exit-codes.js";

/** Where the agent's configuration is, when `--config` is not given. */
export const DEFAULT_AGENT_CONFIG = "/etc/bulwark/agent.json";

/** The `--config` option of the agent commands. */
export const AGENT_CONFIG_OPTION = {
  name: "config",
  type: "string",
  valueName: "FILE",
  description: "the agent configuration file",
  default: DEFAULT_AGENT_CONFIG,
} as const;

export interface AgentConfig {
  readonly file: string;
  readonly name: string;
  readonly channel: string;
  readonly platform?: string;
  readonly metadataUrl: string;
  readonly targetsUrl: string;
  readonly rootFile: string;
  readonly dataDir: string;
  readonly install:
    | { readonly strategy: "directory"; readonly dir: string }
    | { readonly strategy: "command"; readonly command: readonly string[] };
  readonly healthCheck?: { readonly command: readonly string[]; readonly timeoutMs: number };
  readonly poll: { readonly intervalMs: number; readonly jitterMs: number; readonly maxBackoffMs: number };
  readonly log?: string;
}

function fail(file: string, field: string, expected: string): never {
  throw new CliError("BAD_AGENT_CONFIG", `${file}: ${field} must be ${expected}`, EXIT.USAGE);
}

function strings(v: unknown): v is string[] {
  return Array.isArray(v) && v.length > 0 && v.every((s) => typeof s === "string");
}

/** Reads and checks an agent configuration file. */
export async function loadAgentConfig(file: string): Promise<AgentConfig> {
  let bytes: Buffer;
  try {
    bytes = await fs.readFile(file);
  } catch (cause) {
    throw new CliError(
      "NO_AGENT_CONFIG",
      `cannot read ${file}`,
      EXIT.USAGE,
      "pass --config FILE (see `bulwark agent --help`)",
      { cause },
    );
  }
  let json: ReturnType<typeof parseJson>;
  try {
    json = parseJson(bytes);
  } catch (cause) {
    throw new CliError("BAD_AGENT_CONFIG", `${file} is not valid JSON: ${(cause as Error).message}`, EXIT.USAGE);
  }
  if (!isJsonObject(json)) fail(file, "the top level", "an object");
  const base = path.dirname(path.resolve(file));
  const rel = (p: string) => path.resolve(base, p);
  const { name, channel, platform, repository, dataDir, install, healthCheck, poll, log } = json;
  if (typeof name !== "string" || name === "") fail(file, "name", "the product name");
  if (channel !== undefined && typeof channel !== "string") fail(file, "channel", "a string");
  if (platform !== undefined && typeof platform !== "string") fail(file, "platform", "a string");
  if (!isJsonObject(repository)) fail(file, "repository", "an object with metadataUrl, targetsUrl and root");
  const { metadataUrl, targetsUrl, root } = repository;
  if (typeof metadataUrl !== "string" || typeof targetsUrl !== "string" || typeof root !== "string") {
    fail(file, "repository", "an object with metadataUrl, targetsUrl and root (a file)");
  }
  if (typeof dataDir !== "string") fail(file, "dataDir", "a folder for the agent's state");
  if (!isJsonObject(install))
    fail(file, "install", '{"strategy": "directory", "dir": …} or {"strategy": "command", "command": […]}');
  let installCfg: AgentConfig["install"];
  if (install.strategy === "directory" && typeof install.dir === "string")
    installCfg = { strategy: "directory", dir: rel(install.dir) };
  else if (install.strategy === "command" && strings(install.command))
    installCfg = { strategy: "command", command: install.command };
  else fail(file, "install", '{"strategy": "directory", "dir": …} or {"strategy": "command", "command": […]}');
  let health: AgentConfig["healthCheck"];
  if (healthCheck !== undefined) {
    if (!isJsonObject(healthCheck) || !strings(healthCheck.command))
      fail(file, "healthCheck", '{"command": […], "timeout": "30s"}');
    const timeout = healthCheck.timeout;
    if (timeout !== undefined && typeof timeout !== "string")
      fail(file, "healthCheck.timeout", 'a duration like "30s"');
    health = {
      command: healthCheck.command,
      timeoutMs: parseDuration(timeout ?? "30s", `${file} healthCheck.timeout`) * 1000,
    };
  }
  const p = isJsonObject(poll) ? poll : {};
  const dur = (v: unknown, fallback: string, field: string) => {
    if (v !== undefined && typeof v !== "string") fail(file, field, 'a duration like "1h"');
    return parseDuration((v as string | undefined) ?? fallback, `${file} ${field}`) * 1000;
  };
  if (log !== undefined && typeof log !== "string") fail(file, "log", "a file path");
  return {
    file,
    name,
    channel: (channel as string | undefined) ?? "stable",
    ...(platform === undefined ? {} : { platform: platform as string }),
    metadataUrl,
    targetsUrl,
    rootFile: rel(root),
    dataDir: rel(dataDir),
    install: installCfg,
    ...(health ? { healthCheck: health } : {}),
    poll: {
      intervalMs: dur(p.interval, "1h", "poll.interval"),
      jitterMs: p.jitter === undefined ? 0 : dur(p.jitter, "0s", "poll.jitter"),
      maxBackoffMs: dur(p.maxBackoff, "6h", "poll.maxBackoff"),
    },
    ...(typeof log === "string" ? { log: rel(log) } : {}),
  };
}
