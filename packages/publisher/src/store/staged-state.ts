/**
 * `DIR/staged/state.json`: the working state between commands — the release files added
 * since the last publish (their bytes in staged/targets/<sha256>), the roles to re-sign,
 * and, after `bulwark repo repair`, the last good published state to build on. Parsed
 * strictly: a corrupt file is an error naming it, never an empty state.
 */
import { z } from "zod";
import { corruptFile, problemOf, type RepairBase } from "./published.js";

/** A target added since the last publish, whose bytes wait in staged/targets/. */
export interface StagedTarget {
  readonly path: string;
  readonly sha256: string;
  readonly length: number;
}

/** The working state. */
export interface StagedState {
  added: StagedTarget[];
  resign: string[];
  base?: RepairBase;
}

const version = z.int().min(1);

const STAGED_STATE_SCHEMA = z.strictObject({
  added: z
    .array(
      z.strictObject({
        path: z.string().min(1),
        sha256: z.string().regex(/^[0-9a-f]{64}$/, "must be a sha256 in lowercase hex"),
        length: z.int().min(0),
      }),
    )
    .default([]),
  resign: z.array(z.string()).default([]),
  base: z
    .strictObject({
      snapshot: z.string().regex(/^(\d+\.)?snapshot\.json$/, "must name a snapshot file"),
      timestampVersion: version,
      snapshotVersion: version,
      roles: z.record(z.string(), version),
    })
    .optional(),
});

/**
 * Parses state.json of repository `dir`.
 * @throws {PublisherError} `CORRUPT_FILE` naming staged/state.json and what is wrong.
 */
export function parseStagedState(dir: string, bytes: Uint8Array): StagedState {
  const file = "staged/state.json";
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(bytes).toString("utf8"));
  } catch (error) {
    throw corruptFile(dir, file, `not valid JSON (${problemOf(error)})`, error);
  }
  const parsed = STAGED_STATE_SCHEMA.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join(".") || "(top)"}: ${i.message}`);
    throw corruptFile(dir, file, issues.join("; "), parsed.error);
  }
  const { added, resign, base } = parsed.data;
  return { added, resign, ...(base === undefined ? {} : { base }) };
}
