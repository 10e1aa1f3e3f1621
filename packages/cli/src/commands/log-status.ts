import { readFile } from "node:fs/promises";
import path from "node:path";
import { openLogLocation } from "@bulwark/publisher";
import {
  CHECKPOINT_KEY,
  isSatisfied,
  LogReader,
  logPolicyOf,
  logPolicyQuorum,
  policyVerifiers,
  TLOG_ERRORS,
  TlogError,
  verifyCheckpoint,
} from "@bulwark/tlog";
import { Metadata } from "@bulwark/tuf";
import { defineCommand } from "../command.js";
import { usage } from "../errors.js";
import { EXIT } from "../exit-codes.js";

/** `bulwark log status DIR|URL`: the log's latest checkpoint, verified, and who cosigned it. */
export default defineCommand({
  name: "log status",
  summary: "show a log's size, root and checkpoint, verified, and the witnesses that cosigned it",
  description: `Reads the log's checkpoint from a log folder, a copy of its public/ folder, or a URL,
and verifies it with the log's key (from DIR/log.json, or --log-vkey). Cosignatures are
checked against the witness policy (DIR/witnesses.policy, or --witnesses FILE), or, with
--root, against the log policy of that trusted root (its log key, witnesses and k: what
clients require), and whether its quorum is met is shown. --audit also verifies every tile and entry bundle against the
checkpoint's root. Exit 1 when the checkpoint or the audit fails, or when a witness policy
is given (or the folder has one) and its quorum did not cosign the checkpoint.

Examples:
  bulwark log status ./release-log
  bulwark log status https://updates.example.com/log/ --log-vkey "$LOG_VKEY" --json
  bulwark log status https://updates.example.com/log/ --root root.json`,
  positionals: [{ name: "LOG", description: "a log folder, a copy of its public/ folder, or its URL" }],
  options: [
    {
      name: "log-vkey",
      type: "string",
      valueName: "VKEY",
      description: "the log's verifier key (default: DIR/log.json's)",
    },
    { name: "origin", type: "string", valueName: "ORIGIN", description: "the log's origin (default: the key's name)" },
    {
      name: "witnesses",
      type: "string",
      valueName: "FILE",
      description: "a witness policy to check cosignatures with",
    },
    {
      name: "root",
      type: "string",
      valueName: "FILE",
      description: "a trusted root.json: use its log policy (log key, witnesses, k), as clients do",
    },
    { name: "audit", type: "boolean", description: "verify every tile and entry bundle too" },
  ],
  async run({ positionals, options }, ctx) {
    const where = positionals.LOG;
    const rootPolicy =
      options.root === undefined ? undefined : await logPolicyOfRoot(path.resolve(ctx.cwd, options.root));
    const log = await openLogLocation(where, ctx.cwd, {
      vkey: options.logVkey ?? rootPolicy?.logVerifier.vkey,
      origin: options.origin ?? rootPolicy?.origin,
      policyFile: options.witnesses,
      signal: ctx.signal,
    });
    const note = await log.store.get(CHECKPOINT_KEY);
    if (note === undefined) throw new TlogError(TLOG_ERRORS.MISSING_TILE, `${where} has no checkpoint`);
    const quorum = rootPolicy === undefined ? log.policy?.quorum : logPolicyQuorum(rootPolicy);
    const witnesses = quorum === undefined ? [] : policyVerifiers(quorum);
    const verified = verifyCheckpoint(note, { logVerifier: log.verifier, origin: log.origin, witnesses });
    const { size, rootHash } = verified.checkpoint;
    const names = new Map<string, string>();
    for (const [name, c] of log.policy?.components ?? []) if (c.kind === "witness") names.set(c.verifier.vkey, name);
    for (const w of rootPolicy?.witnesses ?? []) names.set(w.verifier.vkey, w.name);
    const cosignatures = verified.cosignatures.map((s) => ({
      witness: names.get(s.verifier.vkey) ?? s.name,
      key: s.verifier.vkey,
    }));
    const satisfied =
      quorum === undefined
        ? undefined
        : isSatisfied(
            quorum,
            verified.cosignatures.map((s) => s.verifier),
          );
    const audit = options.audit
      ? await new LogReader(log.store, { origin: log.origin, logVerifier: log.verifier }).audit(verified.checkpoint, {
          entries: true,
        })
      : undefined;
    ctx.out.table(
      ["log", log.origin],
      [
        ["size", size.toString()],
        ["root", Buffer.from(rootHash).toString("base64")],
        ["cosigned by", cosignatures.map((c) => c.witness).join(", ") || "nobody"],
        ...(satisfied === undefined
          ? []
          : [["witness quorum", satisfied ? ctx.out.ok("met") : ctx.out.bad("NOT met")]]),
        ...(audit ? [["audit", `${audit.tiles} tiles and ${audit.bundles} entry bundles verified`]] : []),
      ],
    );
    ctx.out.line("");
    ctx.out.line(verified.signedNote.trimEnd());
    return {
      data: {
        origin: log.origin,
        size: size.toString(),
        rootHash: Buffer.from(rootHash).toString("base64"),
        checkpoint: verified.signedNote,
        cosignatures,
        ...(satisfied === undefined ? {} : { quorum: satisfied }),
        ...(audit ? { audit } : {}),
        ignoredSignatures: verified.ignored.map((s) => s.name),
      },
      exitCode: satisfied === false ? EXIT.FAILURE : EXIT.OK,
    };
  },
});

/**
 * The log policy of a trusted root.json file.
 * @throws {TlogError} TLOG_BAD_POLICY when the root has none (or an unreadable one).
 */
async function logPolicyOfRoot(file: string) {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (cause) {
    throw usage(
      `cannot read the root ${file}: ${(cause as Error).message}`,
      "pass --root a root.json the log's clients trust",
    );
  }
  const root = Metadata.fromBytes(bytes, "root");
  const policy = logPolicyOf(root.signed);
  if (policy === undefined) throw new TlogError(TLOG_ERRORS.BAD_POLICY, `${file} has no transparency-log policy`);
  return policy;
}
