import path from "node:path";
import {
  type BuilderPolicy,
  policyToJSON,
  type ReleasePolicies,
  type ReleasePolicy,
  releasePolicyToJSON,
} from "@bulwark/attest";
import type { Key } from "@bulwark/tuf";
import { type Args, type Command, flag, list, str } from "../command.js";
import { CliError, usage } from "../errors.js";
import { EXIT } from "../exit-codes.js";
import {
  checkIndependent,
  policiesIn,
  policiesJson,
  policyJsonIn,
  policyRows,
  readBuilderKey,
  writePolicies,
} from "../release-policy.js";
import { RepoDir } from "../store/repo-dir.js";
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

/** The policies with this command's change applied. */
function changed(before: ReleasePolicies, a: Args, builders: BuilderPolicy[]): ReleasePolicies {
  const product = str(a, "product");
  let policy: ReleasePolicy | undefined;
  if (!flag(a, "remove")) {
    const threshold = parseCount(str(a, "threshold"), "--threshold", builders.length) as number;
    policy = { builders, threshold, require: { artifactSha256: true, sourceDigest: true } };
  }
  if (product === undefined) return { products: before.products, default: policy };
  const products = new Map(before.products);
  if (policy === undefined) products.delete(product);
  else products.set(product, policy);
  return { products, default: before.default };
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
    if (flag(a, "remove") && (builders.length > 0 || str(a, "threshold") !== undefined)) {
      throw usage("--remove takes no --builder or --threshold");
    }
    if (!flag(a, "remove") && (builders.length === 0 || str(a, "threshold") === undefined)) {
      throw usage("give --builder ID=KEYFILE for each builder, and --threshold K");
    }
    const repoDir = await RepoDir.open(dirArg, ctx);
    return repoDir.locked(async () => {
      const repo = await repoDir.load();
      const next = changed(policiesIn(repo.root.signed), a, builders);
      checkIndependent(repo.root.signed, builders);
      const scope = product ?? "(default)";
      if (policiesJson(next) === policyJsonIn(repo.root.signed)) {
        ctx.out.line(`The policy of ${scope} is already that: nothing to do.`);
        return { data: { scope, changed: false } };
      }
      writePolicies(repo.rotateRoot(), next);
      const staged = await repoDir.stage(repo);
      ctx.out.table(["product", "threshold", "builder", "keys"], policyRows(next));
      const root = printNextSteps(ctx, dirArg, repoDir, repo);
      const policy = product === undefined ? next.default : next.products.get(product);
      return {
        data: {
          scope,
          changed: true,
          policy: policy === undefined ? null : releasePolicyToJSON(policy),
          policies: policyToJSON(next),
          staged,
          ...(root === undefined ? {} : { root }),
        },
      };
    });
  },
};

export default command;
