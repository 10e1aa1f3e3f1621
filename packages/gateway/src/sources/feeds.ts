/**
 * The feeds of vendors who do not publish with TUF, read with the parsers of
 * @bulwark/audit and turned into {@link Offer}s: only the newest version a feed offers
 * (what its clients would install), each file with what the feed says it must be.
 */
import type { KeyObject } from "node:crypto";
import { FeedFormatError, parseFeedYaml, parseReleases, readAppcast, readElectronFeed } from "@bulwark/audit";
import { SourceFeedError } from "./errors.js";
import { type Expectation, fileOffer, type Offer, type OfferedFile } from "./offer.js";
import { newestVersion, squirrelPackageVersion } from "./versions.js";

function fileName(url: string): string {
  const p = new URL(url).pathname;
  return decodeURIComponent(p.slice(p.lastIndexOf("/") + 1)) || "file";
}

/** `ref` resolved against the feed's URL, http(s) only. @throws {SourceFeedError} */
function resolve(ref: string, feedUrl: string): string {
  let url: URL;
  try {
    url = new URL(ref, feedUrl);
  } catch {
    throw new SourceFeedError(`the feed names ${JSON.stringify(ref.slice(0, 80))}, which is not a URL`);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:")
    throw new SourceFeedError(`the feed names a ${url.protocol} URL; only http(s) files are fetched`);
  return url.href;
}

function parsed<T>(read: () => T): T {
  try {
    return read();
  } catch (error) {
    if (error instanceof FeedFormatError) throw new SourceFeedError(error.message, { cause: error });
    throw error;
  }
}

/**
 * The offer of an electron-updater feed: its version and every file, each checked against
 * the feed's sha512 and size, with its blockmap.
 * @throws {SourceFeedError} when the feed does not parse, or lacks a version or files.
 */
export function electronOffers(bytes: Uint8Array, feedUrl: string): Offer[] {
  const feed = parsed(() => readElectronFeed(parseFeedYaml(bytes)));
  if (feed.version === undefined || feed.files.length === 0)
    throw new SourceFeedError("the electron-updater feed has no version or no files");
  const files: OfferedFile[] = feed.files.map((f) => {
    const url = resolve(f.url, feedUrl);
    const expect: Expectation[] = f.sha512 === undefined ? [] : [{ check: "sha512", base64: f.sha512 }];
    return {
      name: fileName(url),
      url,
      ...(f.size === undefined ? {} : { size: f.size }),
      sizeStrength: "integrity-only",
      expect,
      blockmap: true,
    };
  });
  return [fileOffer(feed.version, files)];
}

/**
 * The offer of a Sparkle appcast: the newest version's full enclosures, each checked
 * against its `sparkle:edSignature` under the app's key (deltas are not followed).
 * @throws {SourceFeedError} when the appcast does not parse or offers no full update.
 */
export function sparkleOffers(bytes: Uint8Array, feedUrl: string, key: KeyObject): Offer[] {
  const full = parsed(() => readAppcast(bytes)).filter((e) => !e.delta && e.url !== "");
  const newest = newestVersion(full.map((e) => e.version));
  if (newest === undefined) throw new SourceFeedError("the appcast offers no full update");
  const files = full
    .filter((e) => e.version === newest)
    .map((e): OfferedFile => {
      const url = resolve(e.url, feedUrl);
      return {
        name: fileName(url),
        url,
        ...(e.length === undefined || e.length === 0 ? {} : { size: e.length }),
        sizeStrength: "integrity-only",
        expect: [{ check: "sparkle-ed25519", signature: e.edSignature, key }],
      };
    });
  return [fileOffer(newest, files)];
}

/**
 * The offer of a Squirrel.Windows RELEASES file: the newest full package, checked against
 * its SHA-1 and size (weak: SHA-1, from an unsigned file).
 * @throws {SourceFeedError} when the file does not parse or lists no full package.
 */
export function squirrelOffers(bytes: Uint8Array, feedUrl: string): Offer[] {
  const entries = parsed(() => parseReleases(bytes)).entries.filter((e) => !e.delta);
  const versioned = entries.flatMap((e) => {
    const v = squirrelPackageVersion(e.name);
    return v === undefined || v.delta ? [] : [{ entry: e, version: v.version }];
  });
  const newest = newestVersion(versioned.map((v) => v.version));
  if (newest === undefined) throw new SourceFeedError("the RELEASES file lists no full package with a version");
  const files = versioned
    .filter((v) => v.version === newest)
    .map(({ entry }): OfferedFile => {
      const url = resolve(entry.url ?? encodeURIComponent(entry.name) + (entry.query ?? ""), feedUrl);
      return {
        name: entry.name,
        url,
        size: entry.size,
        sizeStrength: "weak",
        expect: [{ check: "sha1", hex: entry.sha1 }],
      };
    });
  return [fileOffer(newest, files)];
}
