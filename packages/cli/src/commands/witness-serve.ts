import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, writeSync } from "node:fs";
import path from "node:path";
import { acquireLock, loadCosigner, readWitnessConfig, vkeyOption, witnessLayout } from "@bulwark/publisher";
import {
  DATA_AVAILABILITY_DEFAULTS,
  FolderWitnessState,
  listenWitness,
  type NoteVerifier,
  TlogWitness,
  type WitnessAccessLogEntry,
  type WitnessEvidence,
  type WitnessedLog,
  type WitnessServer,
} from "@bulwark/tlog";
import { type Context, defineCommand } from "../command.js";
import { usage } from "../errors.js";
import { cliPassphrases } from "../publisher-options.js";
import { listenOptions, parsePort } from "../server/listen-options.js";
import { accessLog, isLoopback, listenError, serveUntilStopped } from "../server/serving.js";

/**
 * The logs to witness, by origin (each key's name): several keys of one log are allowed. Each
 * `--log-url` is `URL` (when one log is witnessed) or `ORIGIN=URL`: that log is witnessed
 * with data availability, its new tiles read at URL before a checkpoint is cosigned.
 */
function logsOf(vkeys: readonly string[], urls: readonly string[]): WitnessedLog[] {
  const byOrigin = new Map<string, NoteVerifier[]>();
  for (const vkey of vkeys) {
    const verifier = vkeyOption(vkey, "--log-vkey");
    byOrigin.set(verifier.name, [...(byOrigin.get(verifier.name) ?? []), verifier]);
  }
  const publicUrls = new Map<string, string>();
  for (const value of urls) {
    const eq = value.indexOf("=");
    const named = eq > 0 && !/^https?:\/\//i.test(value);
    const origin = named ? value.slice(0, eq) : byOrigin.size === 1 ? [...byOrigin.keys()][0] : undefined;
    const url = named ? value.slice(eq + 1) : value;
    if (origin === undefined) throw usage("--log-url must be ORIGIN=URL when several logs are witnessed");
    if (!byOrigin.has(origin)) throw usage(`--log-url names ${origin}, which no --log-vkey is a key of`);
    if (!/^https?:\/\//i.test(url)) throw usage(`--log-url ${JSON.stringify(url)} is not an http(s) URL`);
    publicUrls.set(origin, url);
  }
  return [...byOrigin].map(([origin, verifiers]) => {
    const publicUrl = publicUrls.get(origin);
    return { origin, verifiers, ...(publicUrl === undefined ? {} : { publicUrl }) };
  });
}

/** Writes `data` to `file` durably before returning: temp file, fsync, rename, folder fsync. */
function writeFileAtomicSync(file: string, data: string): void {
  const temp = `${file}.${process.pid}.tmp`;
  const fd = openSync(temp, "w", 0o644);
  try {
    writeSync(fd, data);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temp, file);
  const dirFd = openSync(path.dirname(file), "r");
  try {
    fsyncSync(dirFd);
  } finally {
    closeSync(dirFd);
  }
}

/**
 * Keeps a refused, validly signed checkpoint as evidence, and says so on stderr. The file is
 * written before the witness answers (the witness calls this synchronously while refusing),
 * so whoever got the refusal finds the evidence already there.
 */
function keepEvidence(dir: string, ctx: Context): (e: WitnessEvidence) => void {
  return (e) => {
    const file = path.join(dir, `${new Date().toISOString().replace(/[:.]/g, "-")}-${e.code}.txt`);
    const text = `origin: ${e.origin}\nrefused (${e.code}):\n${e.checkpoint}\nlatest cosigned:\n${e.latest ?? "(none)\n"}`;
    try {
      mkdirSync(dir, { recursive: true });
      writeFileAtomicSync(file, text);
    } catch {
      ctx.out.warn(`could not write ${file}`);
      return;
    }
    const line = { evidence: file, origin: e.origin, code: e.code };
    if (ctx.out.json) ctx.out.streams.stderr.write(`${JSON.stringify(line)}\n`);
    else ctx.out.warn(`refused a validly signed checkpoint of ${e.origin} (${e.code}): evidence in ${file}`);
  };
}

/** `bulwark witness serve`: a tlog-witness over HTTP until SIGINT/SIGTERM. */
export default defineCommand({
  name: "witness serve",
  summary: "run a witness (c2sp.org/tlog-witness add-checkpoint) over HTTP",
  description: `Serves POST /add-checkpoint for the logs whose keys are given: a checkpoint is cosigned
only if it is signed by the log's key and extends the last one this witness cosigned for
that log (a consistency proof from it); rollbacks and forks are refused with the spec's
status codes (409, 422) and kept as evidence in DIR/evidence/. The latest cosigned
checkpoint of each log is recorded in DIR/checkpoints/ (written atomically, before the
answer) and served to monitors at GET /<sha256(origin) hex>/checkpoint.

With --log-url, the log is witnessed with data availability: before cosigning, the witness
reads the new checkpoint's tiles and entries at the log's public URL and recomputes its root;
a checkpoint whose entries are not public there (a privately extended log) is refused with
424 and kept as evidence. Give the log_url of the root's log policy. One log: --log-url URL;
several: --log-url ORIGIN=URL for each. --availability-timeout bounds each check.

The origin of each log is its key's name (as \`bulwark log init\` makes them). The key's
passphrase comes from BULWARK_PASSPHRASE_WITNESS or BULWARK_PASSPHRASE. With --json, one
line {"url": ...} is printed on stdout once listening, and the access log goes to stderr
as JSON lines. Runs until interrupted (Ctrl+C or SIGTERM).

Example:
  bulwark witness serve --state ./witness --log-vkey "$LOG_VKEY" \\
    --log-url https://updates.example.com/log/ --port 8081`,
  positionals: [],
  options: [
    {
      name: "state",
      type: "string",
      valueName: "DIR",
      description: "the witness's folder (made by `bulwark witness init`; required)",
    },
    {
      name: "log-vkey",
      type: "string",
      multiple: true,
      valueName: "VKEY",
      description: "the verifier key of a log to witness (repeatable; required)",
    },
    {
      name: "log-url",
      type: "string",
      multiple: true,
      valueName: "URL|ORIGIN=URL",
      description: "the log's public URL: cosign only checkpoints whose entries are readable there (repeatable)",
    },
    {
      name: "availability-timeout",
      type: "string",
      valueName: "SECONDS",
      description: `time for one data-availability check (default ${DATA_AVAILABILITY_DEFAULTS.timeoutMs / 1000})`,
    },
    ...listenOptions(8081),
  ],
  async run({ options }, ctx) {
    const stateArg = options.state;
    if (stateArg === undefined) throw usage("--state DIR is required");
    const vkeys = options.logVkey;
    if (vkeys.length === 0) throw usage("--log-vkey VKEY is required", "the vkey `bulwark log init` printed");
    const logs = logsOf(vkeys, options.logUrl);
    const timeout = options.availabilityTimeout;
    if (timeout !== undefined && !(/^\d{1,6}$/.test(timeout) && Number(timeout) > 0)) {
      throw usage(`--availability-timeout must be a whole number of seconds, got ${timeout}`);
    }
    const port = parsePort(options.port);
    const host = options.host ?? "127.0.0.1";
    const dir = path.resolve(ctx.cwd, stateArg);
    const layout = witnessLayout(dir);
    const config = await readWitnessConfig(dir);
    const release = await acquireLock(layout.lock);
    try {
      const signer = await loadCosigner(dir, config, cliPassphrases(ctx));
      const witness = new TlogWitness({
        signer,
        logs,
        state: new FolderWitnessState(layout.checkpoints),
        onEvidence: keepEvidence(layout.evidence, ctx),
        ...(timeout === undefined ? {} : { availability: { timeoutMs: Number(timeout) * 1000 } }),
      });
      const log = accessLog<WitnessAccessLogEntry>(ctx);
      let server: WitnessServer;
      try {
        server = await listenWitness(witness, { host, port, ...(log ? { log } : {}) });
      } catch (cause) {
        throw listenError(cause, host, port);
      }
      if (!isLoopback(server.address) && !ctx.out.json)
        ctx.out.warn(`listening on ${server.address}: reachable from other machines`);
      if (ctx.out.json) ctx.out.streams.stdout.write(`${JSON.stringify({ url: server.url, vkey: config.vkey })}\n`);
      else {
        const what = logs.map((l) => (l.publicUrl ? `${l.origin} (tiles read at ${l.publicUrl})` : l.origin));
        ctx.out.line(`witness ${config.name} at ${server.url} for ${what.join(", ")}`);
        ctx.out.line(`vkey: ${config.vkey}`);
        ctx.out.note("press Ctrl+C to stop");
      }
      await serveUntilStopped(ctx, server);
      return {};
    } finally {
      await release();
    }
  },
});
