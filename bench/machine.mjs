// The machine a benchmark ran on, for the results file.
import { execFileSync } from "node:child_process";
import os from "node:os";

function git(args) {
  try {
    return execFileSync("git", args, { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
  } catch {
    return undefined;
  }
}

/** CPU model, cores, memory, OS, Node version, commit and date. */
export function describeMachine(now = new Date()) {
  const cpus = os.cpus();
  const commit = git(["rev-parse", "--short", "HEAD"]) ?? "unknown";
  const dirty = (git(["status", "--porcelain", "--untracked-files=no"]) ?? "") !== "";
  return {
    cpu: `${cpus[0]?.model.trim() ?? "unknown"}, ${os.availableParallelism()} cores`,
    memory: `${(os.totalmem() / 2 ** 30).toFixed(1)} GiB`,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    commit: dirty ? `${commit} (with uncommitted changes)` : commit,
    date: now.toISOString().replace(/\.\d+Z$/, "Z"),
    host: os.hostname().split(".")[0],
  };
}
