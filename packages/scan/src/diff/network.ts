/**
 * Network indicators in a file's strings: URLs, domain names and IP addresses, as layer 1
 * compares them across releases and layer 3 matches them against threat intelligence.
 *
 * A domain found inside a URL counts whenever its suffix is on the public suffix list
 * (ICANN section, through `tldts`). A bare name (`update.vendor.com` in a config string)
 * must also look like one: lowercase, its registrable label at least 3 characters, and a
 * suffix of at most 3 letters that is not also a common file extension or code word
 * (`readme.md`, `libfoo.so`, `console.info`, `window.top`): identifiers such as `Foo.Bar`
 * or `e.exports` are never reported. An IP counts when it is a public unicast IPv4 address;
 * a bare one (outside a URL) must also not read like a version number: no zero part
 * (`4.2.0.12`), not every part a single digit (`1.2.3.4`).
 * docs/scan.md gives the false-positive rate these rules reach on real releases.
 */
import { parse } from "tldts";
import type { NetworkIndicators } from "../intel/index.js";
import { asciiView, utf16Runs } from "./strings.js";

/** Most indicators of each kind kept per file; a file past it is noted, not grown without bound. */
export const MAX_INDICATORS_PER_FILE = 10_000;

const URL_PATTERN = /\b(?:https?|wss?|ftp):\/\/[A-Za-z0-9\-._~%!$&'()*+,;=:@/?#]{3,2000}/g;
/** Where a second URL starts inside a match: binaries often store strings back to back, unterminated. */
const NEXT_SCHEME = /(?=(?:https?|wss?|ftp):\/\/)/;
// A bare domain is found from its end: a dot and a 2-3 letter last label ending a word (not
// a call, `x.map(`), then grown back over host characters. Starting only at dots keeps the
// search fast over megabytes of minified code; labels are checked in code (bareDomain).
const TLD_END = /\.[a-z]{2,3}(?![A-Za-z0-9_$(-])(?!\.[A-Za-z0-9])/g;
/** Longest host name (RFC 1035). */
const MAX_HOST_LENGTH = 253;
const HOST_LABELS = /^(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,3}$/;
/(?<![A-Za-z0-9_$.@/\\-])(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.){1,8}[a-z]{2,3}(?![A-Za-z0-9_$(-])(?!\.[A-Za-z0-9])/g;
const IP_PATTERN =
  /(?<![0-9.])(?:(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\.){3}(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(?![0-9]|\.[0-9])/g;

/**
 * Suffixes that are real top-level domains but, as bare names, are far more often a file
 * extension or a member name in code than a host.
 */
const CODE_LIKE_SUFFIXES = new Set([
  "ac",
  "am",
  "as",
  "at",
  "by",
  "cc",
  "cs",
  "do",
  "go",
  "hs",
  "id",
  "in",
  "is",
  "it",
  "js",
  "md",
  "mk",
  "ml",
  "mo",
  "nl",
  "no",
  "pl",
  "pm",
  "ps",
  "py",
  "rs",
  "sh",
  "so",
  "st",
  "to",
  "ts",
  "tv",
  "ws",
  "zip",
  "mov",
  "new",
  "top",
  "run",
  "bin",
  "dat",
  "exe",
  "dll",
  "app",
  "map",
  "log",
  "img",
  "fyi",
  "one",
  "now",
  "art",
]);

/** Names reserved for documentation and testing (RFC 2606, RFC 6761): never an indicator. */
const RESERVED = /(?:^|\.)(?:example\.(?:com|net|org)|localhost|test|invalid|example|local)$/;

function octets(ip: string): number[] {
  return ip.split(".").map(Number);
}

/** A public unicast IPv4 address: not private, loopback, link-local, multicast, reserved or documentation. */
export function isPublicIpv4(ip: string): boolean {
  const [a = 0, b = 0, c = 0] = octets(ip);
  if (a === 0 || a === 10 || a === 127 || a >= 224) return false;
  if (a === 100 && b >= 64 && b < 128) return false; // carrier-grade NAT
  if (a === 169 && b === 254) return false;
  if (a === 172 && b >= 16 && b < 32) return false;
  if (a === 192 && b === 168) return false;
  if (a === 192 && b === 0 && (c === 0 || c === 2)) return false;
  if (a === 198 && (b === 18 || b === 19)) return false;
  if ((a === 198 && b === 51 && c === 100) || (a === 203 && b === 0 && c === 113)) return false;
  return true;
}

/** A bare dotted quad that reads like a version (`1.0.0.0`, `4.2.0.12`) rather than an address. */
function looksLikeVersion(ip: string): boolean {
  const parts = octets(ip);
  return parts.includes(0) || parts.every((n) => n < 10);
}

/** The registrable-domain check both contexts share; returns the lowercased host or undefined. */
function publicHost(host: string): string | undefined {
  const name = host.toLowerCase().replace(/\.$/, "");
  if (RESERVED.test(name)) return undefined;
  const parsed = parse(name, { allowPrivateDomains: false });
  if (parsed.isIcann !== true || parsed.domain === null || parsed.hostname !== name) return undefined;
  return name;
}

/** `[a-z0-9.-]`: what a lowercase host name is made of. */
function isHostCharacter(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || c === 0x2e || c === 0x2d;
}

/** `[A-Z_$@/\\]`: a character that makes what follows part of something else. */
function isWordBoundaryBreaker(c: number): boolean {
  return (c >= 0x41 && c <= 0x5a) || c === 0x5f || c === 0x24 || c === 0x40 || c === 0x2f || c === 0x5c;
}

function bareDomain(candidate: string): string | undefined {
  if (!HOST_LABELS.test(candidate)) return undefined;
  const host = publicHost(candidate);
  if (host === undefined) return undefined;
  const parsed = parse(host);
  const suffix = parsed.publicSuffix ?? "";
  const tld = suffix.slice(suffix.lastIndexOf(".") + 1);
  if (CODE_LIKE_SUFFIXES.has(tld) || (parsed.domainWithoutSuffix ?? "").length < 3) return undefined;
  return host;
}

/** Collects indicators into bounded sets. */
class Collector {
  readonly urls = new Set<string>();
  readonly domains = new Set<string>();
  readonly ips = new Set<string>();
  truncated = false;

  add(set: Set<string>, value: string): void {
    if (set.has(value)) return;
    if (set.size >= MAX_INDICATORS_PER_FILE) this.truncated = true;
    // A copy: a match is a slice of the chunk's string and would keep the whole chunk alive.
    else set.add(Buffer.from(value, "latin1").toString("latin1"));
  }

  /** Indicators in `text` whose match starts in [`from`, `to`); the text around is context. */
  scan(text: string, from = 0, to = text.length): void {
    URL_PATTERN.lastIndex = from;
    for (let m = URL_PATTERN.exec(text); m !== null && m.index < to; m = URL_PATTERN.exec(text)) {
      for (const part of m[0].split(NEXT_SCHEME)) this.url(part);
    }
    TLD_END.lastIndex = from;
    for (let m = TLD_END.exec(text); m !== null && m.index < to; m = TLD_END.exec(text)) {
      const end = m.index + m[0].length;
      let start = m.index;
      while (start > 0 && end - start < MAX_HOST_LENGTH && isHostCharacter(text.charCodeAt(start - 1))) start--;
      // Part of an identifier, a path or an e-mail address (`Foo.Bar`, `/a/b.js`, `x@y.com`): not a bare domain.
      if (start > 0 && isWordBoundaryBreaker(text.charCodeAt(start - 1))) continue;
      const host = bareDomain(text.slice(start, end));
      if (host !== undefined) this.add(this.domains, host);
    }
    IP_PATTERN.lastIndex = from;
    for (let m = IP_PATTERN.exec(text); m !== null && m.index < to; m = IP_PATTERN.exec(text)) {
      if (isPublicIpv4(m[0]) && !looksLikeVersion(m[0])) this.add(this.ips, m[0]);
    }
  }

  private url(raw: string): void {
    // Trailing punctuation belongs to the sentence or the code around the URL.
    const text = raw.replace(/[.,;:!?'")\]}>*]+$/, "");
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      return;
    }
    const host = url.hostname;
    if (/^[0-9.]+$/.test(host)) {
      if (!isPublicIpv4(host)) return;
      this.add(this.ips, host);
    } else {
      const name = publicHost(host);
      if (name === undefined) return;
      this.add(this.domains, name);
    }
    this.add(this.urls, text);
  }

  result(): NetworkIndicators & { truncated: boolean } {
    const sorted = (s: Set<string>) => [...s].sort();
    return { urls: sorted(this.urls), domains: sorted(this.domains), ips: sorted(this.ips), truncated: this.truncated };
  }
}

/** Bytes of a file searched at a time: memory for the search stays this, whatever the file's size. */
export const SEARCH_CHUNK = 1024 * 1024;
/**
 * Context read on both sides of a chunk: longer than any match (a URL is at most 2,010
 * characters, a host 253), so a match starting in a chunk is seen whole. A UTF-16 string
 * longer than this is searched in pieces.
 */
const SEARCH_OVERLAP = 64 * 1024;

/**
 * The URLs, domains and IPv4 addresses in the ASCII and UTF-16LE strings of `bytes`, by
 * the rules above; at most {@link MAX_INDICATORS_PER_FILE} of each (`truncated` says so).
 * The file is searched {@link SEARCH_CHUNK} bytes at a time.
 */
export function extractNetworkIndicators(bytes: Uint8Array): NetworkIndicators & { truncated: boolean } {
  const collector = new Collector();
  for (let start = 0; ; start += SEARCH_CHUNK) {
    const before = Math.max(0, start - SEARCH_OVERLAP);
    const after = Math.min(bytes.length, start + SEARCH_CHUNK + SEARCH_OVERLAP);
    const view = asciiView(bytes.subarray(before, after));
    const from = start - before;
    const to = Math.min(start + SEARCH_CHUNK, bytes.length) - before;
    collector.scan(view, from, to);
    for (const run of utf16Runs(view, from, to)) collector.scan(run);
    if (start + SEARCH_CHUNK >= bytes.length) break;
  }
  return collector.result();
}
