/**
 * Config files parsed against a schema (zod): every field checked, unknown keys refused
 * with the closest known key suggested, and a JSON Schema of the same schema for editors.
 * One place for the four files a user edits by hand: `bulwark.json`, the agent config,
 * `log.json` and `witness.json`.
 */
import path from "node:path";
import { z } from "zod";
import { PublisherError } from "./errors.js";
import { parseDuration } from "./store/duration.js";

/** Which file is read, and how its errors are reported. */
export interface ConfigFileOptions {
  /** The file's name or path, as errors name it. */
  readonly file: string;
  /** The error code (`BAD_CONFIG` unless given: `BAD_AGENT_CONFIG`, …). */
  readonly code?: string;
  /** What to do next, shown with the error. */
  readonly hint?: string;
  /** What to do next when the file is not JSON at all (truncated, overwritten); default {@link hint}. */
  readonly unreadableHint?: string;
}

/** A config file that does not match its schema; `problems` lists every field at fault. */
export class ConfigError extends PublisherError {
  constructor(
    readonly file: string,
    readonly problems: readonly string[],
    options: { readonly code?: string; readonly hint?: string | undefined } = {},
  ) {
    super(options.code ?? "BAD_CONFIG", `${file}: ${problems.join("; ")}`, { hint: options.hint });
  }
}

/**
 * Parses the bytes of a config file against `schema`.
 * @throws {ConfigError} not JSON, a field of the wrong type or value, or an unknown key
 *   (with the closest known key suggested).
 */
export function parseConfigFile<S extends z.ZodType>(
  schema: S,
  bytes: Uint8Array,
  options: ConfigFileOptions,
): z.output<S> {
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(bytes).toString("utf8"));
  } catch (error) {
    throw new ConfigError(options.file, [`not valid JSON (${(error as Error).message})`], {
      ...options,
      hint: options.unreadableHint ?? options.hint,
    });
  }
  return checkConfig(schema, json, options);
}

/**
 * Checks an already parsed config value against `schema`.
 * @throws {ConfigError}
 */
export function checkConfig<S extends z.ZodType>(schema: S, value: unknown, options: ConfigFileOptions): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const jsonSchema = configJsonSchema(schema);
  const problems = result.error.issues.flatMap((issue) => describeIssue(issue, jsonSchema));
  throw new ConfigError(options.file, problems, options);
}

/**
 * A duration in a config file (`"7d"`, `"12h"`, `"30s"`: a whole number and one of
 * s, m, h, d, w, y), kept as text in the file and read as seconds.
 */
export function durationField(description: string) {
  return z
    .string()
    .regex(/^0*[1-9][0-9]*[smhdwy]$/, 'must be a duration such as "7d", "12h" or "30s"')
    .transform((text) => parseDuration(text, description))
    .describe(`${description} (a duration such as "7d", "12h" or "30s")`);
}

/** A path inside the config file's folder: relative, with no `..`. */
export function folderPathField(description: string) {
  return z
    .string()
    .min(1)
    .refine((p) => !path.isAbsolute(p) && !p.split(/[\\/]/).includes(".."), "must be a path inside the folder")
    .describe(description);
}

/** The `"$schema"` key every config file may carry (for editors); accepted and ignored. */
export const SCHEMA_KEY = {
  $schema: z.string().optional().describe("the JSON Schema of this file, for editors; ignored by Bulwark"),
} as const;

/** The JSON Schema (draft 2020-12) of a config schema, as editors use it for completion. */
export function configJsonSchema(schema: z.ZodType): JsonSchema {
  return z.toJSONSchema(schema, { io: "input", unrepresentable: "any" }) as JsonSchema;
}

/** The parts of a JSON Schema that name object keys. */
interface JsonSchema {
  readonly properties?: Readonly<Record<string, JsonSchema>>;
  readonly items?: JsonSchema;
  readonly additionalProperties?: JsonSchema | boolean;
  readonly anyOf?: readonly JsonSchema[];
  readonly oneOf?: readonly JsonSchema[];
  readonly [key: string]: unknown;
}

function describeIssue(issue: z.core.$ZodIssue, schema: JsonSchema): string[] {
  const at = (path: readonly PropertyKey[]) =>
    path.reduce<string>(
      (text, p) => (typeof p === "number" ? `${text}[${p}]` : text === "" ? String(p) : `${text}.${String(p)}`),
      "",
    );
  if (issue.code === "unrecognized_keys") {
    const known = knownKeys(schema, issue.path);
    return issue.keys.map((key) => {
      const field = at([...issue.path, key]);
      const near = closest(key, known);
      return `\`${field}\`: unknown key${near === undefined ? "" : `; did you mean \`${near}\`?`}`;
    });
  }
  const field = at(issue.path);
  return [`${field === "" ? "the file" : `\`${field}\``}: ${issue.message}`];
}

/** The keys the schema allows at `path` (through arrays and unions). */
function knownKeys(schema: JsonSchema, path: readonly PropertyKey[]): string[] {
  let nodes: JsonSchema[] = [schema];
  for (const part of path) {
    nodes = nodes.flatMap(expand).flatMap((node) => {
      if (typeof part === "number") return node.items ? [node.items] : [];
      const child = node.properties?.[String(part)];
      if (child) return [child];
      return typeof node.additionalProperties === "object" ? [node.additionalProperties] : [];
    });
  }
  return [...new Set(nodes.flatMap(expand).flatMap((node) => Object.keys(node.properties ?? {})))];
}

function expand(node: JsonSchema): JsonSchema[] {
  const alternatives = [...(node.anyOf ?? []), ...(node.oneOf ?? [])];
  return alternatives.length === 0 ? [node] : [node, ...alternatives.flatMap(expand)];
}

/** The known key nearest to `key` (case-insensitive edit distance), if near enough to be a slip. */
export function closest(key: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of known) {
    const d = editDistance(key.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best !== undefined && bestDistance <= Math.max(2, Math.floor(key.length / 3)) ? best : undefined;
}

/** Levenshtein distance with adjacent transpositions (optimal string alignment). */
function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[] = new Array(rows * cols).fill(0);
  for (let i = 0; i < rows; i++) d[i * cols] = i;
  for (let j = 0; j < cols; j++) d[j] = j;
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(
        (d[(i - 1) * cols + j] ?? 0) + 1,
        (d[i * cols + j - 1] ?? 0) + 1,
        (d[(i - 1) * cols + j - 1] ?? 0) + cost,
      );
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        v = Math.min(v, (d[(i - 2) * cols + j - 2] ?? 0) + 1);
      d[i * cols + j] = v;
    }
  }
  return d[rows * cols - 1] ?? 0;
}
