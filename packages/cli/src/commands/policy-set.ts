import path from "node:path";
import { type BuilderPolicy, policyToJSON, type ReleasePolicy, releasePolicyToJSON } from "@bulwark/attest";
import { readBuilderKey, setReleasePolicy } from "@bulwark/publisher";
import type { Key } from "@bulwark/tuf";
import { type Args, type Command, flag, list, str } from "../command.js";
import { CliError, usage } from "../errors.js";
import { EXIT } from "../exit-codes.js";
import { policyRows } from "../format/policies.js";
import { publisherOptions } from "../publisher-options.js";
import { parseCount, printNextSteps } from "./key-add.js";

/** Reads `--builder ID=KEYFILE` options into builders, in order; one ID may be given several keys. */
async function readBuilders(a: Args, cwd: string): Promise<BuilderPolicy[]> {
  const builders = new Map<string, Map<string, Key>>();
  for (const spec of list(a, "builder")) {
    // Split at the last "=": builder IDs are URIs, which may contain "=".
    const at = spec.lastIndexOf("=");
    if (at <= 0 || at === spec.length - 1) {
      throw usage(
        `--builder ${JSON.stringify(spec)} is not ID=KEYFILE`,
        "e.g. --builder https://ci.example.com=ci.pub.json",
      );
    }
    const id = spec.slice(0, at);
    const key = await readBuilderKey(path.resolve(cwd, spec.slice(at + 1)));
    const keyId = key.computeKeyId();
    const keys = builders.get(id) ?? new Map<string, Key>();
    if (keys.has(keyId)) {
      throw new CliError("BAD_POLICY", `key ${keyId.slice(0, 12)} is given twice for builder ${id}`, EXIT.USAGE);
    }
    builders.set(id, keys.set(keyId, key));
  }
  return [...builders].map(([id, keys]) => ({ id, keys }));
}

const command: Command = {
  name: "policy set",
  summary: "set the verified-builds policy (k of n builders) in the next root",
  description: `Sets the release policy of one product (or the default for products without one):
the independent builders, each with its public key, and how many of them (K) must attest the
same artifact sha256 from the same source digest before \`bulwark release add\` lists a release
file, and before a client installs it.

The policy is part of root metadata (the field "x-bulwark-release-policy", which other TUF
clients ignore), so only a new root version can change it: publishing it needs the root keys'
signatures, of the current and the new root (offline: \`bulwark repo export\`, \`sign\`,
\`repo import\`). A stolen targets or online key cannot lower K or swap a builder's key.
Replacing a builder's key here rotates it out: its attestations stop counting, for releases
already published too.

Examples:
  bulwark policy set ./updates --product app --threshold 2 \\
    --builder https://ci-a.example=ci-a.pub.json --builder https://ci-b.example=ci-b.pub.json \\
    --builder https://rebuild.partner.example=partner.pub.json
  bulwark policy set ./updates --product app --remove`,
  positionals: [{ name: "DIR", description: "the repository folder" }],
  options: [
    { name: "product", type: "string", valueName: "NAME", description: "the product the policy governs" },
    { name: "default", type: "boolean", description: "set the policy of every product without its own" },
    {
      name: "builder",
      type: "string",
      multiple: true,
      valueName: "ID=KEYFILE",
      description: "a builder's ID (its SLSA builder.id) and public key file; repeat for each builder or key",
    },
    { name: "threshold", type: "string", valueName: "K", description: "how many distinct builders must agree" },
    { name: "remove", type: "boolean", description: "remove the policy: attestations become optional" },
  ],
  async run(a, ctx) {
    const dirArg = a.positionals.DIR as string;
    const product = str(a, "product");
    if ((product === undefined) === !flag(a, "default")) throw usage("give --product NAME or --default");
    const builders = await readBuilders(a, ctx.cwd);
    const remove = flag(a, "remove");
    if (remove && (builders.length > 0 || str(a, "threshold") !== undefined)) {
      throw usage("--remove takes no --builder or --threshold");
    }
    if (!remove && (builders.length === 0 || str(a, "threshold") === undefined)) {
      throw usage("give --builder ID=KEYFILE for each builder, and --threshold K");
    }
    const policy: ReleasePolicy | undefined = remove
      ? undefined
      : {
          builders,
          threshold: parseCount(str(a, "threshold"), "--threshold", builders.length) as number,
          require: { artifactSha256: true, sourceDigest: true },
        };
    const r = await setReleasePolicy(dirArg, { product, policy }, publisherOptions(ctx));
    const scope = product ?? "(default)";
    if (!r.changed) {
      ctx.out.line(`The policy of ${scope} is already that: nothing to do.`);
      return { data: { scope, changed: false } };
    }
    ctx.out.table(["product", "threshold", "builder", "keys"], policyRows(r.policies));
    printNextSteps(ctx, dirArg, r.root);
    return {
      data: {
        scope,
        changed: true,
        policy: policy === undefined ? null : releasePolicyToJSON(policy),
        policies: policyToJSON(r.policies),
        staged: r.staged,
        ...(r.root === undefined ? {} : { root: r.root }),
      },
    };
  },
};

export default command;
