/**
 * Matching a file's hashes and the network indicators found in it against loaded intel.
 * A domain indicator matches the domain and its subdomains; a URL indicator matches the
 * same URL in normal form (and its host is checked as a domain or IP); an IP indicator
 * may be a CIDR block.
 */
import { BlockList, isIP } from "node:net";
import type { Finding } from "../finding.js";
import type { Indicator, IndicatorSource } from "./indicator.js";
import { normalizeDomain, normalizeIp, normalizeUrl, urlHost } from "./indicator.js";

/** The hashes of one file, lowercase hex. */
export interface FileHashes {
  readonly sha256: string;
  readonly sha1?: string;
  readonly md5?: string;
}

/** Network indicators found in one file (by the scan's string extraction). */
export interface NetworkIndicators {
  readonly urls: readonly string[];
  readonly domains: readonly string[];
  readonly ips: readonly string[];
}

/** How many sources one finding's evidence lists at most. */
export const MAX_EVIDENCE_SOURCES = 10;

/** An index over indicators, built once, looked up per file. */
export class IndicatorIndex {
  private readonly hashes = {
    sha256: new Map<string, IndicatorSource[]>(),
    sha1: new Map<string, IndicatorSource[]>(),
    md5: new Map<string, IndicatorSource[]>(),
  };
  private readonly domains = new Map<string, IndicatorSource[]>();
  private readonly urls = new Map<string, IndicatorSource[]>();
  private readonly ips = new Map<string, IndicatorSource[]>();
  private readonly blocks: { readonly cidr: string; readonly list: BlockList }[] = [];
  /** Extra algorithms some indicator needs. */
  readonly algorithms = new Set<"sha1" | "md5">();

  add(indicator: Indicator): void {
    const { kind, value, source } = indicator;
    let map: Map<string, IndicatorSource[]>;
    switch (kind) {
      case "sha256":
      case "sha1":
      case "md5":
        if (kind !== "sha256") this.algorithms.add(kind);
        map = this.hashes[kind];
        break;
      case "domain":
        map = this.domains;
        break;
      case "url":
        map = this.urls;
        break;
      case "ip":
        map = this.ips;
        if (value.includes("/") && !map.has(value)) {
          const [address, prefix] = value.split("/") as [string, string];
          const list = new BlockList();
          list.addSubnet(address, Number(prefix), isIP(address) === 6 ? "ipv6" : "ipv4");
          this.blocks.push({ cidr: value, list });
        }
        break;
    }
    const sources = map.get(value);
    if (sources === undefined) map.set(value, [source]);
    else if (sources.length < MAX_EVIDENCE_SOURCES) sources.push(source);
  }

  matchFile(file: string, hashes: FileHashes): Finding[] {
    const out: Finding[] = [];
    for (const algorithm of ["sha256", "sha1", "md5"] as const) {
      const digest = hashes[algorithm]?.toLowerCase();
      if (digest === undefined) continue;
      const sources = this.hashes[algorithm].get(digest);
      if (sources === undefined) continue;
      out.push({
        id: "intel.file-hash",
        severity: "critical",
        layer: "intel",
        file,
        why: `the file's ${label(algorithm)} is a known-malicious file in threat intelligence (${describe(sources)})`,
        evidence: { indicator: `${algorithm}:${digest}`, algorithm, ...sourceEvidence(sources) },
      });
    }
    return out;
  }

  matchNetwork(file: string, found: NetworkIndicators): Finding[] {
    const out = new Map<string, Finding>();
    const add = (id: string, what: string, indicator: string, observed: string, sources: IndicatorSource[]): void => {
      const key = `${id}\0${indicator}`;
      if (out.has(key)) return;
      out.set(key, {
        id,
        severity: "high",
        layer: "intel",
        file,
        why: `the file contains ${what} listed as malicious in threat intelligence (${describe(sources)})`,
        evidence: { indicator, observed, ...sourceEvidence(sources) },
      });
    };
    const checkDomain = (domain: string, observed: string): void => {
      // The domain itself, then each parent: an indicator for evil.example covers cdn.evil.example.
      const labels = domain.split(".");
      for (let i = 0; i < labels.length - 1; i++) {
        const candidate = labels.slice(i).join(".");
        const sources = this.domains.get(candidate);
        if (sources !== undefined) add("intel.domain", `the domain ${domain}`, candidate, observed, sources);
      }
    };
    const checkIp = (ip: string, observed: string): void => {
      const exact = this.ips.get(ip);
      if (exact !== undefined) add("intel.ip", `the IP address ${ip}`, ip, observed, exact);
      const family = isIP(ip) === 6 ? "ipv6" : "ipv4";
      for (const block of this.blocks) {
        if (!block.list.check(ip, family)) continue;
        add("intel.ip", `the IP address ${ip}`, block.cidr, observed, this.ips.get(block.cidr) ?? []);
      }
    };
    for (const raw of found.urls) {
      const url = normalizeUrl(raw);
      if (url === undefined) continue;
      const sources = this.urls.get(url);
      if (sources !== undefined) add("intel.url", `the URL ${url}`, url, raw, sources);
      const host = urlHost(url);
      if (isIP(host) !== 0) checkIp(normalizeIp(host) ?? host, raw);
      else checkDomain(host, raw);
    }
    for (const raw of found.domains) {
      const domain = normalizeDomain(raw);
      if (domain !== undefined) checkDomain(domain, raw);
    }
    for (const raw of found.ips) {
      const ip = normalizeIp(raw);
      if (ip !== undefined && !ip.includes("/")) checkIp(ip, raw);
    }
    return [...out.values()];
  }
}

function label(algorithm: "sha256" | "sha1" | "md5"): string {
  return { sha256: "SHA-256", sha1: "SHA-1", md5: "MD5" }[algorithm];
}

function describe(sources: readonly IndicatorSource[]): string {
  const first = sources[0];
  if (first === undefined) return "intel";
  const what = first.name ?? first.context ?? first.id;
  const more = sources.length > 1 ? ` and ${sources.length - 1} more` : "";
  return `${first.file}${what === undefined ? "" : `: ${what}`}${more}`;
}

function sourceEvidence(sources: readonly IndicatorSource[]): Record<string, readonly string[]> {
  const pick = (f: (s: IndicatorSource) => string | undefined): string[] => [
    ...new Set(sources.map(f).filter((v): v is string => v !== undefined)),
  ];
  const evidence: Record<string, readonly string[]> = {
    sources: pick((s) => s.file),
    sourceKinds: pick((s) => s.kind),
  };
  const ids = pick((s) => s.id);
  const names = pick((s) => s.name);
  const context = pick((s) => s.context);
  if (ids.length > 0) evidence.indicatorIds = ids;
  if (names.length > 0) evidence.names = names;
  if (context.length > 0) evidence.context = context;
  return evidence;
}
