import { promises as fs } from "node:fs";
import path from "node:path";
import { type AppendedToLog, appendToLog, DEFAULT_LOG_BATCH, LogDir, LogWitnessError } from "@bulwark/publisher";
import {
  type CosignatureResult,
  FolderStore,
  formatReleaseEntry,
  type ReleaseEntry,
  releaseEntryFromJson,
} from "@bulwark/tlog";
import { FormatError, type JsonValue, parseJson, writeFileAtomic } from "@bulwark/tuf";
import { type Context, defineCommand } from "../command.js";
import { CliError, usage } from "../errors.js";
import { EXIT } from "../exit-codes.js";
import { cliPassphrases } from "../publisher-options.js";

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

function printWitnesses(results: readonly CosignatureResult[], out: Context["out"]): void {
  for (const r of results) {
    out.line(
      `  ${r.lines ? out.ok("cosigned") : out.bad("failed  ")}  ${r.witness}${r.error ? `: ${r.error.message}` : ""}`,
    );
  }
}

/** `bulwark log append DIR --entry FILE`: log release entries in batches, then collect cosignatures. */
export default defineCommand({
  name: "log append",
  summary: "append release entries to a log folder, collect witness cosignatures, write proofs",
  description: `Reads release entries (each --entry FILE holds a JSON object, an array, or JSON Lines;
- reads stdin), appends them in batches of --batch (one signed checkpoint per batch; nothing
is appended when an entry is invalid), then asks the witnesses of DIR/witnesses.policy to
cosign the final checkpoint and publishes it cosigned. Fails (exit 1) when the policy's
quorum did not cosign: the entries stay in the log (a log never takes entries back); the
next append collects cosignatures again.

The tiles and entries are in DIR/public/ (and, with --upload DIR2, copied to DIR2) before
the witnesses are asked, and the cosigned checkpoint is written last: witnesses that check
data availability read the new tiles at the log's public URL before they cosign. A witness
that could not read them fails the append with TLOG_DATA_UNAVAILABLE (publish the tiles
first). A witness that holds a tree this log never produced fails it with TLOG_SPLIT_VIEW
and exit 5: the log key was used elsewhere, an incident, not an outage.

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
      default: String(DEFAULT_LOG_BATCH),
    },
    { name: "proofs", type: "string", valueName: "DIR", description: "write each entry's proof under DIR" },
    {
      name: "upload",
      type: "string",
      valueName: "DIR",
      description:
        "a served copy of DIR/public/: new tiles go there before the witnesses are asked, the checkpoint last",
    },
  ],
  async run({ positionals, options }, ctx) {
    if (options.entry.length === 0) throw usage("--entry FILE is required", "pass - to read entries from stdin");
    const batch = Number(options.batch);
    if (!/^\d{1,7}$/.test(options.batch) || batch < 1)
      throw usage(`--batch must be a whole number from 1, got ${options.batch}`);
    const entries: ReleaseEntry[] = [];
    for (const source of options.entry) {
      const { name, text } = await readInput(source, ctx.cwd);
      entries.push(...entriesOf(name, text));
    }
    const proofsDir = options.proofs === undefined ? undefined : path.resolve(ctx.cwd, options.proofs);
    if (proofsDir !== undefined) for (const e of entries) proofFile(proofsDir, e.path);
    const dir = await LogDir.open(path.resolve(ctx.cwd, positionals.DIR));
    let appended: AppendedToLog;
    try {
      appended = await appendToLog(dir, entries, {
        passphrases: cliPassphrases(ctx),
        batch,
        signal: ctx.signal,
        ...(options.upload === undefined ? {} : { upload: new FolderStore(path.resolve(ctx.cwd, options.upload)) }),
        onProgress: (n, total) => {
          if (total > batch) ctx.out.note(`appended ${n} of ${total}`);
        },
      });
    } catch (error) {
      if (error instanceof LogWitnessError) printWitnesses(error.witnesses, ctx.out);
      throw error;
    }
    if (proofsDir !== undefined) {
      for (const p of appended.proofs) {
        const file = proofFile(proofsDir, p.entry.path);
        await fs.mkdir(path.dirname(file), { recursive: true });
        await writeFileAtomic(file, Buffer.from(p.proof));
      }
    }
    const { size } = appended;
    ctx.out.line(`Appended ${entries.length} entr${entries.length === 1 ? "y" : "ies"}: the log has ${size}.`);
    printWitnesses(appended.witnesses, ctx.out);
    if (options.upload !== undefined) ctx.out.line(`Uploaded ${appended.uploaded} resources to ${options.upload}.`);
    if (proofsDir !== undefined) ctx.out.line(`Proofs written under ${options.proofs}.`);
    return {
      data: {
        origin: appended.origin,
        firstIndex: appended.firstIndex.toString(),
        count: entries.length,
        size: size.toString(),
        checkpoint: appended.checkpoint,
        witnesses: appended.witnesses.map(witnessRow),
        proofs: appended.proofs.map((p) => ({
          index: p.index.toString(),
          path: p.entry.path,
          ...(proofsDir !== undefined ? { file: proofFile(proofsDir, p.entry.path) } : {}),
        })),
      },
    };
  },
});
