import path from "node:path";
import { type BuilderPolicy, policyToJSON, type ReleasePolicy, releasePolicyToJSON } from "@bulwark/attest";
import { type RotatedKey, readBuilderKey, setReleasePolicy } from "@bulwark/publisher";
import type { Key } from "@bulwark/tuf";
import { type Context, defineCommand } from "../command.js";
import { CliError, usage } from "../errors.js";
import { EXIT } from "../exit-codes.js";
import { policyRows, unattestedRows } from "../format/policies.js";
import { publisherOptions } from "../publisher-options.js";
import { parseCount, printNextSteps } from "./key-add.js";

/** The option that keeps the online keys through a policy change (shared with `log policy set`). */
export const KEEP_ONLINE_KEYS_OPTION = {
  name: "keep-online-keys",
  type: "boolean",
  description:
    "do not replace the online keys (targets, snapshot, timestamp) in the same root: apps that miss the new root stay exposed",
} as const;

/** What the commands' help says about the online keys. */
export const ONLINE_KEYS_HELP = `The same root version replaces every online key (targets, snapshot, timestamp) with a
new one, generated and encrypted under DIR/keys/ (passphrases as for \`bulwark key add\`): an
app that still trusts an older root, because a CDN withholds the new one, then accepts
nothing the old online keys sign (the withheld root update). --keep-online-keys opts out.
Keys held by an external signer or offline are not replaced here: rotate them with
\`bulwark key rotate\` first, then pass --keep-online-keys.`;

/** Prints which online keys a policy change replaced (or warns that none were), and where the new ones are. */
export function printRotated(
  ctx: Context,
  r: { readonly rotated: readonly RotatedKey[]; readonly sharedWithRoot?: readonly string[] },
  kept: boolean,
): void {
  const { rotated, sharedWithRoot = [] } = r;
  if (sharedWithRoot.length > 0) {
    ctx.out.warn(
      `the ${sharedWithRoot.join(", ")} key also signs root (--single-key): it is kept, and whoever holds it can sign a new root; use separate online keys in production`,
    );
  }
  if (kept) {
    ctx.out.warn(
      "--keep-online-keys: the online keys stay the same, so an app that is served an older root still accepts what they sign",
    );
    return;
  }
  if (rotated.length === 0) return;
  ctx.out.line("Replaced the online keys in the same root version (the old ones sign nothing it accepts):");
  ctx.out.table(
    ["role", "old key", "new key", "new key file"],
    rotated.map((r) => [r.role, r.revoked.slice(0, 16), r.added.keyId.slice(0, 16), r.added.privateKey]),
  );
  const old = rotated.flatMap((r) => (r.keyFile === undefined ? [] : [r.keyFile]));
  if (old.length > 0) ctx.out.line(`Destroy the old key files once the new root is published: ${old.join(", ")}`);
}

/** `rotated` for `--json`. */
export function rotatedJson(rotated: readonly RotatedKey[]) {
  return rotated.map((r) => ({
    role: r.role,
    revoked: r.revoked,
    added: r.added.keyId,
    scheme: r.added.scheme,
    privateKey: r.added.privateKey,
    ...(r.keyFile === undefined ? {} : { oldKeyFile: r.keyFile }),
  }));
}

/** Reads `--builder ID=KEYFILE` options into builders, in order; one ID may be given several keys. */
async function readBuilders(specs: readonly string[], cwd: string): Promise<BuilderPolicy[]> {
  const builders = new Map<string, Map<string, Key>>();
  for (const spec of specs) {
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

export default defineCommand({
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

Listed releases (in their product's index, not revoked) that the new policy's builders do
not attest would be refused by every client that trusts the new root: the command refuses
the change (UNATTESTED_RELEASES, exit 1), naming each. Re-add them with their builders'
attestations once the policy is staged, or revoke them: give --allow-unattested-existing to
stage the policy anyway (it warns which releases clients will refuse until then).

${ONLINE_KEYS_HELP}

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
    {
      name: "allow-unattested-existing",
      type: "boolean",
      description: "set it although listed releases lack attestations that satisfy it (clients will refuse them)",
    },
    KEEP_ONLINE_KEYS_OPTION,
  ],
  async run({ positionals, options }, ctx) {
    const dirArg = positionals.DIR;
    const { product, threshold, remove, keepOnlineKeys } = options;
    if ((product === undefined) === !options.default) throw usage("give --product NAME or --default");
    const builders = await readBuilders(options.builder, ctx.cwd);
    if (remove && (builders.length > 0 || threshold !== undefined)) {
      throw usage("--remove takes no --builder or --threshold");
    }
    if (!remove && (builders.length === 0 || threshold === undefined)) {
      throw usage("give --builder ID=KEYFILE for each builder, and --threshold K");
    }
    const policy: ReleasePolicy | undefined = remove
      ? undefined
      : {
          builders,
          threshold: parseCount(threshold, "--threshold", builders.length) as number,
          require: { artifactSha256: true, sourceDigest: true },
        };
    const r = await setReleasePolicy(
      dirArg,
      { product, policy, rotateOnlineKeys: !keepOnlineKeys, allowUnattestedExisting: options.allowUnattestedExisting },
      publisherOptions(ctx),
    );
    const scope = product ?? "(default)";
    if (!r.changed) {
      ctx.out.line(`The policy of ${scope} is already that: nothing to do.`);
      return { data: { scope, changed: false } };
    }
    ctx.out.table(["product", "threshold", "builder", "keys"], policyRows(r.policies));
    if (r.unattested.length > 0) {
      ctx.out.warn(
        `--allow-unattested-existing: every client that trusts the new root refuses these ${r.unattested.length} listed release file(s), which lack attestations that satisfy the policy. Before \`repo publish\`, \`bulwark release add\` each again (same file) with its builders' --attestation files, or revoke it:`,
      );
      ctx.out.table(["release", "file", "why"], unattestedRows(r.unattested));
    }
    printRotated(ctx, r, keepOnlineKeys);
    printNextSteps(ctx, dirArg, r.root);
    return {
      data: {
        scope,
        changed: true,
        policy: policy === undefined ? null : releasePolicyToJSON(policy),
        policies: policyToJSON(r.policies),
        unattested: r.unattested,
        staged: r.staged,
        rotated: rotatedJson(r.rotated),
        ...(r.root === undefined ? {} : { root: r.root }),
      },
    };
  },
});
