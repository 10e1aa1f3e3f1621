/**
 * Staging what electron-builder wrote: its update feeds (`latest.yml`, `latest-mac.yml`,
 * `latest-linux.yml`, `latest-linux-arm64.yml`, `beta.yml`, …) say which installer is which
 * version for which platform; each installer is checked against the feed's sha512 and size
 * before anything is staged, then staged as one release per channel and platform with
 * {@link addRelease}. Nothing is signed until a publish.
 */
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import fs from "node:fs/promises";
import path from "node:path";
import { channelFor, releaseNameFor } from "@bulwark/client";
import { parseDocument } from "yaml";
import { z } from "zod";
import { PUBLISHER_ERRORS, PublisherError } from "../errors.js";
import type { PublisherOptions } from "../options.js";
import { type AddReleaseResult, addRelease } from "./add-release.js";

/** Files of a dist folder electron-builder writes that are YAML but not update feeds. */
const NOT_FEEDS = new Set(["builder-debug.yml", "app-update.yml", "dev-app-update.yml"]);
/** The file naming the product. */
const EFFECTIVE_CONFIG = "builder-effective-config.yaml";
/** Larger than any feed or effective configuration electron-builder writes. */
const MAX_YAML_BYTES = 1024 * 1024;
/** Architectures electron-builder puts in file names (x64 has none by default). */
const ARCHES = ["arm64", "x64", "ia32", "armv7l", "universal"] as const;
/** On macOS electron-updater installs the zip (the dmg is for first installs); elsewhere the feed's first file. */
const PREFERRED = { darwin: [".zip"], linux: [".appimage"], win32: [".exe"] } as const;

const SHA512_BASE64 = /^[A-Za-z0-9+/]{86}==$/;

/** A file name inside the dist folder: no folder part, no `..`. */
const fileName = z
  .string()
  .min(1)
  .refine((s) => !/[/\\]/.test(s) && s !== "." && s !== ".." && !s.includes("\0"), {
    message: "must be a file name in the dist folder, without a folder part",
  });

/** What Bulwark reads of an electron-builder update feed (other fields are allowed and ignored). */
const FEED = z.looseObject({
  version: z.string().min(1),
  files: z
    .array(
      z.looseObject({
        url: fileName,
        sha512: z.string().regex(SHA512_BASE64, "must be a base64 sha512 (88 characters)"),
        size: z.number().int().nonnegative().optional(),
      }),
    )
    .min(1),
  path: fileName.optional(),
  releaseDate: z.string().optional(),
});

const EFFECTIVE = z.looseObject({ productName: z.string().min(1).optional() });

/** Options of {@link addElectronReleases}. */
export interface AddElectronOptions extends PublisherOptions {
  /** The folder electron-builder wrote (`directories.output`, `dist` by default). */
  readonly dist: string;
  /** The release name; by default the product name of builder-effective-config.yaml (`My App` → `my-app`). */
  readonly name?: string | undefined;
  /** Change an already published version anyway (see {@link addRelease}). */
  readonly force?: boolean | undefined;
}

/** A file of the dist folder that was read but not staged, and why. */
export interface SkippedElectronFile {
  readonly file: string;
  readonly reason: string;
}

/** What {@link addElectronReleases} staged. */
export interface AddElectronResult {
  readonly name: string;
  /** The feeds read, by file name. */
  readonly feeds: readonly string[];
  /** One release per channel and platform. */
  readonly releases: readonly AddReleaseResult[];
  readonly skipped: readonly SkippedElectronFile[];
}

/** One installer to stage, checked against its feed. */
interface Planned {
  readonly feed: string;
  readonly version: string;
  readonly channel: string;
  readonly platform: string;
  readonly file: string;
}

function badFeed(feed: string, message: string): PublisherError {
  return new PublisherError(PUBLISHER_ERRORS.BAD_ELECTRON_FEED, `${feed}: ${message}`, {
    hint: "is this the output folder of electron-builder? Build again rather than edit its files",
  });
}

/** Parses one YAML document with the core schema (no custom tags, no merge keys, unique keys). */
async function readYaml(file: string, label: string): Promise<unknown> {
  const bytes = await fs.readFile(file);
  if (bytes.length > MAX_YAML_BYTES) throw badFeed(label, `larger than ${MAX_YAML_BYTES} bytes`);
  try {
    const doc = parseDocument(bytes.toString("utf8"), { schema: "core", merge: false, uniqueKeys: true });
    const problem = doc.errors[0] ?? doc.warnings[0];
    if (problem !== undefined) throw problem;
    // toJS throws too: an alias without its anchor, more than 100 aliases.
    return doc.toJS({ maxAliasCount: 100 });
  } catch (error) {
    throw badFeed(label, `not valid YAML: ${(error as Error).message}`);
  }
}

function zodMessage(error: z.ZodError): string {
  const issue = error.issues[0];
  return issue === undefined ? "malformed" : `${issue.path.join(".") || "(document)"}: ${issue.message}`;
}

/** The channel, operating system and architecture (when the name says it) of a feed file name. */
export function electronFeedTarget(feed: string): { channel: string; os: string; arch?: string } | undefined {
  const m = /^([a-z0-9][a-z0-9-]*?)(?:-(mac)|-(linux)(?:-([a-z0-9]+))?)?\.yml$/.exec(feed);
  if (m === null || NOT_FEEDS.has(feed)) return undefined;
  const channel = m[1] as string;
  if (m[2] !== undefined) return { channel, os: "darwin" };
  if (m[3] !== undefined) return { channel, os: "linux", arch: m[4] ?? "x64" };
  return { channel, os: "win32" };
}

/** The architecture a file name says (`App-1.0.0-arm64.dmg`), x64 when it says none. */
function archOf(file: string): string {
  const words = file.toLowerCase().split(/[-_. ]/);
  return ARCHES.find((a) => words.includes(a)) ?? "x64";
}

/** The sha512 (base64) and size of a file. */
async function sha512Of(file: string): Promise<{ sha512: string; size: number }> {
  const hash = createHash("sha512");
  let size = 0;
  for await (const chunk of createReadStream(file)) {
    hash.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return { sha512: hash.digest("base64"), size };
}

/** The product name: `options.name`, else builder-effective-config.yaml's `productName`. */
async function productName(dist: string, options: AddElectronOptions): Promise<string> {
  const given = options.name;
  if (given !== undefined) return given;
  const file = path.join(dist, EFFECTIVE_CONFIG);
  let parsed: unknown;
  try {
    parsed = await readYaml(file, EFFECTIVE_CONFIG);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
  const config = EFFECTIVE.safeParse(parsed ?? {});
  if (!config.success) throw badFeed(EFFECTIVE_CONFIG, zodMessage(config.error));
  const name = config.data.productName === undefined ? "" : releaseNameFor(config.data.productName);
  if (name === "") {
    throw new PublisherError(
      PUBLISHER_ERRORS.BAD_NAME,
      `${dist} has no ${EFFECTIVE_CONFIG} with a productName to name the releases after`,
      { hint: "pass --name, the name the app's updater follows" },
    );
  }
  return name;
}

/**
 * Reads one feed and checks each installer it lists against its sha512 and size; returns
 * the installer to stage per platform, and the files left out.
 */
async function planFeed(dist: string, feed: string, skipped: SkippedElectronFile[]): Promise<Planned[]> {
  const where = electronFeedTarget(feed);
  if (where === undefined) return [];
  const parsed = FEED.safeParse(await readYaml(path.join(dist, feed), feed));
  if (!parsed.success) throw badFeed(feed, zodMessage(parsed.error));
  const { version, files } = parsed.data;
  const channel = channelFor(where.channel);
  for (const entry of files) {
    const file = path.join(dist, entry.url);
    let actual: { sha512: string; size: number };
    try {
      actual = await sha512Of(file);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== "ENOENT" && code !== "EISDIR") throw error;
      throw new PublisherError(
        PUBLISHER_ERRORS.ELECTRON_FILE_MISSING,
        `${feed} lists ${entry.url}, which is not in ${dist}`,
        {
          hint: "run add-electron on the folder electron-builder wrote, after the build finished",
        },
      );
    }
    if (actual.sha512 !== entry.sha512 || (entry.size !== undefined && actual.size !== entry.size)) {
      throw new PublisherError(
        PUBLISHER_ERRORS.ELECTRON_CHECKSUM_MISMATCH,
        `${entry.url} is not the file ${feed} describes: sha512 ${actual.sha512} (${actual.size} bytes), the feed says ${entry.sha512}${entry.size === undefined ? "" : ` (${entry.size} bytes)`}`,
        { hint: "the installer changed after electron-builder wrote the feed (re-signed, replaced?): build again" },
      );
    }
  }
  // One installer per platform: the format electron-updater installs, else the feed's first.
  const byPlatform = new Map<string, string[]>();
  for (const entry of files) {
    const platform = `${where.os}-${where.arch ?? archOf(entry.url)}`;
    byPlatform.set(platform, [...(byPlatform.get(platform) ?? []), entry.url]);
  }
  const preferred = PREFERRED[where.os as keyof typeof PREFERRED];
  const planned: Planned[] = [];
  for (const [platform, names] of byPlatform) {
    const chosen = names.find((n) => preferred.some((ext) => n.toLowerCase().endsWith(ext))) ?? (names[0] as string);
    planned.push({ feed, version, channel, platform, file: chosen });
    for (const other of names) {
      if (other !== chosen) skipped.push({ file: other, reason: `${platform} is released as ${chosen}` });
    }
  }
  return planned;
}

/**
 * Stages the releases electron-builder's output folder describes: for each update feed, one
 * release per platform (`win32-x64`, `darwin-arm64`, `linux-x64`, …), named after the
 * product, with the feed's version, on the feed's channel (`latest` → `stable`, `beta.yml` →
 * `beta`). Every installer a feed lists is checked against its sha512 and size before
 * anything is staged. Blockmaps (electron-updater's differential downloads) are not staged.
 * The releases are then staged one by one: when {@link addRelease} refuses one (say,
 * `ALREADY_RELEASED`), those before it stay staged (`removeRelease` unstages them).
 * @throws {PublisherError} `NO_ELECTRON_FEED` when the folder has no feed, `BAD_ELECTRON_FEED`
 *   for a feed that does not parse or validate (a file name with a folder part included),
 *   `ELECTRON_FILE_MISSING`, `ELECTRON_CHECKSUM_MISMATCH`, `BAD_NAME` without a product
 *   name; what {@link addRelease} throws.
 */
export async function addElectronReleases(dir: string, options: AddElectronOptions): Promise<AddElectronResult> {
  const cwd = options.cwd ?? process.cwd();
  const dist = path.resolve(cwd, options.dist);
  let entries: string[];
  try {
    entries = (await fs.readdir(dist)).sort();
  } catch (error) {
    throw new PublisherError(PUBLISHER_ERRORS.READ_FAILED, `cannot read ${dist}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  const feeds = entries.filter((e) => electronFeedTarget(e) !== undefined);
  if (feeds.length === 0) {
    throw new PublisherError(
      PUBLISHER_ERRORS.NO_ELECTRON_FEED,
      `${dist} has no electron-builder update feed (latest*.yml)`,
      {
        hint: "electron-builder writes the feeds when a `publish` provider is configured (e.g. generic)",
      },
    );
  }
  const name = await productName(dist, options);
  const skipped: SkippedElectronFile[] = entries
    .filter((e) => e.endsWith(".blockmap"))
    .map((file) => ({ file, reason: "electron-updater's differential-download map: Bulwark clients do not use it" }));
  const planned: Planned[] = [];
  for (const feed of feeds) planned.push(...(await planFeed(dist, feed, skipped)));
  const seen = new Map<string, Planned>();
  for (const p of planned) {
    const key = `${p.channel} ${p.platform}`;
    const earlier = seen.get(key);
    if (earlier !== undefined) {
      throw badFeed(p.feed, `${p.platform} on ${p.channel} is also released by ${earlier.feed}`);
    }
    seen.set(key, p);
  }
  const releases: AddReleaseResult[] = [];
  for (const p of planned) {
    releases.push(
      await addRelease(dir, {
        ...options,
        cwd,
        name,
        version: p.version,
        channel: p.channel,
        platform: p.platform,
        files: [{ file: path.join(dist, p.file) }],
      }),
    );
  }
  return { name, feeds, releases, skipped };
}
