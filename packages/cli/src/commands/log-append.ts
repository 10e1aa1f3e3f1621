import { promises as fs } from "node:fs";
import path from "node:path";
import { LogDir } from "@bulwark/publisher";
import {
  type CosignatureResult,
  cosignLatest,
  formatReleaseEntry,
  policyEndpoints,
  type ReleaseEntry,
  releaseEntryFromJson,
  releaseProofs,
  TlogError,
} from "@bulwark/tlog";
import { FormatError, type JsonValue, parseJson, writeFileAtomic } from "@bulwark/tuf";
import { type Command, list, str } from "../command.js";
import { CliError, usage } from "../errors.js";
import { EXIT } from "../exit-codes.js";
import { cliPassphrases } from "../publisher-options.js";

/** The default number of entries per batch (one checkpoint each). */
const DEFAULT_BATCH = 1000;

async function readInput(source: string, cwd: string): Promise<{ name: string; text: string }> {
  if (source === "-") {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin as AsyncIterable<Buffer>) chunks.push(chunk);
    return { name: "stdin", text: Buffer.concat(chunks).toString("utf8") };
  }
  try {
    return { name: source, text: await fs.readFile(path.resolve(cwd, source), "utf8") };
  } catch (cause) {
    throw new CliError("MISSING_ENTRY_FILE", `cannot read ${source}`, EXIT.USAGE, undefined, { cause });
  }
}

/** The entries of one input: a JSON object, an array of objects, or JSON Lines. */
function entriesOf(name: string, text: string): ReleaseEntry[] {
  let values: JsonValue[];
  try {
    const value = parseJson(text);
    values = Array.isArray(value) ? value : [value];
  } catch (error) {
    if (!(error instanceof FormatError)) throw error;
    const lines = text.split("\n").filter((l) => l.trim() !== "");
    values = lines.map((line, i) => {
      try {
        return parseJson(line);
      } catch (cause) {
        throw new CliError("BAD_ENTRY", `${name}: line ${i + 1} is not JSON`, EXIT.USAGE, undefined, { cause });
      }
    });
  }
  return values.map((value, i) => {
    try {
      const entry = releaseEntryFromJson(value);
      formatReleaseEntry(entry);
      return entry;
    } catch (cause) {
      const why = cause instanceof Error ? cause.message : String(cause);
      throw new CliError("BAD_ENTRY", `${name}: entry ${i + 1}: ${why}`, EXIT.USAGE, ENTRY_HINT, { cause });
    }
  });
}

const ENTRY_HINT =
  'an entry is {"name","version","path","sha256","length","targets":{"role","version","sha256"}} (see packages/tlog/src/release-entry.ts)';

/** Where a proof goes under `dir`: the target path plus `.tlog-proof`, never outside `dir`. */
function proofFile(dir: string, targetPath: string): string {
  const file = path.resolve(dir, `${targetPath}.tlog-proof`);
  if (!file.startsWith(path.resolve(dir) + path.sep)) {
    throw new CliError(
      "BAD_ENTRY",
      `the target path ${JSON.stringify(targetPath)} leaves the proofs folder`,
      EXIT.USAGE,
    );
  }
  return file;
}

function witnessRow(r: CosignatureResult) {
  return {
    witness: r.witness,
    url: r.url,
    cosigned: r.lines !== undefined,
    ...(r.error ? { error: r.error.message, code: r.error.code } : {}),
  };
}

/** `bulwark log append DIR --entry FILE`: log release entries in batches, then collect cosignatures. */
const command: Command = {
  name: "log append",
  summary: "append release entries to a log folder, collect witness cosignatures, write proofs",
  description: `Reads release entries (each --entry FILE holds a JSON object, an array, or JSON Lines;
- reads stdin), appends them in batches of --batch (one signed checkpoint per batch; nothing
is appended when an entry is invalid), then asks the witnesses of DIR/witnesses.policy to
cosign the final checkpoint and publishes it cosigned. Fails (exit 1) when the policy's
quorum did not cosign: the entries stay in the log (a log never takes entries back); the
next append collects cosignatures again.

An entry: {"name": "app", "version": "1.2.0", "path": "app/app-1.2.0.tar.gz",
"sha256": "<hex>", "length": 1234, "targets": {"role": "targets", "version": 7,
"sha256": "<hex of the targets metadata file that lists it>"}}.

With --proofs DIR, writes each entry's offline proof (c2sp.org/tlog-proof@v1 carrying the
entry) to DIR/<target path>.tlog-proof, to publish beside the artifact.

Example:
  bulwark log append ./release-log --entry release.json --proofs ./public/targets`,
  positionals: [{ name: "DIR", description: "the log folder (made by `bulwark log init`)" }],
  options: [
    {
      name: "entry",
      type: "string",
      multiple: true,
      valueName: "FILE",
      description: "a file of release entries, or - for stdin (repeatable; required)",
    },
    {
      name: "batch",
      type: "string",
      valueName: "N",
      description: "entries per batch, each batch one checkpoint",
      default: String(DEFAULT_BATCH),
    },
    { name: "proofs", type: "string", valueName: "DIR", description: "write each entry's proof under DIR" },
  ],
  async run(a, ctx) {
    const sources = list(a, "entry");
    if (sources.length === 0) throw usage("--entry FILE is required", "pass - to read entries from stdin");
    const batchText = str(a, "batch") ?? String(DEFAULT_BATCH);
    const batch = Number(batchText);
    if (!/^\d{1,7}$/.test(batchText) || batch < 1)
      throw usage(`--batch must be a whole number from 1, got ${batchText}`);
    const entries: ReleaseEntry[] = [];
    for (const source of sources) {
      const { name, text } = await readInput(source, ctx.cwd);
      entries.push(...entriesOf(name, text));
    }
    const proofsDir = str(a, "proofs");
    if (proofsDir !== undefined) for (const e of entries) proofFile(path.resolve(ctx.cwd, proofsDir), e.path);
    const dir = await LogDir.open(path.resolve(ctx.cwd, a.positionals.DIR as string));
    const policy = await dir.witnessPolicy();
    const { writer, release } = await dir.openWriter(cliPassphrases(ctx));
    try {
      const before = writer.size;
      for (let i = 0; i < entries.length; i += batch) {
        const chunk = entries.slice(i, i + batch);
        await writer.append(chunk.map(formatReleaseEntry));
        if (entries.length > batch)
          ctx.out.note(`appended ${Math.min(i + batch, entries.length)} of ${entries.length}`);
      }
      let results: readonly CosignatureResult[] = [];
      let quorum: TlogError | undefined;
      let checkpoint = writer.checkpoint;
      if (policy !== undefined) {
        try {
          const collected = await cosignLatest(writer, before, {
            witnesses: policyEndpoints(policy.quorum),
            policy: policy.quorum,
            signal: ctx.signal,
          });
          results = collected.results;
          checkpoint = collected.note;
        } catch (error) {
          if (!(error instanceof TlogError)) throw error;
          quorum = error;
          checkpoint = writer.checkpoint;
        }
      }
      const proofs = await releaseProofs(writer, checkpoint, before, entries);
      if (proofsDir !== undefined && quorum === undefined) {
        for (const p of proofs) {
          const file = proofFile(path.resolve(ctx.cwd, proofsDir), p.entry.path);
          await fs.mkdir(path.dirname(file), { recursive: true });
          await writeFileAtomic(file, Buffer.from(p.proof));
        }
      }
      const size = writer.size;
      ctx.out.line(`Appended ${entries.length} entr${entries.length === 1 ? "y" : "ies"}: the log has ${size}.`);
      for (const r of results) {
        ctx.out.line(
          `  ${r.lines ? ctx.out.ok("cosigned") : ctx.out.bad("failed  ")}  ${r.witness}${r.error ? `: ${r.error.message}` : ""}`,
        );
      }
      if (proofsDir !== undefined && quorum === undefined) ctx.out.line(`Proofs written under ${proofsDir}.`);
      if (quorum !== undefined) {
        throw new CliError(
          quorum.code,
          `${quorum.message}; the entries are logged (size ${size}) but have no valid proofs yet`,
          EXIT.FAILURE,
          "bring the witnesses back (or fix DIR/witnesses.policy), then append again: the next checkpoint is cosigned",
          { cause: quorum },
        );
      }
      return {
        data: {
          origin: dir.config.origin,
          firstIndex: before.toString(),
          count: entries.length,
          size: size.toString(),
          checkpoint,
          witnesses: results.map(witnessRow),
          proofs: proofs.map((p) => ({
            index: p.index.toString(),
            path: p.entry.path,
            ...(proofsDir !== undefined ? { file: proofFile(path.resolve(ctx.cwd, proofsDir), p.entry.path) } : {}),
          })),
        },
      };
    } finally {
      await release();
    }
  },
};

export default command;
