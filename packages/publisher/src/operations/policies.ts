/**
 * Changing the policies in root: the release policy (verified builds) and the
 * transparency-log policy. Each change is a new root version, staged; publishing it needs
 * the root keys' signatures, so a stolen online key cannot change either.
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
import type { PublisherOptions } from "../options.js";
import { checkIndependent } from "../release-policy.js";
import type { LogConfig } from "../store/config.js";
import type { StagedChange } from "./keys.js";
import { withRepository } from "./open.js";
import { rootStatus } from "./roles.js";

/** What a policy change did; `changed` is false when the next root already had it. */
export type PolicyChange<T> = { readonly changed: boolean } & Partial<StagedChange> & T;

/**
 * Sets the release policy of `product` (undefined: the default for products without
 * one), or removes it (`policy` undefined), in the next root.
 * @throws {PublisherError} `BUILDER_KEY_IS_REPOSITORY_KEY`, `BAD_POLICY` when the policies
 *   would not read back (a key shared by two builders, ...); {@link AttestError}
 *   `ATTEST_BAD_POLICY` when the current root's policy does not parse.
 */
export async function setReleasePolicy(
  dir: string,
  change: { readonly product?: string | undefined; readonly policy: ReleasePolicy | undefined },
  options: PublisherOptions = {},
): Promise<PolicyChange<{ readonly policies: ReleasePolicies }>> {
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
      return { changed: false, policies: next };
    try {
      writeReleasePolicies(repo.rotateRoot(), next);
    } catch (error) {
      if (!(error instanceof AttestError)) throw error;
      throw new PublisherError(PUBLISHER_ERRORS.BAD_POLICY, error.message, { cause: error });
    }
    const staged = await repoDir.stage(repo);
    const root = rootStatus(repoDir, repo);
    return { changed: true, policies: next, staged, ...(root === undefined ? {} : { root }) };
  });
}

/**
 * Sets the transparency-log policy of the next root (`policy` undefined removes it). With
 * `logDir` (a log folder), bulwark.json records it for publishing.
 */
export async function setLogPolicy(
  dir: string,
  change: { readonly policy: LogPolicy | undefined; readonly logDir?: string | undefined },
  options: PublisherOptions = {},
): Promise<PolicyChange<{ readonly log?: LogConfig; readonly logConfigured: boolean }>> {
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
    const recorded = { ...(log ? { log } : {}), logConfigured: repoDir.config.log !== undefined };
    if (logPolicyJson(policy) === logPolicyJsonIn(repo.root.signed)) return { changed: false, ...recorded };
    writeLogPolicy(repo.rotateRoot(), policy);
    const staged = await repoDir.stage(repo);
    const root = rootStatus(repoDir, repo);
    return { changed: true, ...recorded, staged, ...(root === undefined ? {} : { root }) };
  });
}
