import type { Command } from "./command.js";

/** Every command, by name, loaded lazily: only the one used is imported. */
export const COMMANDS: ReadonlyArray<{ name: string; summary: string; load: () => Promise<Command> }> = [
  {
    name: "repo init",
    summary: "create a repository: keys, config, root v1",
    load: async () => (await import("./commands/repo-init.js")).default,
  },
  {
    name: "release add",
    summary: "stage release files as targets with signed custom metadata",
    load: async () => (await import("./commands/release-add.js")).default,
  },
  {
    name: "release add-electron",
    summary: "stage electron-builder's output: one release per channel and platform, checked against its feeds",
    load: async () => (await import("./commands/release-add-electron.js")).default,
  },
  {
    name: "release list",
    summary: "list every release, staged and published: channel, rollout, revoked, attested, logged",
    load: async () => (await import("./commands/release-list.js")).default,
  },
  {
    name: "release remove",
    summary: "unstage a release that is not published yet (its files and index entry)",
    load: async () => (await import("./commands/release-remove.js")).default,
  },
  {
    name: "release rollout",
    summary: "set a release's staged-rollout percentage (signed) and publish",
    load: async () => (await import("./commands/release-rollout.js")).default,
  },
  {
    name: "release revoke",
    summary: "revoke a release (the kill switch): clients on it roll back",
    load: async () => (await import("./commands/release-revoke.js")).default,
  },
  {
    name: "policy set",
    summary: "set the verified-builds policy (k of n builders) in the next root",
    load: async () => (await import("./commands/policy-set.js")).default,
  },
  {
    name: "policy show",
    summary: "show the verified-builds policy of the published root (and of a staged one)",
    load: async () => (await import("./commands/policy-show.js")).default,
  },
  {
    name: "attest keygen",
    summary: "create a builder's signing key; print its public key for the vendor's policy",
    load: async () => (await import("./commands/attest-keygen.js")).default,
  },
  {
    name: "attest",
    summary: "attest an artifact you built: a signed in-toto SLSA provenance (builders)",
    load: async () => (await import("./commands/attest.js")).default,
  },
  {
    name: "repo publish",
    summary: "sign what changed and write the static tree DIR/public/",
    load: async () => (await import("./commands/repo-publish.js")).default,
  },
  { name: "serve", summary: "serve DIR over HTTP", load: async () => (await import("./commands/serve.js")).default },
  {
    name: "repo status",
    summary: "show roles, keys, expiry and staged changes of a repository",
    load: async () => (await import("./commands/repo-status.js")).default,
  },
  {
    name: "repo verify",
    summary: "verify a repository as a client would, and report every problem",
    load: async () => (await import("./commands/repo-verify.js")).default,
  },
  {
    name: "repo repair",
    summary: "rebuild a repository's working state from its last good published metadata",
    load: async () => (await import("./commands/repo-repair.js")).default,
  },
  {
    name: "repo refresh",
    summary: "re-sign timestamp, snapshot and targets roles before they expire (for cron and CI)",
    load: async () => (await import("./commands/repo-refresh.js")).default,
  },
  {
    name: "key add",
    summary: "add a key to a role: generated here, an external signer, or offline",
    load: async () => (await import("./commands/key-add.js")).default,
  },
  {
    name: "key revoke",
    summary: "remove a key from a role (a prefix of the key ID is enough)",
    load: async () => (await import("./commands/key-revoke.js")).default,
  },
  {
    name: "key rotate",
    summary: "replace a role's key with a new one, in one staged change",
    load: async () => (await import("./commands/key-rotate.js")).default,
  },
  {
    name: "key reencrypt",
    summary: "upgrade key files to the current encryption (scrypt, AES-256-GCM), in place",
    load: async () => (await import("./commands/key-reencrypt.js")).default,
  },
  {
    name: "key list",
    summary: "list keys: roles, key type, where the private half is",
    load: async () => (await import("./commands/key-list.js")).default,
  },
  {
    name: "role delegate",
    summary: "delegate target paths to a new role with new or given keys",
    load: async () => (await import("./commands/role-delegate.js")).default,
  },
  {
    name: "role threshold",
    summary: "set how many of a role's keys must sign it",
    load: async () => (await import("./commands/role-threshold.js")).default,
  },
  {
    name: "repo export",
    summary: "write the staged next root to a file, to sign it offline",
    load: async () => (await import("./commands/repo-export.js")).default,
  },
  {
    name: "sign",
    summary: "sign a metadata file with a key file, in place (offline root signing)",
    load: async () => (await import("./commands/sign.js")).default,
  },
  {
    name: "repo import",
    summary: "merge offline root signatures into the staged root",
    load: async () => (await import("./commands/repo-import.js")).default,
  },
  {
    name: "quickstart",
    summary: "a narrated tour: publish, install, update, attacks refused, kill switch, release log, verified builds",
    load: async () => (await import("./commands/quickstart.js")).default,
  },
  {
    name: "agent status",
    summary: "what the update agent did last, and what is installed",
    load: async () => (await import("./commands/agent-status.js")).default,
  },
  {
    name: "agent retry",
    summary: "let the update agent try a failed or refused version again",
    load: async () => (await import("./commands/agent-retry.js")).default,
  },
  {
    name: "agent",
    summary: "run the update agent on an endpoint or server (a daemon)",
    load: async () => (await import("./commands/agent.js")).default,
  },
  {
    name: "log init",
    summary: "create a release transparency log in a folder, with its signing key",
    load: async () => (await import("./commands/log-init.js")).default,
  },
  {
    name: "log append",
    summary: "append release entries to a log, collect witness cosignatures, write proofs",
    load: async () => (await import("./commands/log-append.js")).default,
  },
  {
    name: "log status",
    summary: "a log's size, root and checkpoint, verified, and who cosigned it",
    load: async () => (await import("./commands/log-status.js")).default,
  },
  {
    name: "log monitor",
    summary: "report split views and logged releases the repository does not list",
    load: async () => (await import("./commands/log-monitor.js")).default,
  },
  {
    name: "log backfill",
    summary: "log every listed release that has no valid proof (published before the log policy)",
    load: async () => (await import("./commands/log-backfill.js")).default,
  },
  {
    name: "log policy set",
    summary: "require every release to be in a transparency log, cosigned by k witnesses (next root)",
    load: async () => (await import("./commands/log-policy-set.js")).default,
  },
  {
    name: "log policy show",
    summary: "show the transparency-log policy of the published root (and of a staged one)",
    load: async () => (await import("./commands/log-policy-show.js")).default,
  },
  {
    name: "witness init",
    summary: "create a witness: its cosigning key and state folder",
    load: async () => (await import("./commands/witness-init.js")).default,
  },
  {
    name: "witness serve",
    summary: "run a witness (c2sp.org/tlog-witness add-checkpoint) over HTTP",
    load: async () => (await import("./commands/witness-serve.js")).default,
  },
  {
    name: "gateway init",
    summary: "create a gateway folder: config, database, blob folder, trail key, first admin token",
    load: async () => (await import("./commands/gateway-init.js")).default,
  },
  {
    name: "gateway serve",
    summary: "serve the gateway's REST API (JSON; OpenAPI at /openapi.json)",
    load: async () => (await import("./commands/gateway-serve.js")).default,
  },
  {
    name: "gateway source add",
    summary: "add a vendor source (TUF repository, electron-updater, Sparkle, Squirrel, plain URL)",
    load: async () => (await import("./commands/gateway-source-add.js")).default,
  },
  {
    name: "gateway source list",
    summary: "list the gateway's sources",
    load: async () => (await import("./commands/gateway-source-list.js")).default,
  },
  {
    name: "gateway token create",
    summary: "make an API token with a role (admin, approver, viewer); printed once",
    load: async () => (await import("./commands/gateway-token-create.js")).default,
  },
  {
    name: "audit",
    summary: "score a vendor's update feed: what can an attacker who controls that server do?",
    load: async () => (await import("./commands/audit.js")).default,
  },
  {
    name: "scan",
    summary: "scan a release before publishing or installing it: diff, signatures, intel, YARA, SBOM",
    load: async () => (await import("./commands/scan.js")).default,
  },
];
