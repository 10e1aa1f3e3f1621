/**
 * The part of a STIX pattern the scan matches on: a disjunction of equality (or `IN`)
 * comparisons on a file hash, a domain name, a URL or an IP address. Anything else (AND
 * of conditions, FOLLOWEDBY, negations, LIKE/MATCHES, other object types) cannot be decided
 * from a file's bytes and is counted as unsupported rather than guessed at.
 */
import type { IndicatorKind } from "./indicator.js";
import { hashKindOf, normalizeDomain, normalizeIp, normalizeUrl } from "./indicator.js";
import type { ComparisonExpression, ObjectPath, ObservationExpression, StixLiteral } from "./stix-pattern.js";

/** An indicator value taken from a pattern (normalised). */
export interface PatternIndicator {
  readonly kind: IndicatorKind;
  readonly value: string;
}

/**
 * The indicators a pattern matches on. OR branches the scan cannot decide are dropped
 * (matching any one branch already matches the pattern); an empty result means the
 * pattern is outside the subset. Qualifiers are ignored: a static scan has no time window.
 */
export function equalityIndicators(pattern: ObservationExpression): PatternIndicator[] {
  const out = new Map<string, PatternIndicator>();
  for (const i of fromObservation(pattern)) out.set(`${i.kind}\0${i.value}`, i);
  return [...out.values()];
}

function fromObservation(e: ObservationExpression): PatternIndicator[] {
  switch (e.kind) {
    case "observation":
      return fromComparison(e.comparison);
    case "or":
      return e.operands.flatMap(fromObservation);
    default:
      // AND / FOLLOWEDBY need several observations together: not decidable per file.
      return [];
  }
}

function fromComparison(e: ComparisonExpression): PatternIndicator[] {
  switch (e.kind) {
    case "or":
      return e.operands.flatMap(fromComparison);
    case "comparison": {
      if (e.negated) return [];
      const kind = pathKind(e.path);
      if (kind === undefined) return [];
      const literals: readonly StixLiteral[] =
        e.operator === "=" ? [e.value] : e.operator === "IN" && e.value.type === "set" ? e.value.values : [];
      return literals.flatMap((l) => {
        const value = l.type === "string" ? normalize(kind, l.value) : undefined;
        return value === undefined ? [] : [{ kind, value }];
      });
    }
    default:
      return [];
  }
}

function normalize(kind: IndicatorKind, raw: string): string | undefined {
  switch (kind) {
    case "sha256":
    case "sha1":
    case "md5":
      return hashKindOf(raw) === kind ? raw.toLowerCase() : undefined;
    case "domain":
      return normalizeDomain(raw);
    case "url":
      return normalizeUrl(raw);
    case "ip":
      return normalizeIp(raw);
  }
}

const HASH_NAMES: ReadonlyMap<string, "sha256" | "sha1" | "md5"> = new Map([
  ["sha256", "sha256"],
  ["sha1", "sha1"],
  ["md5", "md5"],
]);

/** The indicator kind a path compares, for the supported paths only. */
function pathKind(path: ObjectPath): IndicatorKind | undefined {
  const [first, second, third] = path.steps;
  const name = first !== undefined && "property" in first ? first.property : undefined;
  if (path.steps.length === 1) {
    if (name !== "value") return undefined;
    switch (path.objectType) {
      case "domain-name":
        return "domain";
      case "url":
        return "url";
      case "ipv4-addr":
      case "ipv6-addr":
        return "ip";
      default:
        return undefined;
    }
  }
  if (path.objectType === "file" && name === "hashes" && path.steps.length === 2 && third === undefined) {
    // Hash names in the STIX hash-algorithm vocabulary: 'SHA-256', 'SHA-1', 'MD5' (case and hyphens vary in the wild).
    const algorithm = second !== undefined && "property" in second ? second.property : "";
    return HASH_NAMES.get(algorithm.toLowerCase().replaceAll("-", ""));
  }
  return undefined;
}
