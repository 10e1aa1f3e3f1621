import { logPolicyIn, RepoDir } from "@bulwark/publisher";
import { logPolicyJsonIn } from "@bulwark/tlog";
import type { Root } from "@bulwark/tuf";
import { type Context, defineCommand } from "../command.js";
import { CliError } from "../errors.js";
import { EXIT } from "../exit-codes.js";
import { describeLogPolicy, logPolicyRows } from "../format/policies.js";
import { publisherOptions } from "../publisher-options.js";

function print(ctx: Context, label: string, root: Root): void {
  const policy = logPolicyIn(root);
  ctx.out.line(`${label}:`);
  if (policy === undefined) {
    ctx.out.line("  no transparency-log policy: clients do not require log proofs");
    return;
  }
  ctx.out.line(`  log ${policy.origin}, key ${policy.logVerifier.vkey}`);
  ctx.out.line(`  ${policy.threshold} of ${policy.witnesses.length} witnesses must cosign:`);
  ctx.out.table(["witness", "key", "url"], logPolicyRows(policy));
}

const command = defineCommand({
  name: "log policy show",
  summary: "show the transparency-log policy of the published root (and of a staged one)",
  description: `Prints the log policy the published root carries: the log every release must be in
(origin and key) and the witnesses, k of which must cosign. When a root change is staged
with another policy (\`bulwark log policy set\`), prints that one too: it applies once the new
root is published. Also prints the log folder bulwark.json names for publishing.

Example:
  bulwark log policy show ./updates --json`,
  positionals: [{ name: "DIR", description: "the repository folder" }],
  options: [],
  async run({ positionals }, ctx) {
    const repoDir = await RepoDir.open(positionals.DIR, publisherOptions(ctx));
    const repo = await repoDir.locked(() => repoDir.load());
    const published = repo.publishedRoot()?.signed;
    if (published === undefined) throw new CliError("NOT_PUBLISHED", "no root is published yet", EXIT.FAILURE);
    const staged = repo.stagedRoot()?.signed;
    const differs = staged !== undefined && logPolicyJsonIn(staged) !== logPolicyJsonIn(published);
    print(ctx, `published root (version ${published.version})`, published);
    if (differs) print(ctx, `staged root (version ${staged.version}), once published`, staged);
    const log = repoDir.config.log;
    ctx.out.line(log ? `releases are logged in ${log.dir} (bulwark.json)` : "bulwark.json names no log folder");
    return {
      data: {
        published: { version: published.version, policy: describeLogPolicy(logPolicyIn(published)) },
        ...(differs ? { staged: { version: staged.version, policy: describeLogPolicy(logPolicyIn(staged)) } } : {}),
        log: log ?? null,
      },
    };
  },
});

export default command;
