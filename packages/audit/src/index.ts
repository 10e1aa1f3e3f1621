/**
 * @bulwark/audit — audits a third-party update feed without installing anything: TUF and
 * Bulwark repositories, electron-updater, Sparkle and Squirrel.Windows feeds. Each audit
 * gives findings (severity, the exact evidence, what to ask the vendor), a grade from A to
 * F, and what an attacker who controls the update server could do. A library: it never
 * prints; {@link reportText} and {@link reportMarkdown} give the human forms as strings.
 */
export { AUDIT_TOOL_VERSION, type AuditOptions, auditFeed } from "./audit.js";
export { type AuditComparison, COMPARE_SCHEMA, compareReports, comparisonText } from "./compare.js";
export { type DetectedKind, detectFeed } from "./detect.js";
export { type ElectronFeed, type FeedFile, readElectronFeed } from "./electron.js";
export {
  AuditInputError,
  FEED_ERRORS,
  FETCH_ERRORS,
  FeedFetchError,
  FeedFormatError,
  INPUT_ERRORS,
} from "./errors.js";
export { FETCH_LIMITS, type FetchLimits } from "./fetch-feed.js";
export {
  ATTACKS,
  type Attack,
  type AttackVerdict,
  AUDIT_SCHEMA,
  type FeedType,
  type Finding,
  SEVERITIES,
  type Severity,
  type Verdict,
} from "./finding.js";
export { parseReleases, RELEASES_LIMITS, type ReleasesEntry, type ReleasesFile } from "./releases-file.js";
export { painter, reportMarkdown, reportText, type TextStyle, textTable } from "./render.js";
export { type AuditReport, parseReport, type ReportSource } from "./report.js";
export { GRADES, type Grade, grade, worse } from "./rubric.js";
export { type AppcastEnclosure, readAppcast, SPARKLE_NS } from "./sparkle.js";
export { parseFeedYaml, YAML_LIMITS, type YamlLimits, type YamlMap, type YamlValue } from "./yaml-feed.js";
