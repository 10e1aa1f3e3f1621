/**
 * The JSON Schemas of the config files a user edits by hand, as `npm run schemas`
 * writes them to `schemas/` (and a test checks the committed copies against): one per
 * file, made by zod from the very schema Bulwark parses the file with.
 */

import { GATEWAY_CONFIG_SCHEMA, GATEWAY_CONFIG_SCHEMA_FILE } from "@bulwark/gateway";
import {
  configJsonSchema,
  LOG_CONFIG_SCHEMA,
  LOG_CONFIG_SCHEMA_FILE,
  REPO_CONFIG_SCHEMA,
  REPO_CONFIG_SCHEMA_FILE,
  WITNESS_CONFIG_SCHEMA,
  WITNESS_CONFIG_SCHEMA_FILE,
} from "@bulwark/publisher";
import type { z } from "zod";
import { AGENT_CONFIG_SCHEMA, AGENT_CONFIG_SCHEMA_FILE } from "./agent/config.js";

/** One config file's schema: the file it is written to, a title, and the zod schema. */
interface ConfigSchema {
  readonly file: string;
  readonly title: string;
  readonly description: string;
  readonly schema: z.ZodType;
}

/** The config files, in the order the docs list them. */
export const CONFIG_SCHEMAS: readonly ConfigSchema[] = [
  {
    file: REPO_CONFIG_SCHEMA_FILE,
    title: "bulwark.json",
    description:
      "A Bulwark repository's settings: expiry per role, re-signing windows, hashed bins, keys, the release log.",
    schema: REPO_CONFIG_SCHEMA,
  },
  {
    file: AGENT_CONFIG_SCHEMA_FILE,
    title: "Bulwark agent configuration",
    description: "The configuration of `bulwark agent` (docs/agent.md).",
    schema: AGENT_CONFIG_SCHEMA,
  },
  {
    file: LOG_CONFIG_SCHEMA_FILE,
    title: "log.json",
    description: "A release-log folder's origin, verifier key and key file (`bulwark log init`).",
    schema: LOG_CONFIG_SCHEMA,
  },
  {
    file: WITNESS_CONFIG_SCHEMA_FILE,
    title: "witness.json",
    description: "A witness folder's name, verifier key and key file (`bulwark witness init`).",
    schema: WITNESS_CONFIG_SCHEMA,
  },
  {
    file: GATEWAY_CONFIG_SCHEMA_FILE,
    title: "gateway.json",
    description:
      "A gateway folder's audit-trail origin, verifier key and the paths of its key, database, blobs and trail (`bulwark gateway init`).",
    schema: GATEWAY_CONFIG_SCHEMA,
  },
];

/** The text of each schema file (JSON Schema draft 2020-12), by file name. */
export function configSchemaFiles(): Map<string, string> {
  return new Map(
    CONFIG_SCHEMAS.map(({ file, title, description, schema }) => {
      const { $schema, ...rest } = configJsonSchema(schema);
      return [file, `${JSON.stringify({ $schema, title, description, ...rest }, null, 2)}\n`];
    }),
  );
}
