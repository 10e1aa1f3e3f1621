/**
 * Findings every feed type can have, under one ID each so that audits of different vendors
 * (and `--compare`) line up.
 */
import { type Finding, finding, type Severity, type Verdict } from "./finding.js";

/**
 * How much the 3CX case adds for this feed's attacker, from the verdict on arbitrary install
 * by the server alone: where the feed's signatures stop the server (`prevented`), the build
 * machine is the cheapest way left (high); where a code-signature check the build machine
 * can also satisfy is all that stands (`limited`, `unknown`), medium; where the server
 * alone already installs anything (`possible`), it adds little (low).
 */
export function buildMachineSeverity(serverInstall: Verdict): Severity {
  return serverInstall === "prevented" ? "high" : serverInstall === "possible" ? "low" : "medium";
}

/**
 * The 3CX finding: one build machine (and the one key it can use) is enough to ship a
 * trojan; its severity is {@link buildMachineSeverity} of the feed's arbitrary-install verdict.
 */
export function noIndependentBuilds(evidence: string, whatSigns: string, serverInstall: Verdict): Finding {
  const severity = buildMachineSeverity(serverInstall);
  const already = severity === "low" ? "; here the server alone can already install anything, so this adds little" : "";
  return finding(
    "build.no-independent-builders",
    severity,
    `nothing requires independent builders to agree: a trojan built on the vendor's compromised build machine and signed with ${whatSigns} installs everywhere (the 3CX case)${already}`,
    evidence,
    "Do independent builders (a second CI, a rebuilder) reproduce each release, and do clients require k of them to attest the same digest before installing?",
  );
}

/** The host of a URL, lower-cased, IPv6 brackets dropped; undefined for anything else. */
function hostOf(url: string): string | undefined {
  try {
    return new URL(url).hostname.toLowerCase().replace(/^\[(.*)\]$/, "$1");
  } catch {
    return undefined;
  }
}

/**
 * True for a URL on the loopback address of this machine (127.0.0.0/8, ::1, localhost):
 * a local test's server, not the vendor's.
 */
export function isLoopback(url: string): boolean {
  const host = hostOf(url);
  if (host === undefined) return false;
  return (
    host === "localhost" ||
    host.endsWith(".localhost") ||
    host === "::1" ||
    /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host) ||
    /^::ffff:7f[0-9a-f]{2}:[0-9a-f]{1,4}$/.test(host)
  );
}

/**
 * The URLs in a feed that are plain http, as findings (one per URL, at most `max`). A
 * loopback URL (a local test) is not held against the vendor: one info note says so.
 */
export function plainHttpFindings(
  urls: ReadonlyArray<{ url: string; where: string }>,
  severity: "critical" | "high" | "medium" | "info",
  consequence: string,
  max = 5,
): Finding[] {
  const plain = urls.filter((u) => /^http:\/\//i.test(u.url));
  const local = plain.filter((u) => isLoopback(u.url));
  const remote = plain.filter((u) => !isLoopback(u.url));
  const out = remote
    .slice(0, max)
    .map((u) =>
      finding(
        "transport.plain-http",
        severity,
        `${u.url} is fetched over plain HTTP (no TLS): anyone on the network path (not only the server) can ${consequence}`,
        u.where,
        "Why is this not served over https?",
        u.url,
      ),
    );
  const first = local[0];
  if (first !== undefined) out.push(loopbackNote(first.url, first.where));
  return out;
}

/** How the feed itself was read, for the facts: https, plain HTTP (loopback or not), or a local file. */
export function transportOf(location: string): string {
  if (/^https:\/\//i.test(location)) return "https";
  if (!/^http:\/\//i.test(location)) return "local file";
  return isLoopback(location) ? "plain HTTP on loopback (a local test)" : "plain HTTP (no TLS)";
}

/** The note for a feed read from this machine's loopback address: plain HTTP, but a local test's. */
export function loopbackNote(url: string, where: string): Finding {
  return finding(
    "transport.loopback",
    "info",
    `${url} is plain HTTP on this machine's loopback address (a local test server): not a finding against the vendor; audit the URL the app really uses`,
    where,
    "",
    hostOf(url),
  );
}

/** Feeds without an expiry date: an old copy can be replayed forever (freeze attack). */
export function noExpiry(format: string): Finding {
  return finding(
    "feed.no-expiry",
    "medium",
    "the feed never expires: an attacker who controls the server can replay an old copy and keep clients on an old version (freeze), and nobody notices",
    `no expiry date in the ${format} format`,
    "How would the vendor, or its users, notice that updates stopped arriving?",
  );
}

/** Feeds whose versions are the server's word: nothing stops an older release being served as the newest. */
export function noRollbackProtection(detail: string, evidence: string, ask: string): Finding {
  return finding(
    "feed.no-rollback-protection",
    "medium",
    `nothing protects version monotonicity: ${detail}`,
    evidence,
    ask,
  );
}

/** Feeds that are not logged anywhere: a release can be shown to chosen victims only. */
export function noTransparencyLog(format: string): Finding {
  return finding(
    "release.no-transparency-log",
    "low",
    "releases are not recorded in any transparency log: whoever controls the server can serve a release to chosen clients only, and nobody else ever sees it",
    `${format}: no transparency-log proof or reference in the feed`,
    "Is every release recorded in a public, append-only log that clients check (and that the vendor monitors)?",
  );
}

/**
 * Downloads from hosts other than the feed's (when the feed came from a URL), or, for a
 * local feed, from several hosts: one more party in the path. The feed carries each file's
 * digest, so such a host can withhold a file but not change it; an info note.
 */
export function otherHostFindings(
  location: string,
  urls: ReadonlyArray<{ url: string; where: string }>,
  max = 3,
): Finding[] {
  const feedHost = /^https?:\/\//i.test(location) ? hostOf(location) : undefined;
  const byHost = new Map<string, { url: string; where: string }>();
  for (const u of urls) {
    const host = /^https?:\/\//i.test(u.url) && !isLoopback(u.url) ? hostOf(u.url) : undefined;
    if (host !== undefined && !byHost.has(host)) byHost.set(host, u);
  }
  const hosts = [...byHost];
  const others = feedHost !== undefined ? hosts.filter(([host]) => host !== feedHost) : hosts.slice(1);
  const from = feedHost ?? hosts[0]?.[0];
  return others
    .slice(0, max)
    .map(([host, u]) =>
      finding(
        "feed.other-host",
        "info",
        `files are downloaded from ${host}, not only from ${from}: the feed's digest still decides what is installed, but that host can see and withhold downloads`,
        u.where,
        "",
        host,
      ),
    );
}
