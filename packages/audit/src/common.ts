/**
 * Findings every feed type can have, under one ID each so that audits of different vendors
 * (and `--compare`) line up.
 */
import { type Finding, finding } from "./finding.js";

/** The 3CX finding: one build machine (and the one key it can use) is enough to ship a trojan. */
export function noIndependentBuilds(evidence: string, whatSigns: string): Finding {
  return finding(
    "build.no-independent-builders",
    "high",
    `nothing requires independent builders to agree: a trojan built on the vendor's compromised build machine and signed with ${whatSigns} installs everywhere (the 3CX case)`,
    evidence,
    "Do independent builders (a second CI, a rebuilder) reproduce each release, and do clients require k of them to attest the same digest before installing?",
  );
}

/** The URLs in a feed that are plain http, as findings (one per URL, at most `max`). */
export function plainHttpFindings(
  urls: ReadonlyArray<{ url: string; where: string }>,
  severity: "critical" | "high" | "medium",
  consequence: string,
  max = 5,
): Finding[] {
  const plain = urls.filter((u) => /^http:\/\//i.test(u.url));
  return plain
    .slice(0, max)
    .map((u) =>
      finding(
        "transport.plain-http",
        severity,
        `${u.url} is plain http: anyone on the network path (not only the server) can ${consequence}`,
        u.where,
        "Why is this not served over https?",
        u.url,
      ),
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
