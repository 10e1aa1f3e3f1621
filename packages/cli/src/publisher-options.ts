/**
 * What the CLI gives the publisher library: passphrases from the environment
 * (BULWARK_PASSPHRASE_<ROLE>, then BULWARK_PASSPHRASE) or a prompt, asked twice for a new
 * key; progress bars on stderr; its clock, folder and interrupt signal.
 */
import {
  type PassphraseCallback,
  Passphrases,
  type ProgressEvent,
  type PublisherOptions,
  passphraseVariable,
} from "@bulwark/publisher";
import type { Context } from "./command.js";
import { CliError } from "./errors.js";
import { EXIT } from "./exit-codes.js";
import { Progress } from "./ui/progress.js";

/** Passphrases from the environment, else a prompt (twice for a new key). */
export function cliPassphrase(ctx: Pick<Context, "env" | "prompt">): PassphraseCallback {
  return async (role, purpose) => {
    const fromEnv = ctx.env[passphraseVariable(role)] ?? ctx.env.BULWARK_PASSPHRASE;
    if (fromEnv !== undefined && fromEnv !== "") return fromEnv;
    const value = await ctx.prompt.secret(`Passphrase for the ${role} keys: `);
    if (purpose === "create" && (await ctx.prompt.secret("Again: ")) !== value) {
      throw new CliError("PASSPHRASE_MISMATCH", "the passphrases differ", EXIT.USAGE);
    }
    return value;
  };
}

/** The passphrases of one command, for keys outside a repository (sign, attest, log, witness). */
export function cliPassphrases(ctx: Pick<Context, "env" | "prompt">): Passphrases {
  return new Passphrases(cliPassphrase(ctx));
}

/** Files smaller than this are hashed or copied in a blink: no progress for them. */
export const PROGRESS_MIN_BYTES = 2 ** 20;

/**
 * Progress on stderr, one bar per hashed or copied file of at least
 * {@link PROGRESS_MIN_BYTES}, as the run's progress mode says.
 */
function progressBars(ctx: Context): ((event: ProgressEvent) => void) | undefined {
  const mode = ctx.out.progress;
  if (mode === "off") return undefined;
  const bars = new Map<string, Progress>();
  return (event) => {
    if (event.phase === "start") {
      if (event.total < PROGRESS_MIN_BYTES) return;
      bars.set(event.label, new Progress(ctx.out.streams.stderr, event.label, event.total, mode));
    } else if (event.phase === "advance") bars.get(event.label)?.tick(event.bytes);
    else {
      bars.get(event.label)?.finish();
      bars.delete(event.label);
    }
  };
}

/** The options every publisher call gets from a command's context. */
export function publisherOptions(ctx: Context): PublisherOptions {
  const onProgress = progressBars(ctx);
  return {
    passphrase: cliPassphrase(ctx),
    now: ctx.now,
    cwd: ctx.cwd,
    signal: ctx.signal,
    ...(onProgress ? { onProgress } : {}),
  };
}
