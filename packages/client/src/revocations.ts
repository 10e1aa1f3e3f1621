/**
 * Revocations the client has seen, kept in its journal. The kill switch is a field of the
 * signed target entry (`custom.bulwark.revoked`), which the online keys sign: whoever holds
 * them can re-sign the metadata without it (un-revoked release). A client that saw a
 * version revoked keeps it revoked, so only endpoints that never saw the revocation can be
 * offered it again (the release log is what makes hiding it visible).
 */
import type { RevokedVersion } from "./journal.js";
import type { Release } from "./release.js";

/**
 * Most revocations remembered. Past it the oldest seen are forgotten: a repository would
 * have to list and revoke this many versions, in signed metadata, to push one out.
 */
export const MAX_REMEMBERED_REVOCATIONS = 1000;

/** Longest revocation reason kept (reasons come from the repository). */
export const MAX_REVOCATION_REASON_LENGTH = 200;

/** The remembered revocation of `version`, if any. */
export function rememberedRevocation(
  known: readonly RevokedVersion[] | undefined,
  version: string | undefined,
): RevokedVersion | undefined {
  return version === undefined ? undefined : known?.find((r) => r.version === version);
}

/**
 * `known` with the revocations in `releases` not yet remembered added, or undefined when
 * there is none to add.
 */
export function rememberRevocations(
  known: readonly RevokedVersion[] | undefined,
  releases: readonly Release[],
  now: Date,
): RevokedVersion[] | undefined {
  const list = [...(known ?? [])];
  let added = false;
  for (const r of releases) {
    if (r.revoked === undefined || list.some((k) => k.version === r.version)) continue;
    const { reason, at } = r.revoked;
    list.push({
      version: r.version,
      ...(reason === undefined ? {} : { reason: reason.slice(0, MAX_REVOCATION_REASON_LENGTH) }),
      ...(at === undefined ? {} : { at: at.slice(0, 64) }),
      seenAt: now.toISOString(),
    });
    added = true;
  }
  return added ? list.slice(-MAX_REMEMBERED_REVOCATIONS) : undefined;
}

/**
 * `releases`, each one the client saw revoked marked revoked again (with the reason it was
 * given then); `withdrawn` lists those whose signed metadata no longer says so.
 */
export function applyRememberedRevocations(
  releases: readonly Release[],
  known: readonly RevokedVersion[] | undefined,
): { releases: Release[]; withdrawn: Release[] } {
  const withdrawn: Release[] = [];
  const marked = releases.map((r) => {
    const remembered = rememberedRevocation(known, r.version);
    if (r.revoked !== undefined || remembered === undefined) return r;
    withdrawn.push(r);
    const { reason, at } = remembered;
    return { ...r, revoked: { ...(at === undefined ? {} : { at }), ...(reason === undefined ? {} : { reason }) } };
  });
  return { releases: marked, withdrawn };
}
