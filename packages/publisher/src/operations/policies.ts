/**
 * Changing the policies in root: the release policy (verified builds) and the
 * transparency-log policy. Each change is a new root version, staged; publishing it needs
 * the root keys' signatures, so a stolen online key cannot change either.
 *
 * By default the same root version also replaces every online key (targets, snapshot,
 * timestamp). An app that bundles an older root, served a 404 for the next one, would
 * otherwise go on trusting whatever the old online keys sign, with none of the new
 * policy's checks (the withheld root update). Once they are rotated, the old keys sign
 * nothing a client holding the new root accepts, and a client that requires the policies
 * (`requirePolicies`, `minRootVersion`) refuses the old root outright.
 */
import path from "node:path";
import {
  AttestError,
  NO_POLICIES,
  type ReleasePolicies,
  type ReleasePolicy,
  releasePoliciesJson,
  releasePoliciesJsonIn,
  releasePoliciesOf,
  writeReleasePolicies,
} from "@bulwark/attest";
import { type LogPolicy, logPolicyJson, logPolicyJsonIn, writeLogPolicy } from "@bulwark/tlog";
import { PUBLISHER_ERRORS, PublisherError } from "../errors.js";
import { type UnloggedRelease, unloggedReleases } from "../log/backfill.js";
import type { PublisherOptions } from "../options.js";
import { checkIndependent } from "../release-policy.js";
import type { LogConfig } from "../store/config.js";
import type { RepoDir } from "../store/repo-dir.js";
import { type UnattestedRelease, unattestedReleases } from "../verified-builds.js";
import { type RotatedKey, rotateKeyIn, type StagedChange } from "./keys.js";
import { withRepository } from "./open.js";
import { keysOfRole, rootStatus } from "./roles.js";

/** The roles whose keys sign online (and a compromised CI holds): rotated with a policy change. */
export const ONLINE_ROLES = ["targets", "snapshot", "timestamp"] as const;

/** How a policy change treats the online keys. */
export interface OnlineKeysOption {
  /**
   * Replace every online key in the same root version (default true): new keys are
   * generated, encrypted, under the repository's `keys/` folder, with passphrases from the
   * caller's callback. False keeps them, leaving clients that miss the new root exposed.
   */
  readonly rotateOnlineKeys?: boolean | undefined;
}

/**
 * What a policy change did; `changed` is false when the next root already had it.
 * `rotated` lists the online keys replaced in the same root version (none when kept).
 */
export type PolicyChange<T> = {
  readonly changed: boolean;
  readonly rotated: readonly RotatedKey[];
  /** Online roles whose key also signs root (a `--single-key` repository): not rotated, it would gain nothing. */
  readonly sharedWithRoot?: readonly string[];
} & Partial<StagedChange> &
  T;

/**
 * Replaces every key of the online roles by a generated one of the same scheme, in the
 * staged root. A key that also signs root is kept (whoever stole it can sign root too);
 * keys held elsewhere (an external signer, offline) are not replaced here.
 * @throws {PublisherError} `ONLINE_KEY_ELSEWHERE` naming such a key, before anything changes.
 */
async function rotateOnlineKeys(
  repoDir: RepoDir,
  repo: Parameters<typeof rootStatus>[1],
): Promise<{ rotated: RotatedKey[]; sharedWithRoot: string[] }> {
  const rootKeys = keysOfRole(repo, "root").keyids;
  const online = ONLINE_ROLES.flatMap((role) => keysOfRole(repo, role).keyids.map((keyId) => ({ role, keyId })));
  const keys = online.filter((k) => !rootKeys.includes(k.keyId));
  const sharedWithRoot = [...new Set(online.filter((k) => rootKeys.includes(k.keyId)).map((k) => k.role))];
  for (const { role, keyId } of keys) {
    const entry = repoDir.config.keys.find((e) => e.id === keyId);
    if (entry !== undefined && "file" in entry) continue;
    throw new PublisherError(
      PUBLISHER_ERRORS.ONLINE_KEY_ELSEWHERE,
      `the ${role} key ${keyId.slice(0, 12)} is ${entry === undefined ? "not here" : "held elsewhere"}: a policy change replaces the online keys, and this one cannot be generated here`,
      {
        hint: `replace it with \`bulwark key rotate DIR --role ${role} ${keyId.slice(0, 12)} --external-command CMD --public-key FILE\`, then change the policy with --keep-online-keys`,
      },
    );
  }
  const rotated: RotatedKey[] = [];
  for (const { role, keyId } of keys) {
    rotated.push(
      await rotateKeyIn(repoDir, repo, {
        role,
        keyId,
        source: (scheme) => ({ generate: scheme ?? "ed25519", keyDir: repoDir.paths.keys }),
      }),
    );
  }
  return { rotated, sharedWithRoot };
}

/** Stages a root that changed, rotating the online keys unless told not to; what to report. */
async function stageRoot(repoDir: RepoDir, repo: Parameters<typeof rootStatus>[1], option: OnlineKeysOption) {
  const keys = option.rotateOnlineKeys === false ? undefined : await rotateOnlineKeys(repoDir, repo);
  const staged = await repoDir.stage(repo);
  const root = rootStatus(repoDir, repo);
  const shared = keys === undefined || keys.sharedWithRoot.length === 0 ? {} : { sharedWithRoot: keys.sharedWithRoot };
  return { changed: true, rotated: keys?.rotated ?? [], ...shared, staged, ...(root === undefined ? {} : { root }) };
}

/**
 * Sets the release policy of `product` (undefined: the default for products without
 * one), or removes it (`policy` undefined), in the next root, and replaces the online keys
 * in it (see {@link OnlineKeysOption}).
 * @throws {PublisherError} `BUILDER_KEY_IS_REPOSITORY_KEY`, `BAD_POLICY` when the policies
 *   would not read back (a key shared by two builders, ...), `ONLINE_KEY_ELSEWHERE`; the key
 *   store's errors; {@link AttestError} `ATTEST_BAD_POLICY` when the current root's policy
 *   does not parse.
 */
export async function setReleasePolicy(
  dir: string,
  change: {
    readonly product?: string | undefined;
    readonly policy: ReleasePolicy | undefined;
    /**
     * Set the policy even though listed releases lack attestations that satisfy it (they
     * are reported in `unattested`: clients trusting the new root refuse them).
     */
    readonly allowUnattestedExisting?: boolean | undefined;
  } & OnlineKeysOption,
  options: PublisherOptions = {},
): Promise<PolicyChange<{ readonly policies: ReleasePolicies; readonly unattested: readonly UnattestedRelease[] }>> {
  const { product, policy } = change;
  return withRepository(dir, options, async (repoDir, repo) => {
    const before = releasePoliciesOf(repo.root.signed) ?? NO_POLICIES;
    const products = new Map(before.products);
    if (product !== undefined) {
      if (policy === undefined) products.delete(product);
      else products.set(product, policy);
    }
    const next: ReleasePolicies =
      product === undefined ? { products, default: policy } : { products, default: before.default };
    checkIndependent(repo.root.signed, policy?.builders ?? []);
    if (releasePoliciesJson(next) === releasePoliciesJsonIn(repo.root.signed))
      return { changed: false, rotated: [], policies: next, unattested: [] };
    // The releases endpoints are offered must stay installable under the new policy.
    const governed = (p: string, of: ReleasePolicies) => of.products.get(p) ?? of.default;
    const unattested = await unattestedReleases(repoDir, repo, next, (p) => governed(p, next) !== governed(p, before));
    if (unattested.length > 0 && change.allowUnattestedExisting !== true) {
      throw new PublisherError(
        PUBLISHER_ERRORS.UNATTESTED_RELEASES,
        `${unattested.length} listed release file(s) lack attestations that satisfy the new policy, and every client that trusts the new root would refuse them: ${unattested.map((u) => `${u.name} ${u.version} (${u.path}: ${u.reason})`).join("; ")}`,
        {
          hint: "set the policy with --allow-unattested-existing, then, before publishing, `bulwark release add` each of them again (same file) with its builders' --attestation files, or revoke them with `bulwark release revoke`",
        },
      );
    }
    try {
      writeReleasePolicies(repo.rotateRoot(), next);
    } catch (error) {
      if (!(error instanceof AttestError)) throw error;
      throw new PublisherError(PUBLISHER_ERRORS.BAD_POLICY, error.message, { cause: error });
    }
    return { ...(await stageRoot(repoDir, repo, change)), policies: next, unattested };
  });
}

/**
 * Sets the transparency-log policy of the next root (`policy` undefined removes it), and
 * replaces the online keys in it (see {@link OnlineKeysOption}). With `logDir` (a log
 * folder), bulwark.json records it for publishing.
 * @throws {PublisherError} `ONLINE_KEY_ELSEWHERE`; the key store's errors.
 */
export async function setLogPolicy(
  dir: string,
  change: { readonly policy: LogPolicy | undefined; readonly logDir?: string | undefined } & OnlineKeysOption,
  options: PublisherOptions = {},
): Promise<
  PolicyChange<{
    readonly log?: LogConfig;
    readonly logConfigured: boolean;
    /** Listed, published releases without a proof that satisfies the policy: the next publish logs them. */
    readonly unlogged: readonly UnloggedRelease[];
  }>
> {
  const { policy, logDir } = change;
  return withRepository(dir, options, async (repoDir, repo) => {
    let log: LogConfig | undefined;
    if (logDir !== undefined) {
      const relative = path.relative(repoDir.dir, path.resolve(options.cwd ?? process.cwd(), logDir)) || ".";
      if (repoDir.config.log?.dir !== relative) {
        log = { dir: relative, witnesses: repoDir.config.log?.witnesses ?? [] };
        await repoDir.saveConfig({ ...repoDir.config, log });
      }
    }
    const unlogged = policy === undefined ? [] : await unloggedReleases(repoDir, repo, policy);
    const recorded = { ...(log ? { log } : {}), logConfigured: repoDir.config.log !== undefined, unlogged };
    if (logPolicyJson(policy) === logPolicyJsonIn(repo.root.signed))
      return { changed: false, rotated: [], ...recorded };
    writeLogPolicy(repo.rotateRoot(), policy);
    return { ...(await stageRoot(repoDir, repo, change)), ...recorded };
  });
}
