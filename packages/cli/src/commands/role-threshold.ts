import { setRoleThreshold } from "@bulwark/publisher";
import { defineCommand } from "../command.js";
import { publisherOptions } from "../publisher-options.js";
import { parseCount, printNextSteps } from "./key-add.js";

export default defineCommand({
  name: "role threshold",
  summary: "set how many of a role's keys must sign it",
  description: `Sets ROLE's threshold to K (from 1 to the number of its keys) and stages the change. A
top-level role's threshold is part of root, so root changes: publishing it needs the current
root keys' signatures (their old threshold) and the new root's. A delegated role's threshold
is part of its delegator's metadata.

Example:
  bulwark role threshold ./updates targets 2`,
  positionals: [
    { name: "DIR", description: "the repository folder" },
    { name: "ROLE", description: "the role: root, targets, snapshot, timestamp or a delegated role" },
    { name: "K", description: "how many distinct keys of the role must sign" },
  ],
  options: [],
  async run({ positionals }, ctx) {
    const { DIR: dirArg, ROLE: role } = positionals;
    const threshold = parseCount(positionals.K, "K");
    const r = await setRoleThreshold(dirArg, { role, threshold }, publisherOptions(ctx));
    if (!r.changed) {
      ctx.out.line(`${role} is already signed by ${threshold} of ${r.keys} key(s): nothing to do.`);
      return { data: { role, threshold, keys: r.keys, changed: false } };
    }
    ctx.out.line(`${role}: ${r.previous} → ${threshold} of ${r.keys} key(s).`);
    printNextSteps(ctx, dirArg, r.root);
    return {
      data: {
        role,
        threshold,
        previous: r.previous,
        keys: r.keys,
        changed: true,
        staged: r.staged,
        ...(r.root === undefined ? {} : { root: r.root }),
      },
    };
  },
});
