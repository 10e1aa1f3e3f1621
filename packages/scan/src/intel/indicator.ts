/**
 * One indicator of compromise, whatever feed it came from, in a normal form: hashes as
 * lowercase hex, domains lowercase without a trailing dot, URLs as WHATWG serialises them
 * (without the fragment), IP addresses as Node prints them (and CIDR blocks as such).
 */
import { isIP } from "node:net";

/** The kinds of intel file {@link loadIntel} reads. */
export type IntelKind = "hash-list" | "stix" | "misp" | "osv";

/** What an indicator is about. */
export type IndicatorKind = "sha256" | "sha1" | "md5" | "domain" | "url" | "ip";

/** Where an indicator came from, for the finding's evidence. */
export interface IndicatorSource {
  /** The intel file, relative to the intel directory. */
  readonly file: string;
  readonly kind: IntelKind;
  /** STIX object id, MISP attribute uuid, line number of a hash list... */
  readonly id?: string | undefined;
  /** STIX indicator name, a hash list's label or malware-family column. */
  readonly name?: string | undefined;
  /** MISP event info, STIX indicator description... */
  readonly context?: string | undefined;
}

/** An indicator in normal form. */
export interface Indicator {
  readonly kind: IndicatorKind;
  /** Normalised; for `ip`, an address or a CIDR block `addr/prefix`. */
  readonly value: string;
  readonly source: IndicatorSource;
}

const HEX = /^[0-9a-f]+$/;

/** The hash algorithm a hex digest's length says it is (MD5 32, SHA-1 40, SHA-256 64 digits). */
export function hashKindOf(hex: string): "sha256" | "sha1" | "md5" | undefined {
  const lower = hex.toLowerCase();
  if (!HEX.test(lower)) return undefined;
  switch (lower.length) {
    case 64:
      return "sha256";
    case 40:
      return "sha1";
    case 32:
      return "md5";
    default:
      return undefined;
  }
}

const LABEL = /^(?!-)[a-z0-9_-]{1,63}(?<!-)$/;

/** A domain name in normal form, or undefined when `s` is not a host name. */
export function normalizeDomain(s: string): string | undefined {
  let d = s.trim().toLowerCase();
  if (d.endsWith(".")) d = d.slice(0, -1);
  if (d.length === 0 || d.length > 253) return undefined;
  // Internationalised names compare in their ASCII (punycode) form, as URLs carry them.
  if ([...d].some((ch) => (ch.codePointAt(0) as number) > 0x7f)) {
    try {
      d = new URL(`http://${d}/`).hostname;
    } catch {
      return undefined;
    }
  }
  const labels = d.split(".");
  if (labels.length < 2 || !labels.every((l) => LABEL.test(l))) return undefined;
  return d;
}

/** A URL in normal form (fragment dropped), or undefined when `s` is not an absolute URL with a host. */
export function normalizeUrl(s: string): string | undefined {
  let url: URL;
  try {
    url = new URL(s.trim());
  } catch {
    return undefined;
  }
  if (url.hostname === "") return undefined;
  url.hash = "";
  return url.href;
}

/** The host of a URL in normal form (a domain or an IP address without brackets). */
export function urlHost(normalizedUrl: string): string {
  const host = new URL(normalizedUrl).hostname;
  return host.startsWith("[") ? host.slice(1, -1) : host;
}

/** An IP address (or CIDR block) in normal form, or undefined. */
export function normalizeIp(s: string): string | undefined {
  const t = s.trim();
  const slash = t.indexOf("/");
  const address = slash === -1 ? t : t.slice(0, slash);
  const family = isIP(address);
  if (family === 0) return undefined;
  const canonical = family === 6 ? canonicalIpv6(address) : address;
  if (slash === -1) return canonical;
  const prefixText = t.slice(slash + 1);
  if (!/^\d{1,3}$/.test(prefixText)) return undefined;
  const prefix = Number(prefixText);
  if (prefix > (family === 4 ? 32 : 128)) return undefined;
  if (prefix === (family === 4 ? 32 : 128)) return canonical;
  return `${canonical}/${prefix}`;
}

function canonicalIpv6(address: string): string {
  // WHATWG URL parsing prints IPv6 in its RFC 5952 form.
  return new URL(`http://[${address}]/`).hostname.slice(1, -1);
}
