import { promises as fs } from "node:fs";
import { isIP } from "node:net";
import path from "node:path";
import { acquireLock, loadCosigner, readWitnessConfig, vkeyOption, witnessLayout } from "@bulwark/publisher";
import {
  FolderWitnessState,
  listenWitness,
  type NoteVerifier,
  TlogWitness,
  type WitnessAccessLogEntry,
  type WitnessEvidence,
  type WitnessServer,
} from "@bulwark/tlog";
import { writeFileAtomic } from "@bulwark/tuf";
import { type Command, type Context, list, str } from "../command.js";
import { CliError, usage } from "../errors.js";
import { EXIT } from "../exit-codes.js";
import { cliPassphrases } from "../publisher-options.js";
import { listenOptions, parsePort } from "../server/listen-options.js";

/** The logs to witness, by origin (each key's name): several keys of one log are allowed. */
function logsOf(vkeys: readonly string[]): Array<{ origin: string; verifiers: NoteVerifier[] }> {
  const byOrigin = new Map<string, NoteVerifier[]>();
  for (const vkey of vkeys) {
    const verifier = vkeyOption(vkey, "--log-vkey");
    byOrigin.set(verifier.name, [...(byOrigin.get(verifier.name) ?? []), verifier]);
  }
  return [...byOrigin].map(([origin, verifiers]) => ({ origin, verifiers }));
}

/** The access log on stderr: text, or JSON lines with `--json`; none with `--quiet`. */
function accessLog(ctx: Context): ((entry: WitnessAccessLogEntry) => void) | undefined {
  if (ctx.out.quiet) return undefined;
  const stderr = ctx.out.streams.stderr;
  if (ctx.out.json) return (e) => stderr.write(`${JSON.stringify(e)}\n`);
  return (e) => {
    const status = e.status >= 400 ? ctx.out.bad(String(e.status)) : String(e.status);
    stderr.write(`${e.method} ${e.path} ${status} ${e.bytes} B ${e.ms} ms\n`);
  };
}

/** Keeps a refused, validly signed checkpoint as evidence, and says so on stderr. */
function keepEvidence(dir: string, ctx: Context): (e: WitnessEvidence) => void {
  return (e) => {
    const file = path.join(dir, `${new Date().toISOString().replace(/[:.]/g, "-")}-${e.code}.txt`);
    const text = `origin: ${e.origin}\nrefused (${e.code}):\n${e.checkpoint}\nlatest cosigned:\n${e.latest ?? "(none)\n"}`;
    const line = { evidence: file, origin: e.origin, code: e.code };
    if (ctx.out.json) ctx.out.streams.stderr.write(`${JSON.stringify(line)}\n`);
    else ctx.out.warn(`refused a validly signed checkpoint of ${e.origin} (${e.code}): evidence in ${file}`);
    void fs
      .mkdir(dir, { recursive: true })
      .then(() => writeFileAtomic(file, Buffer.from(text)))
      .catch(() => ctx.out.warn(`could not write ${file}`));
  };
}

/** `bulwark witness serve`: a tlog-witness over HTTP until SIGINT/SIGTERM. */
const command: Command = {
  name: "witness serve",
  summary: "run a witness (c2sp.org/tlog-witness add-checkpoint) over HTTP",
  description: `Serves POST /add-checkpoint for the logs whose keys are given: a checkpoint is cosigned
only if it is signed by the log's key and extends the last one this witness cosigned for
that log (a consistency proof from it); rollbacks and forks are refused with the spec's
status codes (409, 422) and kept as evidence in DIR/evidence/. The latest cosigned
checkpoint of each log is recorded in DIR/checkpoints/ (written atomically, before the
answer) and served to monitors at GET /<sha256(origin) hex>/checkpoint.

The origin of each log is its key's name (as \`bulwark log init\` makes them). The key's
passphrase comes from BULWARK_PASSPHRASE_WITNESS or BULWARK_PASSPHRASE. With --json, one
line {"url": ...} is printed on stdout once listening, and the access log goes to stderr
as JSON lines. Runs until interrupted (Ctrl+C or SIGTERM).

Example:
  bulwark witness serve --state ./witness --log-vkey "$LOG_VKEY" --port 8081`,
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
    ...listenOptions(8081),
  ],
  async run(a, ctx) {
    const stateArg = str(a, "state");
    if (stateArg === undefined) throw usage("--state DIR is required");
    const vkeys = list(a, "log-vkey");
    if (vkeys.length === 0) throw usage("--log-vkey VKEY is required", "the vkey `bulwark log init` printed");
    const logs = logsOf(vkeys);
    const port = parsePort(str(a, "port"));
    const host = str(a, "host") ?? "127.0.0.1";
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
      });
      const log = accessLog(ctx);
      let server: WitnessServer;
      try {
        server = await listenWitness(witness, { host, port, ...(log ? { log } : {}) });
      } catch (cause) {
        const code = (cause as NodeJS.ErrnoException).code;
        throw new CliError(
          code === "EADDRINUSE" ? "PORT_IN_USE" : "LISTEN_FAILED",
          `cannot listen on ${host}:${port}: ${(cause as Error).message}`,
          code === "EADDRNOTAVAIL" ? EXIT.USAGE : EXIT.FAILURE,
          code === "EADDRINUSE" ? "pick another with --port, or --port 0 for a free one" : undefined,
          { cause },
        );
      }
      const loopback = isIP(server.address) === 4 ? server.address.startsWith("127.") : server.address === "::1";
      if (!loopback && !ctx.out.json) ctx.out.warn(`listening on ${server.address}: reachable from other machines`);
      if (ctx.out.json) ctx.out.streams.stdout.write(`${JSON.stringify({ url: server.url, vkey: config.vkey })}\n`);
      else {
        ctx.out.line(`witness ${config.name} at ${server.url} for ${logs.map((l) => l.origin).join(", ")}`);
        ctx.out.line(`vkey: ${config.vkey}`);
        ctx.out.note("press Ctrl+C to stop");
      }
      await new Promise<void>((resolve) => {
        if (ctx.signal.aborted) resolve();
        else ctx.signal.addEventListener("abort", () => resolve(), { once: true });
      });
      await server.close();
      if (!ctx.out.json) ctx.out.note("stopped");
      return {};
    } finally {
      await release();
    }
  },
};

export default command;
