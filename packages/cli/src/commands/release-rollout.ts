import { rolloutRelease } from "@bulwark/publisher";
import { defineCommand } from "../command.js";
import { CliError } from "../errors.js";
import { EXIT } from "../exit-codes.js";
import { publisherOptions } from "../publisher-options.js";

/** Parses `NAME@VERSION`. */
export function parseReleaseRef(ref: string): { name: string; version: string } {
  const at = ref.lastIndexOf("@");
  if (at <= 0 || at === ref.length - 1) {
    throw new CliError("BAD_RELEASE", `${JSON.stringify(ref)} is not NAME@VERSION`, EXIT.USAGE);
  }
  return { name: ref.slice(0, at), version: ref.slice(at + 1) };
}

export default defineCommand({
  name: "release rollout",
  summary: "set a release's staged-rollout percentage (signed) and publish",
  description: `Sets custom.bulwark.rollout.percent on every file of NAME@VERSION, then signs and
publishes. A client takes the release when sha256(clientId ‖ 0x00 ‖ NAME@VERSION), read as a
fraction, is below the percentage: raising it only ever adds clients. A whole number:
signed metadata is canonical JSON, which has integers only (1 is one client in 100). The percentage is in
signed targets metadata, so a compromised server cannot change who gets the release.

Example:
  bulwark release rollout ./updates app@1.2.0 --percent 10`,
  positionals: [
    { name: "DIR", description: "the repository folder" },
    { name: "RELEASE", description: "NAME@VERSION" },
  ],
  options: [
    {
      name: "percent",
      type: "string",
      valueName: "N",
      required: true,
      description: "share of clients, a whole number from 0 to 100",
    },
  ],
  async run({ positionals, options }, ctx) {
    const { name, version } = parseReleaseRef(positionals.RELEASE);
    // Digits only: Number() would also take "", "0x10" and "1e1". Fractions are refused:
    // signed metadata is canonical JSON, which has integers only.
    if (!/^\d{1,3}$/.test(options.percent)) {
      throw new CliError(
        "BAD_PERCENT",
        `--percent ${JSON.stringify(options.percent)} is not a whole number from 0 to 100 (no fractions: signed metadata has integers only)`,
        EXIT.USAGE,
      );
    }
    const percent = Number(options.percent);
    const r = await rolloutRelease(positionals.DIR, { name, version, percent }, publisherOptions(ctx));
    ctx.out.line(`${r.release} now rolls out to ${percent} % of clients (${r.files.length} file(s)); published.`);
    return { data: { release: r.release, percent, files: r.files, published: r.published } };
  },
});
