/**
 * The agent's configuration file (JSON), e.g. /etc/bulwark/agent.json, checked against
 * {@link AGENT_CONFIG_SCHEMA} (docs/agent.md has a complete example):
 *
 *   {
 *     "$schema": "agent.schema.json",
 *     "name": "demo-app", "channel": "stable", "platform": "linux-x64",
 *     "repository": { "metadataUrl": "https://updates.example.com/metadata/",
 *                     "targetsUrl": "https://updates.example.com/targets/",
 *                     "root": "root.json" },
 *     "dataDir": "/var/lib/bulwark/demo-app",
 *     "install": { "strategy": "directory", "dir": "/opt/demo-app" },
 *     "healthCheck": { "command": ["/opt/demo-app/current/bin/selftest"], "timeout": "30s" },
 *     "poll": { "interval": "1h", "jitter": "10m", "maxBackoff": "6h" },
 *     "requirePolicies": { "releasePolicy": true, "logPolicy": true },
 *     "minRootVersion": 3,
 *     "limits": { "maxUnpackedSize": "500MiB", "maxFiles": 20000 },
 *     "download": { "minRate": "4KiB", "rateWindow": "10s", "deadlineBase": "60s", "deadlineRate": "16KiB" },
 *     "log": "/var/log/bulwark/agent.jsonl"
 *   }
 *
 * Relative paths are relative to the configuration file.
 */
import { promises as fs } from "node:fs";
import path from "node:path";
import {
  type DirectoryStrategyOptions,
  HEALTH_CHECK_ATTEMPTS,
  HEALTH_CHECK_RETRY_DELAYS_MS,
  HEALTH_CHECK_TIMEOUT_MS,
  type RootRequirements,
} from "@bulwark/client";
import { durationField, parseConfigFile, SCHEMA_KEY } from "@bulwark/publisher";
import type { DownloadLimits } from "@bulwark/tuf";
import { z } from "zod";
import { CliError } from "../errors.js";
import { EXIT } from "../exit-codes.js";

/** Where the agent's configuration is, when `--config` is not given. */
export const DEFAULT_AGENT_CONFIG = "/etc/bulwark/agent.json";

/** The file name of the agent configuration's JSON Schema (`schemas/agent.schema.json`). */
export const AGENT_CONFIG_SCHEMA_FILE = "agent.schema.json";

/** The `--config` option of the agent commands. */
export const AGENT_CONFIG_OPTION = {
  name: "config",
  type: "string",
  valueName: "FILE",
  description: "the agent configuration file",
  default: DEFAULT_AGENT_CONFIG,
} as const;

/** The agent's configuration, paths resolved and durations in milliseconds. */
export interface AgentConfig extends RootRequirements {
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
  readonly healthCheck?: {
    readonly command: readonly string[];
    readonly timeoutMs: number;
    /** Runs at most, before the version counts as failed. */
    readonly attempts: number;
    /** Waits before each retry (the last repeats). */
    readonly retryDelaysMs: readonly number[];
  };
  readonly poll: { readonly intervalMs: number; readonly jitterMs: number; readonly maxBackoffMs: number };
  /** Bounds on unpacking a release archive (the directory strategy), over the client's defaults. */
  readonly limits?: DirectoryStrategyOptions;
  /** The slow-retrieval guard, per-file deadline and timeouts of downloads, over the client's defaults. */
  readonly download?: DownloadLimits;
  readonly log?: string;
}

const SIZE_UNITS: Readonly<Record<string, number>> = {
  B: 1,
  KB: 1e3,
  MB: 1e6,
  GB: 1e9,
  TB: 1e12,
  KiB: 1024,
  MiB: 1024 ** 2,
  GiB: 1024 ** 3,
  TiB: 1024 ** 4,
};

const SIZE = /^([0-9]+) ?(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)$/;

/** A size in bytes: a whole number, or text such as `"2GiB"`, `"500MB"`. */
function sizeField(description: string) {
  return z
    .union([z.int().meta({ minimum: 1 }), z.string().meta({ pattern: SIZE.source })])
    .transform((value, ctx) => {
      const match = typeof value === "string" ? SIZE.exec(value) : null;
      const bytes = match ? Number(match[1]) * (SIZE_UNITS[match[2] as string] as number) : value;
      if (typeof bytes === "number" && Number.isSafeInteger(bytes) && bytes >= 1) return bytes;
      ctx.issues.push({
        code: "custom",
        input: value,
        message: 'must be a size such as "2GiB", "500MB" or a number of bytes',
      });
      return z.NEVER;
    })
    .describe(`${description} (bytes, or a size such as "2GiB", "500MB")`);
}

const commandLine = (description: string) => z.array(z.string()).min(1).describe(description);

const DIRECTORY = z.strictObject({
  strategy: z.literal("directory"),
  dir: z.string().min(1).describe("the application's folder: versions/<v>/ and an atomic `current` link"),
});

const COMMAND = z.strictObject({
  strategy: z.literal("command"),
  command: commandLine(
    "the installer; it gets the verified release file as its last argument. A relative program path (with a /) is relative to this file",
  ),
});

const LIMITS = z
  .strictObject({
    maxUnpackedSize: sizeField("most bytes one release archive may unpack to; default 2GiB").optional(),
    maxFileSize: sizeField("most bytes one file in the archive may unpack to; default 1GiB").optional(),
    maxFiles: z.int().min(1).optional().describe("most entries (files, folders, links) in one archive; default 100000"),
    maxPathLength: z.int().min(1).optional().describe("longest path in an archive, in UTF-8 bytes; default 4096"),
    maxCompressionRatio: z
      .number()
      .positive()
      .optional()
      .describe("most unpacked bytes per compressed byte (past 1 MiB); no bound by default"),
  })
  .describe("bounds on unpacking a release archive (the directory strategy); the client's defaults otherwise");

const DOWNLOAD = z
  .strictObject({
    minRate: sizeField(
      "the slowest a download may be, in bytes per second over any rateWindow, before it is dropped as a slow-retrieval attack; default 4KiB",
    ).optional(),
    rateWindow: durationField("the sliding window minRate is judged over; default 10s").optional(),
    deadlineBase: durationField(
      "each file's deadline is this plus its signed length at deadlineRate; default 60s",
    ).optional(),
    deadlineRate: sizeField("bytes per second the per-file deadline allows for; default 16KiB").optional(),
    connectTimeout: durationField("time to connect and get response headers; default 15s").optional(),
    idleTimeout: durationField("longest silence in the middle of a download; default 15s").optional(),
  })
  .describe(
    "limits of every download (metadata and releases): a server that is too slow is dropped (slow-retrieval attack); the client's defaults otherwise",
  );

/** The schema of the agent configuration (what the file holds, before paths are resolved). */
export const AGENT_CONFIG_SCHEMA = z
  .strictObject({
    ...SCHEMA_KEY,
    name: z.string().min(1).describe("the product, as published with `bulwark release add --name`"),
    channel: z.string().min(1).optional().describe('the release channel followed; "stable" by default'),
    platform: z.string().min(1).optional().describe("only releases for this platform (or for any) apply"),
    repository: z
      .strictObject({
        metadataUrl: z.url({ protocol: /^https?$/ }).describe("the base URL of the TUF metadata (…/metadata/)"),
        targetsUrl: z.url({ protocol: /^https?$/ }).describe("the base URL of the release files (…/targets/)"),
        root: z.string().min(1).describe("the vendor's root metadata file: the trust anchor on first run"),
      })
      .describe("where the vendor's repository is, and the root to trust first"),
    dataDir: z.string().min(1).describe("the agent's state: metadata, downloads, journal, status"),
    install: z.discriminatedUnion("strategy", [DIRECTORY, COMMAND]).describe("how a verified release is installed"),
    healthCheck: z
      .strictObject({
        command: commandLine(
          "run in the new version's folder; a non-zero exit rolls back. A relative program path (with a /) is relative to this file; a bare name is looked up in PATH",
        ),
        timeout: durationField("how long one attempt may take; 30s by default").optional(),
        attempts: z
          .int()
          .min(1)
          .max(10)
          .optional()
          .describe("attempts before the version is marked failed and rolled back; 3 by default"),
        retryDelays: z
          .array(durationField("a wait before a retry"))
          .min(1)
          .optional()
          .describe('the waits before the 2nd, 3rd … attempt (the last repeats); ["5s", "15s"] by default'),
      })
      .optional(),
    poll: z
      .strictObject({
        interval: durationField("time between update cycles; 1h by default").optional(),
        jitter: durationField("random delay added to each interval; none by default").optional(),
        maxBackoff: durationField("the cap of the back-off after failures; 6h by default").optional(),
      })
      .optional(),
    requirePolicies: z
      .strictObject({
        releasePolicy: z.boolean().optional().describe("refuse a root without a release policy for this product"),
        logPolicy: z.boolean().optional().describe("refuse a root without a transparency-log policy"),
      })
      .optional()
      .describe("root policies this endpoint requires: nothing is installed under a root without them"),
    minRootVersion: z
      .int()
      .min(1)
      .optional()
      .describe("the lowest root version accepted (the version the app was built with, say)"),
    limits: LIMITS.optional(),
    download: DOWNLOAD.optional(),
    log: z.string().min(1).optional().describe("also append the JSON-lines log to this file"),
  })
  .check((ctx) => {
    if (ctx.value.limits !== undefined && ctx.value.install.strategy !== "directory") {
      ctx.issues.push({
        code: "custom",
        input: ctx.value.limits,
        path: ["limits"],
        message: 'only the "directory" install strategy unpacks archives; remove `limits` or change the strategy',
      });
    }
  });

/** Reads and checks an agent configuration file. @throws {CliError} NO_AGENT_CONFIG; {@link ConfigError} BAD_AGENT_CONFIG */
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
  const json = parseConfigFile(AGENT_CONFIG_SCHEMA, bytes, {
    file,
    code: "BAD_AGENT_CONFIG",
    hint: `fix the field (the schema is ${AGENT_CONFIG_SCHEMA_FILE}; docs/agent.md describes every field)`,
  });
  const base = path.dirname(path.resolve(file));
  const rel = (p: string) => path.resolve(base, p);
  // A program named by a relative path is found from the config file too; a bare name is
  // looked up in PATH, and arguments are passed as they are.
  const program = ([cmd, ...args]: readonly string[]) =>
    cmd !== undefined && /[\\/]/.test(cmd) && !path.isAbsolute(cmd)
      ? [rel(cmd), ...args]
      : [...(cmd === undefined ? [] : [cmd]), ...args];
  const { repository, install, healthCheck, poll = {}, limits, download } = json;
  const ms = (seconds: number | undefined, fallback: number) => (seconds ?? fallback) * 1000;
  return {
    file: path.resolve(file),
    name: json.name,
    channel: json.channel ?? "stable",
    ...(json.platform === undefined ? {} : { platform: json.platform }),
    metadataUrl: repository.metadataUrl,
    targetsUrl: repository.targetsUrl,
    rootFile: rel(repository.root),
    dataDir: rel(json.dataDir),
    install:
      install.strategy === "directory"
        ? { strategy: "directory", dir: rel(install.dir) }
        : { strategy: "command", command: program(install.command) },
    ...(healthCheck
      ? {
          healthCheck: {
            command: program(healthCheck.command),
            timeoutMs: ms(healthCheck.timeout, HEALTH_CHECK_TIMEOUT_MS / 1000),
            attempts: healthCheck.attempts ?? HEALTH_CHECK_ATTEMPTS,
            retryDelaysMs: healthCheck.retryDelays?.map((d) => d * 1000) ?? HEALTH_CHECK_RETRY_DELAYS_MS,
          },
        }
      : {}),
    poll: {
      intervalMs: ms(poll.interval, 3600),
      jitterMs: ms(poll.jitter, 0),
      maxBackoffMs: ms(poll.maxBackoff, 6 * 3600),
    },
    ...(json.requirePolicies ? { requirePolicies: requiredPolicies(json.requirePolicies) } : {}),
    ...(json.minRootVersion === undefined ? {} : { minRootVersion: json.minRootVersion }),
    ...(limits ? { limits: extractLimits(limits) } : {}),
    ...(download ? { download: downloadLimits(download) } : {}),
    ...(json.log === undefined ? {} : { log: rel(json.log) }),
  };
}

/** The config's `requirePolicies`, without absent fields. */
function requiredPolicies(p: { releasePolicy?: boolean | undefined; logPolicy?: boolean | undefined }) {
  return {
    ...(p.releasePolicy === undefined ? {} : { releasePolicy: p.releasePolicy }),
    ...(p.logPolicy === undefined ? {} : { logPolicy: p.logPolicy }),
  };
}

/** The config's `download` in the client's terms. */
function downloadLimits(d: z.output<typeof DOWNLOAD>): DownloadLimits {
  const ms = (seconds: number | undefined) => (seconds === undefined ? undefined : seconds * 1000);
  const limits = {
    minBytesPerSecond: d.minRate,
    rateWindowMs: ms(d.rateWindow),
    deadlineBaseMs: ms(d.deadlineBase),
    deadlineBytesPerSecond: d.deadlineRate,
    connectTimeoutMs: ms(d.connectTimeout),
    idleTimeoutMs: ms(d.idleTimeout),
  };
  return Object.fromEntries(Object.entries(limits).filter(([, v]) => v !== undefined)) as DownloadLimits;
}

/** The config's `limits` in the client's terms. */
function extractLimits(limits: z.output<typeof LIMITS>): DirectoryStrategyOptions {
  const { maxUnpackedSize, maxFileSize, maxFiles, maxPathLength, maxCompressionRatio } = limits;
  return {
    ...(maxUnpackedSize === undefined ? {} : { maxTotalBytes: maxUnpackedSize }),
    ...(maxFileSize === undefined ? {} : { maxEntryBytes: maxFileSize }),
    ...(maxFiles === undefined ? {} : { maxEntries: maxFiles }),
    ...(maxPathLength === undefined ? {} : { maxPathLength }),
    ...(maxCompressionRatio === undefined ? {} : { maxCompressionRatio }),
  };
}
