import path from "node:path";
import { LogDir, setLogPolicy, vkeyOption } from "@bulwark/publisher";
import {
  checkLogPolicy,
  type LogPolicy,
  type NoteVerifier,
  parseCosignatureVerifierKey,
  TlogError,
  type Witness,
  witness,
} from "@bulwark/tlog";
import { defineCommand } from "../command.js";
import { CliError, usage } from "../errors.js";
import { EXIT } from "../exit-codes.js";
import { describeLogPolicy, describeUnlogged, logPolicyRows } from "../format/policies.js";
import { publisherOptions } from "../publisher-options.js";
import { parseCount, printNextSteps } from "./key-add.js";
import { KEEP_ONLINE_KEYS_OPTION, ONLINE_KEYS_HELP, printRotated, rotatedJson } from "./policy-set.js";

/** The options that name the log. */
interface LogOptions {
  readonly logDir: string | undefined;
  readonly logVkey: string | undefined;
  readonly origin: string | undefined;
}

/** The options that describe the policy. */
interface PolicyOptions {
  readonly witness: readonly string[];
  readonly threshold: string | undefined;
  readonly logUrl: string | undefined;
  readonly availabilityWitness: readonly string[];
  readonly requireAvailability: boolean;
}

/**
 * Parses `--witness NAME=VKEY[@URL]`. The vkey's base64 holds no `@`, so a URL starts at
 * the first `@` after the vkey's last `+`.
 * @throws {CliError} `CLI_USAGE` naming what is wrong.
 */
export function witnessOption(spec: string): Witness {
  const eq = spec.indexOf("=");
  const hint = "e.g. --witness w1=witness.example+1a2b3c4d+AbCd...@https://witness.example/";
  if (eq <= 0) throw usage(`--witness ${JSON.stringify(spec)} is not NAME=VKEY[@URL]`, hint);
  const name = spec.slice(0, eq);
  const rest = spec.slice(eq + 1);
  const at = rest.indexOf("@", rest.lastIndexOf("+") + 1);
  const vkey = at < 0 ? rest : rest.slice(0, at);
  const url = at < 0 ? undefined : rest.slice(at + 1);
  if (url !== undefined && !(/^https?:\/\//i.test(url) && URL.canParse(url))) {
    throw usage(`--witness ${name}: ${JSON.stringify(url)} is not an http(s) URL`, hint);
  }
  try {
    return witness(name, parseCosignatureVerifierKey(vkey), url);
  } catch (cause) {
    if (!(cause instanceof TlogError)) throw cause;
    throw usage(`--witness ${name}: ${JSON.stringify(vkey)} is not a witness key: ${cause.message}`, hint);
  }
}

/** The log the options name: from --log-dir's log.json, or --log-vkey (and --origin). */
async function logOf(o: LogOptions, cwd: string): Promise<{ origin: string; verifier: NoteVerifier; dir?: LogDir }> {
  const { logDir: logDirArg, logVkey: vkey, origin } = o;
  if (logDirArg === undefined) {
    if (vkey === undefined) throw usage("give --log-dir LOG (a log folder) or --log-vkey VKEY [--origin ORIGIN]");
    const verifier = vkeyOption(vkey, "--log-vkey");
    return { origin: origin ?? verifier.name, verifier };
  }
  const dir = await LogDir.open(path.resolve(cwd, logDirArg));
  if (vkey !== undefined && vkeyOption(vkey, "--log-vkey").vkey !== dir.verifier.vkey) {
    throw usage(`--log-vkey is not the key of the log in ${logDirArg}`, "leave --log-vkey out to use the folder's");
  }
  if (origin !== undefined && origin !== dir.config.origin) {
    throw usage(`--origin ${origin} is not the origin of the log in ${logDirArg} (${dir.config.origin})`);
  }
  return { origin: dir.config.origin, verifier: dir.verifier, dir };
}

/** The policy the options describe. */
function policyOf(o: PolicyOptions, log: { origin: string; verifier: NoteVerifier }): LogPolicy {
  const checking = new Set(o.availabilityWitness);
  const witnesses = o.witness
    .map(witnessOption)
    .map((w) => (checking.has(w.name) ? { ...w, checksAvailability: true } : w));
  if (witnesses.length === 0) throw usage("give each witness with --witness NAME=VKEY[@URL]");
  for (const name of checking) {
    if (!witnesses.some((w) => w.name === name)) throw usage(`--availability-witness ${name} names no --witness`);
  }
  const threshold = parseCount(o.threshold, "--threshold", witnesses.length);
  if (threshold === undefined) throw usage("give --threshold K: how many witnesses must cosign");
  if (o.logUrl !== undefined && !(/^https?:\/\//i.test(o.logUrl) && URL.canParse(o.logUrl))) {
    throw usage(`--log-url ${JSON.stringify(o.logUrl)} is not an http(s) URL`);
  }
  try {
    return checkLogPolicy({
      origin: log.origin,
      logVerifier: log.verifier,
      witnesses,
      threshold,
      ...(o.logUrl === undefined ? {} : { logUrl: o.logUrl }),
      ...(o.requireAvailability ? { requireAvailabilityWitnesses: true } : {}),
    });
  } catch (error) {
    if (!(error instanceof TlogError)) throw error;
    throw new CliError("BAD_LOG_POLICY", error.message, EXIT.USAGE, undefined, { cause: error });
  }
}

export default defineCommand({
  name: "log policy set",
  summary: "require every release to be in a transparency log, cosigned by k witnesses (next root)",
  description: `Puts the transparency-log policy in the next root version: the log's origin and key,
the witnesses (their cosignature keys and, optionally, URLs) and how many of them (K) must
cosign the checkpoint that proves a release is logged. From then on \`bulwark repo publish\`
appends every released file to the log, collects the witnesses' cosignatures and publishes
the proof beside the file (<file>.tlog-proof), failing before timestamp.json changes when
fewer than K cosign; every client refuses a release without a valid proof.

The policy is the root field "x-bulwark-transparency-log" (other TUF clients ignore it), so
only a new root version can change it: publishing it needs the root keys' signatures, of
the current and the new root (offline: \`bulwark repo export\`, \`sign\`, \`repo import\`). A
stolen targets or online key cannot turn the requirement off or swap the log's key.

With --log-dir, the origin and key come from the log folder, and bulwark.json records the
folder ("log": {"dir": ...}) for publishing.

Releases published before the policy have no proof, and clients that trust the new root
refuse them: this command names them, and the next \`bulwark repo publish\` logs them with
its own releases (or \`bulwark log backfill DIR\` logs them at once). \`repo status\` lists
the releases still without a proof. A witness URL in bulwark.json's "log.witnesses"
([{"name", "url"}]) overrides the one in root when the publisher reaches it elsewhere.

Data availability: --log-url is where the log's tiles are public. A witness named with
--availability-witness cosigns a checkpoint only after reading its new entries from there
(see \`bulwark witness serve --help\`); with --require-availability only such witnesses count
towards K, so a log extended in private, whose tiles nobody can fetch, cannot satisfy the
policy.

${ONLINE_KEYS_HELP}

Examples:
  bulwark log policy set ./updates --log-dir ./release-log --threshold 2 \\
    --witness w1=w1.example/witness+1a2b3c4d+AbCd...@https://w1.example/ \\
    --witness w2=w2.example/witness+5e6f7a8b+EfGh...@https://w2.example/
  bulwark log policy set ./updates --log-dir ./release-log --threshold 2 \\
    --log-url https://updates.example.com/log/ --require-availability \\
    --witness w1=... --witness w2=... --availability-witness w1 --availability-witness w2
  bulwark log policy set ./updates --remove`,
  positionals: [{ name: "DIR", description: "the repository folder" }],
  options: [
    {
      name: "log-dir",
      type: "string",
      valueName: "LOG",
      description: "the log folder (`bulwark log init`): its origin and key; recorded for publishing",
    },
    { name: "log-vkey", type: "string", valueName: "VKEY", description: "the log's verifier key (without --log-dir)" },
    { name: "origin", type: "string", valueName: "ORIGIN", description: "the log's origin (default: the key's name)" },
    {
      name: "witness",
      type: "string",
      multiple: true,
      valueName: "NAME=VKEY[@URL]",
      description: "a witness: a name, its cosignature key (`bulwark witness init` prints it), where to reach it",
    },
    { name: "threshold", type: "string", valueName: "K", description: "how many distinct witnesses must cosign" },
    {
      name: "log-url",
      type: "string",
      valueName: "URL",
      description: "the log's public tiles URL, where witnesses and monitors read it (log_url)",
    },
    {
      name: "availability-witness",
      type: "string",
      multiple: true,
      valueName: "NAME",
      description: "a --witness that checks data availability (reads the new tiles at --log-url before cosigning)",
    },
    {
      name: "require-availability",
      type: "boolean",
      description: "count only --availability-witness witnesses towards K (needs --log-url)",
    },
    { name: "remove", type: "boolean", description: "remove the policy: clients stop requiring log proofs" },
    KEEP_ONLINE_KEYS_OPTION,
  ],
  async run({ positionals, options: o }, ctx) {
    const dirArg = positionals.DIR;
    const given = [o.logDir, o.logVkey, o.origin, o.threshold, o.logUrl].some((v) => v !== undefined);
    const listed = o.witness.length > 0 || o.availabilityWitness.length > 0 || o.requireAvailability;
    if (o.remove && (given || listed)) throw usage("--remove takes no other option");
    const log = o.remove ? undefined : await logOf(o, ctx.cwd);
    const next = log === undefined ? undefined : policyOf(o, log);
    const r = await setLogPolicy(
      dirArg,
      { policy: next, logDir: log?.dir?.layout.dir, rotateOnlineKeys: !o.keepOnlineKeys },
      publisherOptions(ctx),
    );
    if (r.log !== undefined) ctx.out.line(`bulwark.json: releases are logged in ${r.log.dir}.`);
    const log_ = r.log ? { log: r.log } : {};
    if (r.unlogged.length > 0) {
      ctx.out.warn(
        `${r.unlogged.length} listed release file(s) have no proof in this log, and every client that trusts the new root refuses them until they are logged: ${describeUnlogged(r.unlogged)}. The next \`bulwark repo publish ${dirArg}\` logs them; \`bulwark log backfill ${dirArg}\` logs them now.`,
      );
    }
    if (!r.changed) {
      ctx.out.line(`The next root already ${next ? "has that log policy" : "has no log policy"}: nothing to do.`);
      return { data: { changed: false, policy: describeLogPolicy(next), unlogged: r.unlogged, ...log_ } };
    }
    if (next === undefined) ctx.out.line("The next root has no log policy: clients will stop requiring proofs.");
    else {
      ctx.out.line(`Every release must be in ${next.origin}, cosigned by ${next.threshold} of:`);
      ctx.out.table(["witness", "key", "url"], logPolicyRows(next));
      if (next.logUrl !== undefined) ctx.out.line(`The log's tiles are public at ${next.logUrl}.`);
      const checking = next.witnesses.filter((w) => w.checksAvailability).map((w) => w.name);
      if (checking.length > 0) {
        const counted = next.requireAvailabilityWitnesses ? "; only they count" : "";
        ctx.out.line(`Witnesses that check data availability: ${checking.join(", ")}${counted}.`);
      }
    }
    if (next !== undefined && !r.logConfigured) {
      ctx.out.warn("bulwark.json names no log folder: `repo publish` will refuse releases until --log-dir is given");
    }
    printRotated(ctx, r, o.keepOnlineKeys);
    printNextSteps(ctx, dirArg, r.root);
    return {
      data: {
        changed: true,
        policy: describeLogPolicy(next),
        unlogged: r.unlogged,
        staged: r.staged,
        rotated: rotatedJson(r.rotated),
        ...log_,
        ...(r.root === undefined ? {} : { root: r.root }),
      },
    };
  },
});
