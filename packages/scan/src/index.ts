/**
 * @bulwark/scan: layered scanning of a release before it is published or installed.
 * See docs/scan.md.
 */
export { ScanFormatError, ScanLimitError } from "./errors.js";
export {
  compareSeverity,
  type Evidence,
  type Finding,
  type Layer,
  SCAN_SCHEMA,
  type ScanVerdict,
  SEVERITIES,
  type Severity,
} from "./finding.js";
