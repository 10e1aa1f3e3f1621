/**
 * What a feed offers for one version, and how its files are checked once fetched. Each
 * feed kind turns its document into {@link Offer}s; the checks below are the same for all.
 */
import type { KeyObject } from "node:crypto";
import { promises as fs } from "node:fs";
import { DownloadLengthMismatchError } from "@bulwark/tuf";
import { type FetchContext, fetchSideFile, type StagedFile, stageArtifact } from "./fetch.js";
import { signatureBytes, verifySignature } from "./keys.js";
import { writeStaged } from "./staging.js";
import type { Check, FetchedArtifact, SignatureAlgorithm } from "./types.js";

/** What the feed says a file must be. */
export type Expectation =
  /** electron-updater: the sha512 (base64) from the unsigned feed. */
  | { readonly check: "sha512"; readonly base64: string }
  /** Squirrel: the SHA-1 (hex) from the unsigned RELEASES file. */
  | { readonly check: "sha1"; readonly hex: string }
  /** A plain URL: the SHA-256 the organisation pinned. */
  | { readonly check: "sha256-pinned"; readonly hex: string }
  /** Sparkle: `sparkle:edSignature` under the app's key. */
  | { readonly check: "sparkle-ed25519"; readonly signature: string | undefined; readonly key: KeyObject }
  /** A detached signature file under the key the organisation gave. */
  | {
      readonly check: "detached-signature";
      readonly url: string;
      readonly algorithm: SignatureAlgorithm;
      readonly key: KeyObject;
    };

/** One file a feed lists for a version. */
export interface OfferedFile {
  readonly name: string;
  readonly url: string;
  /** The size the feed gives, when it gives one (then also the download bound). */
  readonly size?: number;
  /** How much the feed's size is worth (`integrity-only` for electron, `weak` beside Squirrel's SHA-1). */
  readonly sizeStrength?: Check["strength"];
  readonly expect: readonly Expectation[];
  /** Fetch `<url>.blockmap` too (electron-builder's differential-update map), when the server has it. */
  readonly blockmap?: boolean;
}

/** What checking an offer found. */
export interface Verification {
  readonly artifacts: readonly FetchedArtifact[];
  readonly checks: readonly Check[];
}

/** One version a feed offers. */
export interface Offer {
  readonly version: string;
  /**
   * What the feed declares for this version, in a stable form: the same text again is the
   * same release, which is never fetched twice.
   */
  readonly declared: string;
  /** Fetches and checks the version's files. */
  verify(ctx: FetchContext): Promise<Verification>;
}

/** The {@link Offer} of a version whose files are listed by a feed. */
export function fileOffer(version: string, files: readonly OfferedFile[]): Offer {
  const declared = JSON.stringify(
    files.map((f) => [
      f.name,
      f.url,
      f.size ?? null,
      f.expect.map((e) =>
        e.check === "sha512"
          ? [e.check, e.base64]
          : e.check === "sha1" || e.check === "sha256-pinned"
            ? [e.check, e.hex]
            : e.check === "sparkle-ed25519"
              ? [e.check, e.signature ?? null]
              : [e.check, e.url],
      ),
    ]),
  );
  return {
    version,
    declared,
    verify: async (ctx) => {
      const artifacts: FetchedArtifact[] = [];
      const checks: Check[] = [];
      for (const f of files) {
        const staged = await stageOrRefuse(ctx, f, checks);
        if (staged === undefined) continue;
        artifacts.push({ name: f.name, url: f.url, role: "installer", ...pick(staged) });
        checks.push(...(await checkStaged(ctx, f, staged)));
        if (f.blockmap === true) {
          const map = await stageBlockmap(ctx, `${f.url}.blockmap`);
          if (map !== undefined) artifacts.push({ name: `${f.name}.blockmap`, url: `${f.url}.blockmap`, ...map });
        }
      }
      return { artifacts, checks };
    },
  };
}

function pick(s: StagedFile): Pick<FetchedArtifact, "size" | "sha256" | "file"> {
  return { size: s.size, sha256: s.sha256, file: s.file };
}

/** Stages `f`; a file longer than the feed's size is a failed size check, not a fetch failure. */
async function stageOrRefuse(ctx: FetchContext, f: OfferedFile, checks: Check[]): Promise<StagedFile | undefined> {
  try {
    return await stageArtifact(ctx, f.url, f.size ?? ctx.limits.maxArtifactBytes);
  } catch (error) {
    if (f.size === undefined || !((error as Error).cause instanceof DownloadLengthMismatchError)) throw error;
    checks.push({
      check: "size",
      ok: false,
      strength: f.sizeStrength ?? "integrity-only",
      artifact: f.name,
      detail: `the feed gives ${f.size} bytes; the server sent more (the download was stopped there)`,
    });
    return undefined;
  }
}

async function stageBlockmap(
  ctx: FetchContext,
  url: string,
): Promise<Omit<FetchedArtifact, "name" | "url"> | undefined> {
  const bytes = await fetchSideFile(ctx, url);
  if (bytes === undefined) return undefined;
  // The blockmap is small; it is staged like any file so the gateway can serve it on.
  return { role: "blockmap", ...(await writeStaged(ctx.stagingDir, bytes)) };
}

/** The checks of a staged file against what its feed (or the source's configuration) says it must be. */
export async function checkStaged(
  ctx: FetchContext,
  f: Pick<OfferedFile, "name" | "url" | "size" | "sizeStrength" | "expect">,
  staged: StagedFile,
): Promise<Check[]> {
  const checks: Check[] = [];
  const at = { artifact: f.name };
  if (f.size !== undefined) {
    checks.push({
      check: "size",
      ok: staged.size === f.size,
      strength: f.sizeStrength ?? "integrity-only",
      ...at,
      detail: `the feed gives ${f.size} bytes; ${staged.size} arrived`,
    });
  }
  if (f.expect.length === 0) {
    checks.push({
      check: "no-check",
      ok: false,
      strength: "integrity-only",
      ...at,
      detail: "the feed gives neither a hash nor a signature for this file: nothing verifies it",
    });
  }
  for (const e of f.expect) {
    switch (e.check) {
      case "sha512":
        checks.push({
          check: "sha512",
          ok: staged.sha512 === e.base64,
          strength: "integrity-only",
          ...at,
          detail: `sha512 from the unsigned feed ${e.base64}; of the bytes ${staged.sha512} (catches corruption, not a server that changes both)`,
        });
        break;
      case "sha1":
        checks.push({
          check: "sha1",
          ok: staged.sha1 === e.hex.toLowerCase(),
          strength: "weak",
          ...at,
          detail: `SHA-1 from the unsigned RELEASES file ${e.hex.toLowerCase()}; of the bytes ${staged.sha1} (SHA-1 collisions are practical, and the file is unsigned)`,
        });
        break;
      case "sha256-pinned":
        checks.push({
          check: "sha256-pinned",
          ok: staged.sha256 === e.hex.toLowerCase(),
          strength: "strong",
          ...at,
          detail: `SHA-256 pinned when the source was added ${e.hex.toLowerCase()}; of the bytes ${staged.sha256}`,
        });
        break;
      case "sparkle-ed25519":
        checks.push(await sparkleCheck(e.signature, e.key, staged, f.name));
        break;
      case "detached-signature":
        checks.push(await detachedCheck(ctx, e, staged, f.name));
        break;
    }
  }
  return checks;
}

async function readStaged(staged: StagedFile): Promise<Buffer> {
  return fs.readFile(staged.file);
}

async function sparkleCheck(
  signature: string | undefined,
  key: KeyObject,
  staged: StagedFile,
  artifact: string,
): Promise<Check> {
  const base = { check: "sparkle-ed25519", strength: "strong" as const, artifact };
  if (signature === undefined)
    return { ...base, ok: false, detail: "the enclosure has no sparkle:edSignature: the update is unsigned" };
  const sig = Buffer.from(signature, "base64");
  const ok = sig.length === 64 && verifySignature("ed25519", key, await readStaged(staged), sig);
  return {
    ...base,
    ok,
    detail: ok
      ? `sparkle:edSignature ${signature} verifies under the app's EdDSA key`
      : `sparkle:edSignature ${signature.slice(0, 24)}… does not verify under the app's EdDSA key given when the source was added`,
  };
}

async function detachedCheck(
  ctx: FetchContext,
  e: Extract<Expectation, { check: "detached-signature" }>,
  staged: StagedFile,
  artifact: string,
): Promise<Check> {
  const base = { check: "detached-signature", strength: "strong" as const, artifact };
  const file = await fetchSideFile(ctx, e.url);
  if (file === undefined) return { ...base, ok: false, detail: `no signature at ${e.url} (HTTP 404): unsigned` };
  const data = await readStaged(staged);
  const ok =
    verifySignature(e.algorithm, e.key, data, signatureBytes(file)) || verifySignature(e.algorithm, e.key, data, file);
  return {
    ...base,
    ok,
    detail: `${e.algorithm} signature from ${e.url} ${ok ? "verifies" : "does not verify"} under the key given when the source was added`,
  };
}
