/**
 * Every finding id the intel layer emits, with what it means and what to do: the help text
 * of a SARIF rule and the entry of the docs' finding table. Ids are stable.
 */
export const INTEL_FINDINGS: ReadonlyMap<string, string> = new Map([
  [
    "intel.file-hash",
    "The file's hash is listed as malicious in the threat intelligence given with --intel. Do not ship or install it: find out how it entered the build, and compare with the previous release.",
  ],
  [
    "intel.url",
    "The file contains a URL listed as malicious in the threat intelligence. Find the code that uses it; a command-and-control address in a release means the build was compromised.",
  ],
  [
    "intel.domain",
    "The file contains a domain (or a subdomain of one) listed as malicious in the threat intelligence. Find the code that uses it before shipping.",
  ],
  [
    "intel.ip",
    "The file contains an IP address listed as malicious (or inside a listed CIDR block) in the threat intelligence. Find the code that uses it before shipping.",
  ],
]);
