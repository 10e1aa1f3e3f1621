import { NO_POLICIES, policyToJSON, releasePoliciesJsonIn, releasePoliciesOf } from "@bulwark/attest";
import { RepoDir } from "@bulwark/publisher";
import type { Root } from "@bulwark/tuf";
import { defineCommand } from "../command.js";
import { CliError } from "../errors.js";
import { EXIT } from "../exit-codes.js";
import { policyRows } from "../format/policies.js";
import { publisherOptions } from "../publisher-options.js";

const policiesIn = (root: Root) => releasePoliciesOf(root) ?? NO_POLICIES;

/** One root's policy, for `--json`. */
function describe(root: Root) {
  const policies = policiesIn(root);
  const none = policies.products.size === 0 && policies.default === undefined;
  return { version: root.version, policy: none ? null : policyToJSON(policies) };
}

export default defineCommand({
  name: "policy show",
  summary: "show the verified-builds policy of the published root (and of a staged one)",
  description: `Prints the release policy the published root carries: per product (and the default),
the builders, their key IDs and how many must agree. When a root change is staged with another
policy (\`bulwark policy set\`), prints that one too: it applies once the new root is published.

Example:
  bulwark policy show ./updates --json`,
  positionals: [{ name: "DIR", description: "the repository folder" }],
  options: [],
  async run({ positionals }, ctx) {
    const repoDir = await RepoDir.open(positionals.DIR, publisherOptions(ctx));
    const repo = await repoDir.locked(() => repoDir.load());
    const published = repo.publishedRoot()?.signed;
    if (published === undefined) throw new CliError("NOT_PUBLISHED", "no root is published yet", EXIT.FAILURE);
    const staged = repo.stagedRoot()?.signed;
    const shown = [{ label: `published root (version ${published.version})`, root: published }];
    if (staged !== undefined && releasePoliciesJsonIn(staged) !== releasePoliciesJsonIn(published)) {
      shown.push({ label: `staged root (version ${staged.version}), once published`, root: staged });
    }
    for (const { label, root } of shown) {
      const rows = policyRows(policiesIn(root));
      ctx.out.line(`${label}:`);
      if (rows.length === 0) ctx.out.line("  no release policy: attestations are optional");
      else ctx.out.table(["product", "threshold", "builder", "keys"], rows);
    }
    return {
      data: {
        published: describe(published),
        ...(shown.length > 1 && staged !== undefined ? { staged: describe(staged) } : {}),
      },
    };
  },
});
