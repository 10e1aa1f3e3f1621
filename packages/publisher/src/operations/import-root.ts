/**
 * Importing offline root signatures: a root exported from the repository, signed where the
 * root keys are kept, and brought back. Its signatures join the staged root only when its
 * signed part is byte for byte the staged root's and each verifies with a root key.
 */
import { Metadata, MetadataFormatError, type Root } from "@bulwark/tuf";
import { PUBLISHER_ERRORS, PublisherError } from "../errors.js";
import type { PublisherOptions } from "../options.js";
import { withRepository } from "./open.js";

/** Where one root (the current or the new) stands after an import. */
export interface RootThreshold {
  readonly root: "current" | "new";
  readonly version: number;
  readonly threshold: number;
  /** Root keys whose signatures the staged root holds. */
  readonly signed: readonly string[];
  readonly unsigned: readonly string[];
  /** Whether the threshold is met, counting keys here that sign at publish. */
  readonly met: boolean;
  /** Unsigned root keys whose private half is here: they sign at publish. */
  readonly signedHereAtPublish: readonly string[];
}

/** What {@link importRootSignatures} did. */
export interface ImportResult {
  /** The staged root's version. */
  readonly version: number;
  /** Key IDs whose signatures were added. */
  readonly imported: readonly string[];
  /** Key IDs of signatures that are not root keys here, ignored. */
  readonly ignored: readonly string[];
  /** Whether a publish can now meet both thresholds. */
  readonly ready: boolean;
  readonly thresholds: readonly RootThreshold[];
}

function parseRoot(bytes: Uint8Array, label: string): Metadata<Root> {
  try {
    return Metadata.fromBytes(bytes, "root");
  } catch (cause) {
    if (!(cause instanceof MetadataFormatError)) throw cause;
    throw new PublisherError(PUBLISHER_ERRORS.BAD_ROOT_FILE, `${label} is not root metadata: ${cause.message}`, {
      cause,
    });
  }
}

/**
 * Adds the signatures of `bytes` (a signed copy of the staged root; `label` names it in
 * messages) to the staged root, and says how many of the current and the new root's
 * thresholds are met. Any later change to root drops them.
 * @throws {PublisherError} `BAD_ROOT_FILE`, `NO_STAGED_ROOT`, `ROOT_MISMATCH` when its signed
 *   part differs, `BAD_SIGNATURE` when a root key's signature does not verify (nothing is
 *   imported then).
 */
export async function importRootSignatures(
  dir: string,
  bytes: Uint8Array,
  label: string,
  options: PublisherOptions = {},
): Promise<ImportResult> {
  const signedFile = parseRoot(bytes, label);
  return withRepository(dir, options, async (repoDir, repo) => {
    const next = repo.stagedRoot();
    const previous = repo.publishedRoot();
    if (next === undefined || previous === undefined) {
      throw new PublisherError(PUBLISHER_ERRORS.NO_STAGED_ROOT, "root has no staged change to import signatures into", {
        hint: "it may be published already (`bulwark key list` shows the current root)",
      });
    }
    const signedBytes = next.signedBytes();
    // The signatures must be over exactly the staged root: the same canonical bytes.
    if (!signedFile.signedBytes().equals(signedBytes)) {
      throw new PublisherError(
        PUBLISHER_ERRORS.ROOT_MISMATCH,
        `${label} (root version ${signedFile.signed.version}) is not the staged root version ${next.signed.version}: its signed part differs`,
        { hint: "root changed after it was exported: export it again and sign the new file" },
      );
    }
    const rootKeyIds = new Set([...previous.signed.role("root").keyids, ...next.signed.role("root").keyids]);
    const imported: string[] = [];
    const ignored: string[] = [];
    for (const [keyId, sig] of signedFile.signatures) {
      const key = next.signed.keys.get(keyId) ?? previous.signed.keys.get(keyId);
      if (key === undefined || !rootKeyIds.has(keyId)) {
        ignored.push(keyId);
        continue;
      }
      if (!key.verify(signedBytes, sig.sig)) {
        throw new PublisherError(
          PUBLISHER_ERRORS.BAD_SIGNATURE,
          `the signature by root key ${keyId.slice(0, 12)} in ${label} does not verify; nothing was imported`,
          { hint: "the file was changed after signing, or signed with another key under this key ID: sign it again" },
        );
      }
      if (next.signatures.get(keyId)?.sig !== sig.sig) imported.push(keyId);
      next.signatures.set(keyId, sig);
    }
    await repoDir.stage(repo);
    // Root keys whose private half is here sign at publish; offline ones only through import.
    const here = new Set(repoDir.config.keys.filter((e) => !("offline" in e)).map((e) => e.id));
    const thresholds = (
      [
        ["current", previous],
        ["new", next],
      ] as const
    ).map(([root, md]): RootThreshold => {
      const count = Metadata.countSignatures(md.signed.keys, md.signed.role("root"), next, signedBytes);
      const atPublish = count.unsigned.filter((id) => here.has(id));
      return {
        root,
        version: md.signed.version,
        threshold: count.threshold,
        signed: count.signed,
        unsigned: count.unsigned,
        met: count.signed.length + atPublish.length >= count.threshold,
        signedHereAtPublish: atPublish,
      };
    });
    return {
      version: next.signed.version,
      imported,
      ignored,
      ready: thresholds.every((s) => s.met),
      thresholds,
    };
  });
}
