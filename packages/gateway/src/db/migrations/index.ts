/**
 * Every migration, in order. A new one is a new file `NNNN-name.ts` added at the end of this
 * list; an applied migration is never edited.
 */
import type { Migration } from "../migrate.js";
import { initial } from "./0001-initial.js";
import { tokens } from "./0002-tokens.js";
import { policy } from "./0003-policy.js";

/** The gateway's migrations, numbered 1, 2, 3, … without gaps. */
export const MIGRATIONS: readonly Migration[] = [initial, tokens, policy];
