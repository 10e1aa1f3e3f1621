import { promises as fs } from "node:fs";
import path from "node:path";
import { createNoteKeyFile, isLogDir, LogDir, logLayout, readPolicyFile } from "@bulwark/publisher";
import { Ed25519Signer, FolderStore, isValidKeyName, LogWriter } from "@bulwark/tlog";
import { defineCommand } from "../command.js";
import { CliError, usage } from "../errors.js";
import { EXIT } from "../exit-codes.js";
import { cliPassphrases } from "../publisher-options.js";

/** `bulwark log init DIR --origin ORIGIN`: a new, empty release log in a folder. */
const command = defineCommand({
  name: "log init",
  summary: "create a release transparency log in a folder, with its signing key",
  description: `Creates DIR/ with an empty tiled log (c2sp.org/tlog-tiles) in DIR/public/, an Ed25519
log key encrypted at rest in DIR/keys/log.pem (passphrase from BULWARK_PASSPHRASE_LOG or
BULWARK_PASSPHRASE, else a prompt, asked twice), and DIR/log.json. The origin names the log
in every checkpoint and is also the key's name: by convention the URL DIR/public/ will be
served at, without https://. Prints the log's verifier key (vkey): clients, witnesses and
monitors trust the log through it.

With --witnesses, the policy file is copied to DIR/witnesses.policy: each append then asks
those witnesses (lines \`witness NAME VKEY URL\`) to cosign, and fails unless the quorum does.

Example:
  bulwark log init ./release-log --origin updates.example.com/log`,
  positionals: [{ name: "DIR", description: "the folder to create (must not hold a log)" }],
  options: [
    {
      name: "origin",
      type: "string",
      valueName: "ORIGIN",
      required: true,
      description: "the log's name in checkpoints and of its key, e.g. updates.example.com/log",
    },
    {
      name: "witnesses",
      type: "string",
      valueName: "FILE",
      description: "a witness policy to ask for cosignatures on each append (copied into DIR)",
    },
  ],
  async run({ positionals, options }, ctx) {
    const dir = path.resolve(ctx.cwd, positionals.DIR);
    const origin = options.origin;
    if (!isValidKeyName(origin)) {
      throw usage(`the origin ${JSON.stringify(origin)} cannot name a key`, "no spaces and no + in an origin");
    }
    if (isLogDir(dir)) {
      throw new CliError("LOG_EXISTS", `${dir} already holds a log`, EXIT.USAGE, "choose another folder");
    }
    const layout = logLayout(dir);
    const policyFile = options.witnesses;
    const policy = policyFile === undefined ? undefined : await readPolicyFile(path.resolve(ctx.cwd, policyFile));
    const passphrase = await cliPassphrases(ctx).get("log", "create");
    await fs.mkdir(layout.public, { recursive: true });
    const seed = await createNoteKeyFile(layout.key, passphrase);
    const signer = new Ed25519Signer(origin, seed);
    seed.fill(0);
    const verifier = signer.verifier();
    const writer = await LogWriter.create(new FolderStore(layout.public), { origin, signer, verifier });
    if (policyFile !== undefined) await fs.copyFile(path.resolve(ctx.cwd, policyFile), layout.witnesses);
    await LogDir.writeConfig(dir, { origin, vkey: verifier.vkey, key: path.relative(dir, layout.key) });
    ctx.out.line(`Created the log ${origin} in ${dir}.`);
    ctx.out.line(`vkey: ${verifier.vkey}`);
    ctx.out.line("");
    ctx.out.line(
      `Serve ${layout.public} at https://${origin}/ (any static server; \`bulwark serve ${positionals.DIR}\` for development), then append releases with`,
    );
    ctx.out.line(`  bulwark log append ${positionals.DIR} --entry release.json`);
    return {
      data: {
        dir,
        origin,
        vkey: verifier.vkey,
        public: layout.public,
        checkpoint: writer.checkpoint,
        witnesses:
          policy === undefined ? 0 : [...policy.components.values()].filter((c) => c.kind === "witness").length,
      },
    };
  },
});

export default command;
