import { removeRelease } from "@bulwark/publisher";
import { defineCommand } from "../command.js";
import { publisherOptions } from "../publisher-options.js";
import { parseReleaseRef } from "./release-rollout.js";

export default defineCommand({
  name: "release remove",
  summary: "unstage a release that is not published yet (its files and index entry)",
  description: `Drops NAME@VERSION staged by \`release add\` before it is published: its files, their
attestation bundles and its entries in the product's release index. A published release is
refused: clients may already have it, so take it back with \`bulwark release revoke\`.

Example:
  bulwark release remove ./updates app@1.2.0`,
  positionals: [
    { name: "DIR", description: "the repository folder" },
    { name: "RELEASE", description: "NAME@VERSION" },
  ],
  options: [],
  async run({ positionals }, ctx) {
    const { name, version } = parseReleaseRef(positionals.RELEASE);
    const r = await removeRelease(positionals.DIR, { name, version }, publisherOptions(ctx));
    ctx.out.line(`${r.release} is unstaged (${r.files.length} file(s)); nothing was published.`);
    return { data: r };
  },
});
