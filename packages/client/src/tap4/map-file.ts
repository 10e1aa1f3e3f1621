/**
 * The TAP 4 map file (multiple-repository consensus): which repositories the client follows
 * (`repositories`: a name, and the mirrors that serve that repository), and which of them
 * must agree on a target (`mapping`: target path patterns, the repositories asked, how many
 * of them must list the same target, and whether a failed match ends the search).
 *
 *   {
 *     "repositories": { "vendor": ["https://updates.vendor.example/"],
 *                       "org": ["https://gateway.example.org/repo/"] },
 *     "mapping": [ { "paths": ["*"], "repositories": ["vendor", "org"],
 *                    "threshold": 2, "terminating": true } ]
 *   }
 *
 * A repository URL is the folder that holds its `metadata/` and `targets/`.
 */
import { isJsonObject, type JsonValue, parseJson } from "@bulwark/tuf";
import { CLIENT_ERRORS, ClientError } from "../errors.js";

/** The TAP this module implements (TAP 4, multiple repository consensus on entrusted targets). */
export const TAP4_VERSION = "TAP 4 (Accepted)";

/** What a repository name may look like: it names the folder its metadata is kept in. */
export const REPOSITORY_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** One entry of `mapping`. */
export interface RepositoryMapping {
  /** Target path patterns (as TUF delegation paths: `*` does not cross `/`). */
  readonly paths: readonly string[];
  /** The repositories asked about a matching target, in order. */
  readonly repositories: readonly string[];
  /** How many of {@link repositories} must list the same target (length, hashes, release). */
  readonly threshold: number;
  /** When the repositories do not agree, stop here instead of trying the next mapping. */
  readonly terminating: boolean;
}

/** A parsed map file. */
export interface MapFile {
  /** Each repository's name and its mirrors (base URLs ending in `/`), in order of use. */
  readonly repositories: ReadonlyMap<string, readonly string[]>;
  /** Tried in order for each target path. */
  readonly mapping: readonly RepositoryMapping[];
}

function bad(where: string, message: string): ClientError {
  return new ClientError(CLIENT_ERRORS.BAD_MAP_FILE, `the map file's ${where} ${message}`, {
    hint: 'a map file is {"repositories": {NAME: [URL, …]}, "mapping": [{"paths": […], "repositories": [NAME, …], "threshold": N, "terminating": true|false}]} (docs/agent.md)',
  });
}

function onlyFields(value: Record<string, JsonValue>, fields: readonly string[], where: string): void {
  const unknown = Object.keys(value).filter((k) => !fields.includes(k));
  if (unknown.length > 0) throw bad(where, `has unknown field ${JSON.stringify(unknown[0])}`);
}

function stringList(value: JsonValue | undefined, where: string): string[] {
  if (!Array.isArray(value) || value.length === 0) throw bad(where, "must be a non-empty array");
  return value.map((v, i) => {
    if (typeof v !== "string" || v === "") throw bad(`${where}[${i}]`, "must be a non-empty string");
    return v;
  });
}

/** An http(s) URL, with a `/` appended so `metadata/` and `targets/` resolve beneath it. */
function mirrorUrl(value: string, where: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw bad(where, `is not a URL: ${JSON.stringify(value)}`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw bad(where, "must be an http or https URL");
  if (url.search !== "" || url.hash !== "") throw bad(where, "must not have a query or fragment");
  return url.href.endsWith("/") ? url.href : `${url.href}/`;
}

function parseRepositories(value: JsonValue | undefined): Map<string, string[]> {
  if (!isJsonObject(value)) throw bad("repositories", "must be an object of repository names to URL lists");
  const out = new Map<string, string[]>();
  for (const [name, urls] of Object.entries(value)) {
    const where = `repositories.${name}`;
    if (!REPOSITORY_NAME.test(name)) {
      throw bad(where, "is not a usable name (letters, digits, `.`, `_`, `-`; at most 64; it names a folder)");
    }
    const list = stringList(urls, where).map((u, i) => mirrorUrl(u, `${where}[${i}]`));
    if (new Set(list).size !== list.length) throw bad(where, "lists a URL twice");
    out.set(name, list);
  }
  if (out.size === 0) throw bad("repositories", "must name at least one repository");
  return out;
}

function parseMapping(value: JsonValue, i: number, known: ReadonlyMap<string, unknown>): RepositoryMapping {
  const where = `mapping[${i}]`;
  if (!isJsonObject(value)) throw bad(where, "must be an object");
  onlyFields(value, ["paths", "repositories", "threshold", "terminating"], where);
  const paths = stringList(value.paths, `${where}.paths`);
  const repositories = stringList(value.repositories, `${where}.repositories`);
  for (const name of repositories) {
    if (!known.has(name)) throw bad(`${where}.repositories`, `names ${JSON.stringify(name)}, not in "repositories"`);
  }
  if (new Set(repositories).size !== repositories.length)
    throw bad(`${where}.repositories`, "names a repository twice");
  const { threshold, terminating } = value;
  if (typeof threshold !== "number" || !Number.isSafeInteger(threshold) || threshold < 1) {
    throw bad(`${where}.threshold`, "must be an integer >= 1");
  }
  if (threshold > repositories.length) {
    throw bad(`${where}.threshold`, `is ${threshold}, more than the ${repositories.length} repositories it names`);
  }
  if (typeof terminating !== "boolean") throw bad(`${where}.terminating`, "must be true or false");
  return { paths, repositories, threshold, terminating };
}

/**
 * Reads a map file from its parsed JSON (an agent configuration may carry it inline).
 * @throws {ClientError} `CLIENT_BAD_MAP_FILE` naming the field that is wrong.
 */
export function mapFileFromJSON(json: JsonValue): MapFile {
  if (!isJsonObject(json)) throw bad("top level", "must be an object");
  onlyFields(json, ["repositories", "mapping"], "top level");
  const repositories = parseRepositories(json.repositories);
  if (!Array.isArray(json.mapping) || json.mapping.length === 0) throw bad("mapping", "must be a non-empty array");
  const mapping = json.mapping.map((m, i) => parseMapping(m, i, repositories));
  return { repositories, mapping };
}

/**
 * Parses a map file's bytes.
 * @throws {ClientError} `CLIENT_BAD_MAP_FILE` for bytes that are not JSON or not a map file.
 */
export function parseMapFile(bytes: Uint8Array | string): MapFile {
  let json: JsonValue;
  try {
    json = parseJson(bytes);
  } catch (cause) {
    throw new ClientError(CLIENT_ERRORS.BAD_MAP_FILE, "the map file is not valid JSON", { cause });
  }
  return mapFileFromJSON(json);
}

/** The map file as JSON, the inverse of {@link mapFileFromJSON}. */
export function mapFileToJSON(map: MapFile): { repositories: Record<string, string[]>; mapping: object[] } {
  return {
    repositories: Object.fromEntries([...map.repositories].map(([name, urls]) => [name, [...urls]])),
    mapping: map.mapping.map((m) => ({
      paths: [...m.paths],
      repositories: [...m.repositories],
      threshold: m.threshold,
      terminating: m.terminating,
    })),
  };
}
