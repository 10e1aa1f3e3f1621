/**
 * The audit of a Sparkle (or WinSparkle) appcast: an RSS feed whose items carry an
 * `enclosure` with the update's URL and, normally, an EdDSA signature of the archive
 * (`sparkle:edSignature`, or the legacy `sparkle:dsaSignature`). Sparkle 2.9 can also sign
 * the feed itself, in a trailing `<!-- sparkle-signatures: … -->` comment. The public keys
 * are in the app (SUPublicEDKey), not in the feed, so signatures are found, not verified.
 */
import { noExpiry, noIndependentBuilds, noRollbackProtection, noTransparencyLog, plainHttpFindings } from "./common.js";
import { FeedFormatError } from "./errors.js";
import { type AttackVerdict, type FeedAudit, type Finding, finding } from "./finding.js";
import { attribute, childElement, childElements, descendants, readXml, textOf, type XmlElement } from "./xml-reader.js";

/** The Sparkle XML namespace. */
export const SPARKLE_NS = "http://www.andymatuschak.org/xml-namespaces/sparkle";

/** The signed-feed block Sparkle appends to a signed appcast (its last bytes). */
const SIGNED_FEED = /<!-- sparkle-signatures:\nedSignature: ([A-Za-z0-9+/]+={0,2})\nlength: (\d+)\n-->\n?$/;

interface Enclosure {
  readonly item: string;
  readonly url: string;
  readonly ed: boolean;
  /** The EdDSA signature as written, when present. */
  readonly edValue?: string;
  readonly dsa: boolean;
  /** An installer package (`sparkle:installationType` package or interactive-package, or a .pkg): Sparkle cannot check its version. */
  readonly pkg: boolean;
  readonly line: number;
}

const PACKAGE_TYPES = new Set(["package", "interactive-package"]);

function enclosureOf(el: XmlElement, item: string, itemType: string | undefined): Enclosure {
  const url = attribute(el, "", "url") ?? "";
  const type = attribute(el, SPARKLE_NS, "installationType") ?? itemType;
  const edValue = attribute(el, SPARKLE_NS, "edSignature") ?? "";
  return {
    item,
    url,
    ed: edValue !== "",
    ...(edValue === "" ? {} : { edValue }),
    dsa: (attribute(el, SPARKLE_NS, "dsaSignature") ?? "") !== "",
    pkg: (type !== undefined && PACKAGE_TYPES.has(type)) || /\.m?pkg(?:$|[?#])/i.test(url),
    line: el.line,
  };
}

function versionOf(item: XmlElement): string {
  const el = childElement(item, SPARKLE_NS, "version") ?? childElement(item, SPARKLE_NS, "shortVersionString");
  const enc = childElement(item, "", "enclosure");
  return (el ? textOf(el) : undefined) ?? (enc ? attribute(enc, SPARKLE_NS, "version") : undefined) ?? "?";
}

/** One update an appcast offers, as Sparkle reads its `<enclosure>`. */
export interface AppcastEnclosure {
  /** `sparkle:version` of the item (or of the enclosure), the bundle version Sparkle compares; `?` when absent. */
  readonly version: string;
  /** `sparkle:shortVersionString`, the version shown to people, when present. */
  readonly shortVersion?: string;
  readonly url: string;
  /** The enclosure's `length` attribute, when it is a decimal number. */
  readonly length?: number;
  /** `sparkle:edSignature` as written (base64 of a 64-byte Ed25519 signature), when present. */
  readonly edSignature?: string;
  /** A delta update (inside `<sparkle:deltas>`), applied to an installed version. */
  readonly delta: boolean;
  /** The line of the `<enclosure>` in the appcast. */
  readonly line: number;
}

function appcastEnclosure(el: XmlElement, item: XmlElement, delta: boolean): AppcastEnclosure {
  const shortEl = childElement(item, SPARKLE_NS, "shortVersionString");
  const short = (shortEl ? textOf(shortEl) : undefined) ?? attribute(el, SPARKLE_NS, "shortVersionString");
  const versionEl = childElement(item, SPARKLE_NS, "version");
  const version = (versionEl ? textOf(versionEl) : undefined) ?? attribute(el, SPARKLE_NS, "version") ?? short ?? "?";
  const length = attribute(el, "", "length");
  const ed = attribute(el, SPARKLE_NS, "edSignature");
  return {
    version: version.trim(),
    ...(short === undefined ? {} : { shortVersion: short.trim() }),
    url: attribute(el, "", "url") ?? "",
    ...(length !== undefined && /^\d{1,15}$/.test(length.trim()) ? { length: Number(length.trim()) } : {}),
    ...(ed === undefined || ed.trim() === "" ? {} : { edSignature: ed.trim() }),
    delta,
    line: el.line,
  };
}

/**
 * The enclosures of a Sparkle appcast, full updates and deltas, in document order.
 * @throws {FeedFormatError} when it is not well-formed XML, declares a DTD or entities, or is not RSS.
 */
export function readAppcast(bytes: Uint8Array): AppcastEnclosure[] {
  const doc = readXml(bytes);
  if (doc.root.local !== "rss")
    throw new FeedFormatError("AUDIT_BAD_XML", `XML: the root element is <${doc.root.name}>, not <rss>`);
  const channel = childElement(doc.root, "", "channel");
  const out: AppcastEnclosure[] = [];
  for (const item of channel ? childElements(channel, "", "item") : []) {
    for (const e of childElements(item, "", "enclosure")) out.push(appcastEnclosure(e, item, false));
    const deltas = childElement(item, SPARKLE_NS, "deltas");
    for (const e of deltas ? childElements(deltas, "", "enclosure") : []) out.push(appcastEnclosure(e, item, true));
  }
  return out;
}

/**
 * Audits a Sparkle appcast.
 * @throws {FeedFormatError} when it is not well-formed XML, declares a DTD or entities, or is not RSS.
 */
export function auditSparkle(bytes: Uint8Array, location: string): FeedAudit {
  const doc = readXml(bytes);
  if (doc.root.local !== "rss")
    throw new FeedFormatError("AUDIT_BAD_XML", `XML: the root element is <${doc.root.name}>, not <rss>`);
  const channel = childElement(doc.root, "", "channel");
  const items = channel ? childElements(channel, "", "item") : [];
  const enclosures: Enclosure[] = [];
  const links: Array<{ url: string; where: string }> = [];
  const findings: Finding[] = [];
  const facts: Array<[string, string]> = [["items", String(items.length)]];
  for (const item of items) {
    const v = versionOf(item);
    const typeEl = childElement(item, SPARKLE_NS, "installationType");
    const itemType = typeEl ? textOf(typeEl) : undefined;
    for (const e of childElements(item, "", "enclosure")) enclosures.push(enclosureOf(e, v, itemType));
    const deltas = childElement(item, SPARKLE_NS, "deltas");
    for (const e of deltas ? childElements(deltas, "", "enclosure") : [])
      enclosures.push(enclosureOf(e, `${v} (delta)`, itemType));
    for (const name of ["releaseNotesLink", "fullReleaseNotesLink"]) {
      const el = childElement(item, SPARKLE_NS, name);
      if (el) links.push({ url: textOf(el), where: `item ${v}, line ${el.line}: <${el.name}>` });
    }
    itemFindings(item, v, findings);
  }
  if (items.length === 0) {
    findings.push(
      finding(
        "sparkle.no-items",
        "medium",
        "the appcast lists no update",
        "<channel> has no <item>",
        "Is this the appcast the app reads?",
      ),
    );
  }
  const unsigned = enclosures.filter((e) => !e.ed && !e.dsa);
  const dsaOnly = enclosures.filter((e) => !e.ed && e.dsa);
  for (const e of unsigned.slice(0, 5)) {
    findings.push(
      finding(
        "sparkle.unsigned-enclosure",
        "high",
        `update ${e.item} has no EdDSA signature: only Apple code signing stands between the server and the user`,
        `line ${e.line}: <enclosure url="${e.url}"> without sparkle:edSignature`,
        "Why is this archive not signed with the app's EdDSA key (sign_update / generate_appcast)?",
        e.url,
      ),
    );
  }
  for (const e of dsaOnly.slice(0, 5)) {
    findings.push(
      finding(
        "sparkle.dsa-only",
        "medium",
        `update ${e.item} has only a legacy DSA signature (deprecated by Sparkle)`,
        `line ${e.line}: <enclosure url="${e.url}"> sparkle:dsaSignature, no sparkle:edSignature`,
        "When does the app move to EdDSA (ed25519) signatures?",
        e.url,
      ),
    );
  }
  // An Ed25519 signature is 64 bytes: 88 base64 characters. Anything else is refused by Sparkle.
  const malformed = enclosures.filter(
    (e) => e.edValue !== undefined && !/^[A-Za-z0-9+/]{86}==$/.test(e.edValue.trim()),
  );
  for (const e of malformed.slice(0, 5)) {
    findings.push(
      finding(
        "sparkle.bad-signature",
        "medium",
        `update ${e.item}: sparkle:edSignature is not a 64-byte Ed25519 signature in base64, so Sparkle refuses the update`,
        `line ${e.line}: sparkle:edSignature="${(e.edValue ?? "").slice(0, 24)}${(e.edValue ?? "").length > 24 ? "…" : ""}"`,
        "Was the appcast written by hand, or edited after sign_update / generate_appcast?",
        e.url,
      ),
    );
  }
  const text = Buffer.from(bytes).toString("utf8");
  const signed = SIGNED_FEED.exec(text);
  findings.push(...feedSignatureFindings(signed, text, bytes.length));
  findings.push(noExpiry("appcast"));
  const urls = [
    { url: location, where: `the appcast itself: ${location}` },
    ...enclosures.map((e) => ({ url: e.url, where: `line ${e.line}: <enclosure url="${e.url}">` })),
  ];
  findings.push(...plainHttpFindings(urls, unsigned.length > 0 ? "high" : "medium", "see and change what clients get"));
  findings.push(...plainHttpFindings(links, "medium", "change the release notes shown in the update window"));
  const packages = enclosures.filter((e) => e.pkg);
  const firstPackage = packages[0];
  if (firstPackage !== undefined && signed === null) {
    findings.push(
      noRollbackProtection(
        "Sparkle checks an app bundle's version against the installed one before installing it, but cannot look inside an installer package, and the appcast that labels the package's version is not signed: an older signed package can be served as the newest",
        `line ${firstPackage.line}: <enclosure url="${firstPackage.url}"> is an installer package (${packages.length} of ${enclosures.length})`,
        "Can the vendor sign the appcast (Sparkle 2.9 signed feeds) and set SURequireSignedFeed, or ship app bundles instead of packages?",
      ),
    );
  }
  findings.push(noTransparencyLog("appcast"));
  const attacks = sparkleAttacks(signed !== null, unsigned.length, enclosures.length, packages.length);
  findings.push(
    noIndependentBuilds(
      `appcast: nothing records who built ${enclosures[0]?.url ?? "the archives"}`,
      "the vendor's EdDSA key",
      attacks[0]?.verdict ?? "unknown",
    ),
  );
  const platforms = new Set(
    enclosures.length === 0
      ? []
      : items.flatMap((i) => childElements(i, "", "enclosure").map((e) => attribute(e, SPARKLE_NS, "os") ?? "macos")),
  );
  facts.push(
    ["platform", [...platforms].join(", ") || "macos"],
    ["newest", items[0] ? versionOf(items[0]) : "(none)"],
    [
      "archive signatures",
      `${enclosures.filter((e) => e.ed).length} EdDSA, ${dsaOnly.length} DSA only, ${unsigned.length} none (of ${enclosures.length})`,
    ],
    ["feed signature", signed ? "Sparkle signed feed (not verified: the key is in the app)" : "none"],
  );
  if (packages.length > 0) facts.push(["installer packages", `${packages.length} of ${enclosures.length}`]);
  return { type: "sparkle", facts, findings, attacks };
}

function itemFindings(item: XmlElement, v: string, findings: Finding[]): void {
  const phased = childElement(item, SPARKLE_NS, "phasedRolloutInterval");
  if (phased) {
    findings.push(
      finding(
        "sparkle.phased-rollout",
        "info",
        `update ${v} rolls out in phased groups, one every ${textOf(phased)} seconds`,
        `line ${phased.line}: <${phased.name}>${textOf(phased)}</${phased.name}>`,
        "",
        v,
      ),
    );
  }
  const critical =
    childElement(item, SPARKLE_NS, "criticalUpdate") ??
    descendants(item).find(
      (e) => e.ns === SPARKLE_NS && e.local === "tags" && descendants(e).some((t) => t.local === "criticalUpdate"),
    );
  if (critical) {
    findings.push(
      finding(
        "sparkle.critical-update",
        "info",
        `update ${v} is marked critical: users cannot skip it`,
        `line ${critical.line}: <${critical.name}>`,
        "",
        v,
      ),
    );
  }
  for (const name of ["minimumAutoupdateVersion", "ignoreSkippedUpgradesBelowVersion", "minimumUpdateVersion"]) {
    const el = childElement(item, SPARKLE_NS, name);
    if (el) {
      findings.push(
        finding(
          "sparkle.version-gate",
          "info",
          `update ${v} sets ${name} ${textOf(el)}: which installed versions get it automatically`,
          `line ${el.line}: <${el.name}>${textOf(el)}</${el.name}>`,
          "",
          v,
        ),
      );
    }
  }
}

function feedSignatureFindings(signed: RegExpExecArray | null, text: string, total: number): Finding[] {
  if (signed === null) {
    return [
      finding(
        "sparkle.feed-unsigned",
        "high",
        "the appcast itself is not signed: the server chooses, per client, which of the vendor's signed builds is offered as the newest, can mark updates critical, or drop them",
        "no <!-- sparkle-signatures: --> block at the end of the appcast",
        "Can the vendor sign the appcast (Sparkle 2.9 signed feeds) and set SURequireSignedFeed in the app?",
      ),
    ];
  }
  const declared = Number(signed[2]);
  const actual = Buffer.byteLength(text.slice(0, signed.index), "utf8");
  const out = [
    finding(
      "sparkle.feed-signed",
      "info",
      "the appcast is signed (Sparkle signed feed); whether the app requires it (SURequireSignedFeed) cannot be seen here",
      `<!-- sparkle-signatures: edSignature ${signed[1]?.slice(0, 12)}…, length ${declared} -->`,
      "Does the app set SURequireSignedFeed, so that an unsigned appcast is refused?",
    ),
  ];
  if (declared !== actual || actual > total) {
    out.push(
      finding(
        "sparkle.feed-signature-length",
        "medium",
        `the feed signature covers ${declared} bytes but ${actual} precede it: clients refuse the feed`,
        `length: ${declared}`,
        "Was the appcast edited after it was signed?",
      ),
    );
  }
  return out;
}

function sparkleAttacks(feedSigned: boolean, unsigned: number, total: number, packages: number): AttackVerdict[] {
  const rollback: AttackVerdict =
    packages === 0
      ? {
          attack: "rollback",
          verdict: "prevented",
          detail:
            "Sparkle installs an app bundle only if its own version is newer than the installed one, whatever the appcast says",
        }
      : feedSigned
        ? {
            attack: "rollback",
            verdict: "limited",
            detail:
              "installer packages' versions are only the appcast's word; the appcast is signed, which holds if the app requires signed feeds (SURequireSignedFeed)",
          }
        : {
            attack: "rollback",
            verdict: "possible",
            detail:
              "Sparkle cannot check an installer package's version, and the unsigned appcast can label an older signed package as the newest",
          };
  return [
    unsigned > 0 || total === 0
      ? {
          attack: "arbitrary-install",
          verdict: "limited",
          detail:
            "archives without EdDSA signatures are checked only against Apple code signing (the vendor's Developer ID)",
        }
      : {
          attack: "arbitrary-install",
          verdict: "prevented",
          detail: "every archive needs the vendor's EdDSA signature",
        },
    rollback,
    { attack: "freeze", verdict: "possible", detail: "appcasts never expire: an old one can be served forever" },
    feedSigned
      ? { attack: "mix-and-match", verdict: "prevented", detail: "the whole appcast is signed as one" }
      : {
          attack: "mix-and-match",
          verdict: "possible",
          detail: "items, versions and signatures can be recombined freely",
        },
    feedSigned
      ? { attack: "endless-data", verdict: "limited", detail: "the length attribute is signed with the feed" }
      : { attack: "endless-data", verdict: "possible", detail: "the length attribute is the server's word" },
    {
      attack: "targeted-release",
      verdict: "possible",
      detail: "the server can answer each client differently; nothing makes releases public",
    },
    {
      attack: "build-machine",
      verdict: "possible",
      detail: "a trojan built on the vendor's machine and signed with its EdDSA key installs like any release",
    },
  ];
}
