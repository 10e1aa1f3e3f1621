import { type RoleRow, repositoryStatus } from "@bulwark/publisher";
import { describeRemaining } from "@bulwark/tuf";
import { defineCommand } from "../command.js";
import { publisherOptions } from "../publisher-options.js";

const SHORT_ID = 10;

function versionCell(r: RoleRow): string {
  const v = r.version === null ? "new" : String(r.version);
  if (r.kind === "bins") return r.version === null ? "new" : `<= ${v}`;
  return r.staged ? `${v} -> ${r.version === null ? 1 : r.version + 1}` : v;
}

function roleCells(r: RoleRow): string[] {
  const keys = r.keyids.map((k) => k.slice(0, SHORT_ID)).join(", ");
  const left =
    r.expiresIn === null ? "-" : `${describeRemaining(r.expiresIn * 1000)}${r.refreshDue ? " (refresh due)" : ""}`;
  const staged = r.kind === "bins" ? (r.staged ? `${r.stagedCount} of ${r.count}` : "-") : r.staged ? "yes" : "-";
  return [
    r.kind === "bins" ? `${r.name} (${r.count} roles)` : r.name,
    keys.length > 40 ? `${r.keyids.length} keys` : keys,
    `${r.threshold} of ${r.keyids.length}`,
    versionCell(r),
    r.expires === null ? "-" : `${r.expires.slice(0, 19)}Z`,
    left,
    staged,
  ];
}

const command = defineCommand({
  name: "repo status",
  summary: "show roles, keys, expiry and staged changes of a repository",
  description: `Shows each role (root, targets, snapshot, timestamp, delegated roles; hashed bins as one
row) with its key IDs, threshold, published version, expiry and time left, and whether it has
staged changes the next \`repo publish\` will sign; then the keys in bulwark.json and where
their private half is; then the staged targets. Keys and thresholds include staged changes;
versions and expiry are what clients see now. Under a root that requires a transparency
log, the listed releases without a valid proof (clients refuse them until they are logged).
Reads without taking the repository lock.

--json prints:
  { "dir": string, "consistentSnapshot": boolean,
    "roles": [{ "name", "kind": "root"|"targets"|"snapshot"|"timestamp"|"delegated"|"bins",
                "delegator"?, "count"? (bins), "stagedCount"? (bins), "keyids": [string],
                "threshold", "version": number|null (highest, for bins), "expires": ISO|null
                (soonest, for bins), "expiresIn": seconds|null, "refreshDue": boolean,
                "staged": boolean }],
    "keys": [{ "id", "roles": [string], "scheme", "location": "file"|"command"|"offline",
               "file"?, "present"? (file), "program"? (command) }],
    "stagedTargets": [{ "path", "length", "sha256", "role" }],
    "pendingRoles": [string],
    "log"?: { "origin", "unlogged": [{ "name", "version", "path", "proof": "missing"|"invalid" }] } }

Example:
  bulwark repo status ./updates`,
  positionals: [{ name: "DIR", description: "the repository folder" }],
  options: [],
  async run({ positionals }, ctx) {
    const dirArg = positionals.DIR;
    const status = await repositoryStatus(dirArg, publisherOptions(ctx));
    const { consistentSnapshot, keys, stagedTargets, pendingRoles } = status;
    ctx.out.line(`${status.dir}${consistentSnapshot ? "" : " (no consistent snapshots)"}`);
    ctx.out.line("");
    ctx.out.table(["role", "keys", "threshold", "version", "expires", "left", "staged"], status.roles.map(roleCells));
    ctx.out.line("");
    ctx.out.table(
      ["key", "scheme", "roles", "private key"],
      keys.map((k) => [
        k.id.slice(0, SHORT_ID),
        k.scheme,
        k.roles.join(","),
        k.location === "file"
          ? `file ${k.file}${k.present ? "" : " (missing)"}`
          : k.location === "command"
            ? `command ${k.program}`
            : "offline",
      ]),
    );
    ctx.out.line("");
    if (stagedTargets.length === 0 && pendingRoles.length === 0) {
      ctx.out.line("No staged changes.");
    } else {
      ctx.out.line(`Staged, not yet published (run \`bulwark repo publish ${dirArg}\`):`);
      if (stagedTargets.length > 0) {
        ctx.out.table(
          ["target", "bytes", "sha256", "role"],
          stagedTargets.map((t) => [t.path, String(t.length), t.sha256.slice(0, 16), t.role]),
        );
      } else {
        ctx.out.line(`  changes to ${pendingRoles.join(", ")}`);
      }
    }
    if (status.log !== undefined && status.log.unlogged.length > 0) {
      ctx.out.line("");
      ctx.out.line(
        `Listed releases without a valid proof in ${status.log.origin}: clients refuse them until \`bulwark repo publish ${dirArg}\` or \`bulwark log backfill ${dirArg}\` logs them:`,
      );
      ctx.out.table(
        ["release", "file", "proof"],
        status.log.unlogged.map((u) => [`${u.name}@${u.version}`, u.path, u.proof]),
      );
    }
    return { data: status };
  },
});

export default command;
