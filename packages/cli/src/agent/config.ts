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
 * An organisation that gates a vendor's releases (TAP 4) replaces `repository` with the
 * repositories that must all sign a release, and the root to trust of each:
 *
 *     "repositories": { "vendor": ["https://updates.vendor.example/"],
 *                       "org": ["https://gateway.example.org/repo/"] },
 *     "mapping": [{ "paths": ["*"], "repositories": ["vendor", "org"], "threshold": 2, "terminating": true }],
 *     "trust": { "vendor": { "root": "vendor-root.json", "requirePolicies": { "logPolicy": true } },
 *                "org": { "root": "org-root.json" } }
 *
 * (or `"map": "map.json"`, a TAP 4 map file, instead of `repositories` and `mapping`).
 * Relative paths are relative to the configuration file.
 */
import { promises as fs } from "node:fs";
import path from "node:path";
import {
  ClientError,
  type DirectoryStrategyOptions,
  HEALTH_CHECK_ATTEMPTS,
  HEALTH_CHECK_RETRY_DELAYS_MS,
  HEALTH_CHECK_TIMEOUT_MS,
  type MapFile,
  mapFileFromJSON,
  parseMapFile,
  REPOSITORY_NAME,
  type RootRequirements,
} from "@bulwark/client";
import { ConfigError, durationField, parseConfigFile, SCHEMA_KEY } from "@bulwark/publisher";
import type { DownloadLimits, JsonValue } from "@bulwark/tuf";
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

/** What the agent trusts of one repository of a TAP 4 map. */
export interface AgentTrust extends RootRequirements {
  /** The repository's root to trust on first run. */
  readonly rootFile: string;
}

/** Where releases come from: one repository, or several that must agree (TAP 4). */
export type AgentSource =
  | {
      readonly kind: "repository";
      readonly metadataUrl: string;
      readonly targetsUrl: string;
      readonly rootFile: string;
    }
  | { readonly kind: "map"; readonly map: MapFile; readonly trust: ReadonlyMap<string, AgentTrust> };

/** The agent's configuration, paths resolved and durations in milliseconds. */
export interface AgentConfig extends RootRequirements {
  readonly file: string;
  readonly name: string;
  readonly channel: string;
  readonly platform?: string;
  readonly source: AgentSource;
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

const REQUIRE_POLICIES = z
  .strictObject({
    releasePolicy: z.boolean().optional().describe("refuse a root without a release policy for this product"),
    logPolicy: z.boolean().optional().describe("refuse a root without a transparency-log policy"),
  })
  .describe("root policies this endpoint requires: nothing is installed under a root without them");

const MIN_ROOT_VERSION = z
  .int()
  .min(1)
  .describe("the lowest root version accepted (the version the app was built with, say)");

const REPOSITORY_NAME_FIELD = z.string().regex(REPOSITORY_NAME);

/** TAP 4's `repositories` and `mapping`, as the map file holds them (its own checks follow). */
const MAP_FIELDS = {
  repositories: z
    .record(
      REPOSITORY_NAME_FIELD,
      z
        .array(z.url({ protocol: /^https?$/ }))
        .min(1)
        .describe("the repository's mirrors: each the folder that holds its metadata/ and targets/"),
    )
    .optional()
    .describe("TAP 4: the repositories followed, by name (instead of `repository`; with `mapping` and `trust`)"),
  mapping: z
    .array(
      z.strictObject({
        paths: z.array(z.string().min(1)).min(1).describe('target path patterns, e.g. ["*"] or ["app/*"]'),
        repositories: z.array(REPOSITORY_NAME_FIELD).min(1).describe("the repositories asked, in order"),
        threshold: z.int().min(1).describe("how many of them must sign the same bytes as the same release"),
        terminating: z.boolean().describe("without agreement here, stop instead of trying the next mapping"),
      }),
    )
    .min(1)
    .optional()
    .describe("TAP 4: which repositories must agree on which targets, tried in order"),
};

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
      .optional()
      .describe("where the vendor's repository is, and the root to trust first (or a TAP 4 map: `repositories`)"),
    ...MAP_FIELDS,
    map: z
      .string()
      .min(1)
      .optional()
      .describe("TAP 4: a map file holding `repositories` and `mapping` (instead of writing them here)"),
    trust: z
      .record(
        REPOSITORY_NAME_FIELD,
        z.strictObject({
          root: z.string().min(1).describe("the repository's root metadata file: the trust anchor on first run"),
          requirePolicies: REQUIRE_POLICIES.optional(),
          minRootVersion: MIN_ROOT_VERSION.optional(),
        }),
      )
      .optional()
      .describe("TAP 4: for each repository of the map, the root to trust first and what its root must have"),
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
    requirePolicies: REQUIRE_POLICIES.optional(),
    minRootVersion: MIN_ROOT_VERSION.optional(),
    limits: LIMITS.optional(),
    download: DOWNLOAD.optional(),
    log: z.string().min(1).optional().describe("also append the JSON-lines log to this file"),
  })
  .check((ctx) => {
    const v = ctx.value;
    const problem = (path: string, message: string) =>
      ctx.issues.push({ code: "custom", input: v, path: [path], message });
    const sources = [v.repository, v.repositories ?? v.mapping, v.map].filter((x) => x !== undefined).length;
    if (sources !== 1) {
      problem(
        "repository",
        "give exactly one of `repository` (one repository), `repositories` with `mapping`, or `map` (TAP 4)",
      );
    } else if ((v.repositories === undefined) !== (v.mapping === undefined)) {
      problem(v.repositories === undefined ? "repositories" : "mapping", "`repositories` and `mapping` go together");
    }
    const multi = v.repository === undefined;
    if (multi && v.trust === undefined) problem("trust", "a TAP 4 map needs `trust`: the root of each repository");
    if (!multi && v.trust !== undefined) problem("trust", "`trust` goes with a TAP 4 map, not with `repository`");
    for (const field of ["requirePolicies", "minRootVersion"] as const) {
      if (multi && v[field] !== undefined) problem(field, `with a TAP 4 map, set ${field} per repository in \`trust\``);
    }
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
  const { install, healthCheck, poll = {}, limits, download } = json;
  const source = await agentSource(json, file, rel);
  const ms = (seconds: number | undefined, fallback: number) => (seconds ?? fallback) * 1000;
  return {
    file: path.resolve(file),
    name: json.name,
    channel: json.channel ?? "stable",
    ...(json.platform === undefined ? {} : { platform: json.platform }),
    source,
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

/**
 * Where the configuration says releases come from; a TAP 4 map is read (from its file when
 * `map` names one) and checked, and every repository in it must have a root in `trust`.
 * @throws {ConfigError} `BAD_AGENT_CONFIG`.
 */
async function agentSource(
  json: z.output<typeof AGENT_CONFIG_SCHEMA>,
  file: string,
  rel: (p: string) => string,
): Promise<AgentSource> {
  const { repository } = json;
  if (repository !== undefined) {
    const { metadataUrl, targetsUrl } = repository;
    return { kind: "repository", metadataUrl, targetsUrl, rootFile: rel(repository.root) };
  }
  const mapFile = json.map === undefined ? file : rel(json.map);
  const bad = (problems: string[], cause?: unknown) =>
    new ConfigError(mapFile, problems, {
      code: "BAD_AGENT_CONFIG",
      hint:
        cause instanceof ClientError
          ? cause.hint
          : "docs/agent.md (Two repositories must agree) describes `repositories`, `mapping` and `trust`",
    });
  let map: MapFile;
  try {
    if (json.map === undefined) {
      map = mapFileFromJSON({ repositories: json.repositories, mapping: json.mapping } as JsonValue);
    } else {
      let bytes: Buffer;
      try {
        bytes = await fs.readFile(mapFile);
      } catch (cause) {
        throw bad([`cannot read the map file (${(cause as Error).message})`]);
      }
      map = parseMapFile(bytes);
    }
  } catch (error) {
    if (error instanceof ClientError) throw bad([error.message], error);
    throw error;
  }
  const trustJson = json.trust ?? {};
  const missing = [...map.repositories.keys()].filter((name) => trustJson[name] === undefined);
  const extra = Object.keys(trustJson).filter((name) => !map.repositories.has(name));
  if (missing.length > 0 || extra.length > 0) {
    throw new ConfigError(
      file,
      [
        ...missing.map((n) => `trust.${n}: repository ${n} of the map needs its root here`),
        ...extra.map((n) => `trust.${n}: ${n} is not a repository of the map`),
      ],
      { code: "BAD_AGENT_CONFIG", hint: "give `trust` one entry per repository of the map, with its root file" },
    );
  }
  const trust = new Map<string, AgentTrust>();
  for (const [name, t] of Object.entries(trustJson)) {
    trust.set(name, {
      rootFile: rel(t.root),
      ...(t.requirePolicies ? { requirePolicies: requiredPolicies(t.requirePolicies) } : {}),
      ...(t.minRootVersion === undefined ? {} : { minRootVersion: t.minRootVersion }),
    });
  }
  return { kind: "map", map, trust };
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
