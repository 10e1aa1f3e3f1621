/**
 * Recognises a feed's type from its name and first bytes, without trusting either beyond
 * choosing which parser refuses it.
 */
import { looksLikeReleases } from "./squirrel.js";

/** What a document looks like. */
export type DetectedKind = "tuf-metadata" | "electron-updater" | "sparkle" | "squirrel-windows" | "unknown";

const ELECTRON_NAME = /^latest(?:-mac|-linux(?:-[\w-]+)?)?\.ya?ml$/i;

/** The last segment of a URL's path or a file path. */
export function baseName(location: string): string {
  const pathPart = /^https?:\/\//i.test(location) ? new URL(location).pathname : location;
  const segments = pathPart.split(/[\\/]/).filter((s) => s !== "");
  return decodeURIComponentSafe(segments.at(-1) ?? "");
}

function decodeURIComponentSafe(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** The feed type of a document named `name` with these bytes. */
export function detectFeed(name: string, bytes: Uint8Array): DetectedKind {
  if (ELECTRON_NAME.test(name)) return "electron-updater";
  if (/^RELEASES(?:-[\w.-]+)?$/i.test(name)) return "squirrel-windows"; // Velopack: RELEASES-{channel}
  if (/(?:^|\.)(?:root|timestamp|snapshot|targets)\.json$/i.test(name)) return "tuf-metadata";
  const head = Buffer.from(bytes.subarray(0, 64 * 1024))
    .toString("utf8")
    .replace(/^\uFEFF/, "");
  const t = head.trimStart();
  if (t.startsWith("{")) {
    const metadataShaped = /"signed"\s*:/.test(head) && /"_type"\s*:/.test(head);
    return metadataShaped ? "tuf-metadata" : "unknown";
  }
  if (t.startsWith("<")) {
    if (/^(?:<\?xml[^>]*>\s*)?(?:<!DOCTYPE\s+html|<html)[\s>]/i.test(t)) return "unknown"; // a web page, not a feed
    if (head.includes("andymatuschak.org/xml-namespaces/sparkle") || /<rss[\s>]/.test(head)) return "sparkle";
    // A DTD up front: let the appcast reader refuse it, for a feed named like one.
    if (/appcast|\.xml$|\.rss$/i.test(name) || /^<!DOCTYPE\s+rss/i.test(t.replace(/^<\?xml[^>]*>\s*/, "")))
      return "sparkle";
    return "unknown";
  }
  if (looksLikeReleases(head)) return "squirrel-windows";
  if (/^version:\s*\S/m.test(head) && /^(?:files|path):/m.test(head)) return "electron-updater";
  if (/\.ya?ml$/i.test(name) && /^version:/m.test(head)) return "electron-updater";
  return "unknown";
}
