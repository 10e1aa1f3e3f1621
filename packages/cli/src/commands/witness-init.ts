import { existsSync, promises as fs } from "node:fs";
import path from "node:path";
import { createNoteKeyFile, witnessLayout, writeWitnessConfig } from "@bulwark/publisher";
import { CosignatureV1Signer, isValidKeyName } from "@bulwark/tlog";
import { defineCommand } from "../command.js";
import { CliError, usage } from "../errors.js";
import { EXIT } from "../exit-codes.js";
import { cliPassphrases } from "../publisher-options.js";

/** `bulwark witness init --state DIR --name NAME`: a witness's key and state folder. */
const command = defineCommand({
  name: "witness init",
  summary: "create a witness: its cosigning key and state folder; print its verifier key",
  description: `Creates the witness's state folder: an Ed25519 key encrypted at rest in DIR/keys/witness.pem
(passphrase from BULWARK_PASSPHRASE_WITNESS or BULWARK_PASSPHRASE, else a prompt, asked
twice), DIR/witness.json, and DIR/checkpoints/ where it records the latest checkpoint it
cosigned for each log. Prints its tlog-cosignature/v1 verifier key: logs list it in their
witness policy (\`witness NAME VKEY URL\`), clients in theirs.

Run the witness with \`bulwark witness serve --state DIR --log-vkey VKEY\`. A witness is only
worth something when someone other than the log operator runs it.

Example:
  bulwark witness init --state ./witness --name witness.example.org/w1`,
  positionals: [],
  options: [
    {
      name: "state",
      type: "string",
      valueName: "DIR",
      required: true,
      description: "the witness's state folder to create",
    },
    {
      name: "name",
      type: "string",
      valueName: "NAME",
      required: true,
      description: "the witness's key name, e.g. witness.example.org/w1",
    },
  ],
  async run({ options }, ctx) {
    const { state: stateArg, name } = options;
    if (!isValidKeyName(name)) throw usage(`${JSON.stringify(name)} cannot name a key`, "no spaces and no + in a name");
    const dir = path.resolve(ctx.cwd, stateArg);
    const layout = witnessLayout(dir);
    if (existsSync(layout.config)) {
      throw new CliError("WITNESS_EXISTS", `${dir} already holds a witness`, EXIT.USAGE, "choose another folder");
    }
    const passphrase = await cliPassphrases(ctx).get("witness", "create");
    await fs.mkdir(layout.checkpoints, { recursive: true });
    const seed = await createNoteKeyFile(layout.key, passphrase);
    const vkey = new CosignatureV1Signer(name, seed).verifier().vkey;
    seed.fill(0);
    await writeWitnessConfig(dir, { name, vkey, key: path.relative(dir, layout.key) });
    ctx.out.line(`Created the witness ${name} in ${dir}.`);
    ctx.out.line(`vkey: ${vkey}`);
    return { data: { dir, name, vkey } };
  },
});

export default command;
