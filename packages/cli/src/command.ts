import type { Output } from "./ui/output.js";
import type { Prompter } from "./ui/prompt.js";

/** One option of a command, with the description `--help` prints. */
export interface OptionSpec {
  readonly name: string;
  readonly short?: string;
  readonly type: "string" | "boolean";
  readonly multiple?: boolean;
  /** Shown in `--help` after the option: `--port N`. */
  readonly valueName?: string;
  readonly description: string;
  readonly default?: string | boolean;
}

/** One positional argument. */
export interface PositionalSpec {
  readonly name: string;
  readonly description: string;
  readonly required?: boolean;
  /** Takes every remaining argument. */
  readonly variadic?: boolean;
}

/** Parsed arguments of one invocation. */
export interface Args {
  readonly positionals: Readonly<Record<string, string | string[] | undefined>>;
  readonly options: Readonly<Record<string, string | boolean | string[] | undefined>>;
}

/** What a command gets to work with: output, prompts, environment and clock. */
export interface Context {
  readonly out: Output;
  readonly prompt: Prompter;
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
  readonly now: () => number;
  /** Aborted on SIGINT/SIGTERM, for long-running commands such as `serve`. */
  readonly signal: AbortSignal;
}

/** A `bulwark` subcommand: one file under commands/, loaded only when used. */
export interface Command {
  /** The words that name it: `repo init`. */
  readonly name: string;
  readonly summary: string;
  /** Longer text for `--help`: what it does, and an example. */
  readonly description?: string;
  readonly positionals: readonly PositionalSpec[];
  readonly options: readonly OptionSpec[];
  /** Runs the command; the returned value is printed as JSON with `--json`, the exit code comes with it. */
  run(args: Args, ctx: Context): Promise<CommandResult>;
}

/** A command's outcome. `data` is what `--json` prints; `exitCode` defaults to 0. */
export interface CommandResult {
  readonly data?: unknown;
  readonly exitCode?: number;
}

/** Reads a string option. */
export function str(args: Args, name: string): string | undefined {
  const v = args.options[name];
  return typeof v === "string" ? v : undefined;
}

/** Reads a boolean option. */
export function flag(args: Args, name: string): boolean {
  return args.options[name] === true;
}

/** Reads a repeatable string option. */
export function list(args: Args, name: string): string[] {
  const v = args.options[name];
  return Array.isArray(v) ? v : typeof v === "string" ? [v] : [];
}

/** Reads a positional argument that the command declared required. */
export function arg(args: Args, name: string): string {
  const v = args.positionals[name];
  return Array.isArray(v) ? (v[0] ?? "") : (v ?? "");
}

/** Reads a variadic positional argument. */
export function args(a: Args, name: string): string[] {
  const v = a.positionals[name];
  return Array.isArray(v) ? v : v === undefined ? [] : [v];
}
