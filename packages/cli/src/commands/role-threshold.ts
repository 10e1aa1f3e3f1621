import type { Command } from "../command.js";
import { RepoDir } from "../store/repo-dir.js";
import { keysOfRole, parseCount, printNextSteps, setThreshold } from "./key-add.js";

const command: Command = {
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
  async run(a, ctx) {
    const dirArg = a.positionals.DIR as string;
    const role = a.positionals.ROLE as string;
    const threshold = parseCount(a.positionals.K as string, "K") as number;
    const repoDir = await RepoDir.open(dirArg, ctx);
    return repoDir.locked(async () => {
      const repo = await repoDir.load();
      const before = keysOfRole(repo, role);
      if (before.threshold === threshold) {
        ctx.out.line(`${role} is already signed by ${threshold} of ${before.keyids.length} key(s): nothing to do.`);
        return { data: { role, threshold, keys: before.keyids.length, changed: false } };
      }
      setThreshold(repo, role, threshold);
      const staged = await repoDir.stage(repo);
      ctx.out.line(`${role}: ${before.threshold} → ${threshold} of ${before.keyids.length} key(s).`);
      const root = printNextSteps(ctx, dirArg, repoDir, repo);
      return {
        data: {
          role,
          threshold,
          previous: before.threshold,
          keys: before.keyids.length,
          changed: true,
          staged,
          ...(root === undefined ? {} : { root }),
        },
      };
    });
  },
};

export default command;
