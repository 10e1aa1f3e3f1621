/**
 * A vendor who publishes with Bulwark (TUF): releases come through `@bulwark/client`, under
 * the root the organisation pinned, so everything an endpoint's client checks is checked
 * here too: threshold signatures, rollback and freeze protection, and, where the root's
 * policies ask for them, the builder quorum and the transparency-log proof.
 */
import { promises as fs } from "node:fs";
import path from "node:path";
import { type ClientEvent, type Release, UpdateClient } from "@bulwark/client";
import { copyHashed } from "@bulwark/publisher";
import { BulwarkError, DownloadError, type Fetcher, syncDirectory } from "@bulwark/tuf";
import type { FetchContext } from "./fetch.js";
import type { Offer, Verification } from "./offer.js";
import { partName } from "./staging.js";
import type { Check, TufSourceConfig } from "./types.js";
import { newestVersion } from "./versions.js";

/** The update client of a TUF source, keeping its metadata under `workDir`. */
export function tufClient(
  config: TufSourceConfig,
  workDir: string,
  fetcher: Fetcher,
  log: (e: ClientEvent) => void,
): UpdateClient {
  return new UpdateClient({
    fetcher,
    name: config.product,
    ...(config.channel === undefined ? {} : { channel: config.channel }),
    ...(config.platform === undefined ? {} : { platform: config.platform }),
    metadataUrl: config.metadataUrl,
    targetsUrl: config.targetsUrl,
    trustedRoot: config.trustedRoot,
    dataDir: path.join(workDir, "tuf", encodeURIComponent(config.id)),
    log,
  });
}

/**
 * The newest release the repository's signed metadata lists (revoked ones left out).
 * @throws {RepositoryError} (of @bulwark/tuf) when the metadata must not be trusted.
 * @throws {DownloadError} when the repository cannot be reached.
 */
export async function tufOffers(config: TufSourceConfig, workDir: string, fetcher: Fetcher): Promise<Offer[]> {
  const events: ClientEvent[] = [];
  const client = tufClient(config, workDir, fetcher, (e) => events.push(e));
  const releases = (await client.releases()).filter((r) => r.revoked === undefined);
  const newest = newestVersion(releases.map((r) => r.version));
  const release = releases.find((r) => r.version === newest);
  if (release === undefined) return [];
  const hashes = Object.fromEntries(release.target.hashes);
  return [
    {
      version: release.version,
      declared: JSON.stringify([release.target.path, release.target.length, hashes]),
      verify: (ctx) => fetchRelease(client, release, events, ctx),
    },
  ];
}

async function fetchRelease(
  client: UpdateClient,
  release: Release,
  events: ClientEvent[],
  ctx: FetchContext,
): Promise<Verification> {
  events.length = 0;
  const artifact = release.target.path;
  let file: string;
  try {
    file = await client.download(release);
  } catch (error) {
    // A transport failure is tried again next poll; anything else is the release refused.
    if (!(error instanceof BulwarkError) || error instanceof DownloadError) throw error;
    return {
      artifacts: [],
      checks: [
        { check: "tuf-refused", ok: false, strength: "strong", artifact, detail: `${error.code}: ${error.message}` },
      ],
    };
  }
  const staged = await stageCopy(file, ctx.stagingDir);
  const checks: Check[] = [
    {
      check: "tuf-signed",
      ok: true,
      strength: "strong",
      artifact,
      detail: `${artifact} (${release.target.length} bytes) matches its length and hashes in targets metadata signed by a threshold of keys under the pinned root`,
    },
  ];
  for (const e of events) {
    if (e.event === "builds-verified")
      checks.push({ check: "build-quorum", ok: true, strength: "strong", artifact, detail: e.message });
    if (e.event === "release-logged")
      checks.push({ check: "transparency-log", ok: true, strength: "strong", artifact, detail: e.message });
  }
  const name = artifact.slice(artifact.lastIndexOf("/") + 1);
  return {
    artifacts: [{ name, url: artifact, role: "installer", ...staged }],
    checks,
  };
}

/** Copies a verified download into the staging folder under its SHA-256: read once, hashed on the way. */
async function stageCopy(file: string, dir: string): Promise<{ size: number; sha256: string; file: string }> {
  await fs.mkdir(dir, { recursive: true });
  const part = partName(dir);
  const { length, sha256 } = await copyHashed(file, part, path.basename(file), undefined);
  const target = path.join(dir, sha256);
  await fs.rename(part, target);
  await syncDirectory(dir);
  return { size: length, sha256, file: target };
}
