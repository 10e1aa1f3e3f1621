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
  /** A string option the command cannot run without (`--out KEYFILE`). */
  readonly required?: boolean;
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

/** `root-key-dir` → `rootKeyDir`: how an option's name reads in TypeScript. */
export type CamelCase<S extends string> = S extends `${infer Head}-${infer Tail}`
  ? `${Head}${Capitalize<CamelCase<Tail>>}`
  : S;

/** The value one option spec parses to. */
export type OptionValue<O extends OptionSpec> = O["type"] extends "boolean"
  ? boolean
  : O extends { readonly multiple: true }
    ? string[]
    : O extends { readonly default: string } | { readonly required: true }
      ? string
      : string | undefined;

/** The parsed options of a command, keyed by camel-cased name. */
export type OptionsOf<O extends readonly OptionSpec[]> = {
  readonly [S in O[number] as CamelCase<S["name"]>]: OptionValue<S>;
};

/** The value one positional spec parses to. */
export type PositionalValue<P extends PositionalSpec> = P extends { readonly variadic: true }
  ? string[]
  : P extends { readonly required: false }
    ? string | undefined
    : string;

/** The parsed positionals of a command, keyed by name. */
export type PositionalsOf<P extends readonly PositionalSpec[]> = {
  readonly [S in P[number] as S["name"]]: PositionalValue<S>;
};

/** What a typed command's `run` gets: its positionals and options, typed from its own tables. */
export interface TypedArgs<O extends readonly OptionSpec[], P extends readonly PositionalSpec[]> {
  readonly positionals: PositionalsOf<P>;
  readonly options: OptionsOf<O>;
}

/** The spec of a typed command: {@link Command} with `run` taking {@link TypedArgs}. */
export interface TypedCommandSpec<O extends readonly OptionSpec[], P extends readonly PositionalSpec[]>
  extends Omit<Command, "run" | "options" | "positionals"> {
  readonly positionals: P;
  readonly options: O;
  run(args: TypedArgs<O, P>, ctx: Context): Promise<CommandResult>;
}

/** `rootKeyDir` for `root-key-dir`, at run time. */
export function camelCase(name: string): string {
  return name.replace(/-([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
}

/**
 * A command whose options and positionals are typed from its own tables: `run` reads
 * `options.rootKeyDir` (a `string | undefined`, a `boolean`, a `string[]`, or a `string` when
 * the option has a default or is required) instead of looking names up and casting. The
 * parser has already checked required positionals and options (see main.ts).
 */
export function defineCommand<
  const O extends readonly OptionSpec[],
  const P extends readonly PositionalSpec[] = readonly [],
>(spec: TypedCommandSpec<O, P>): Command {
  return {
    ...spec,
    run(args, ctx) {
      const options: Record<string, unknown> = {};
      for (const o of spec.options) {
        const v = args.options[o.name];
        options[camelCase(o.name)] = o.multiple ? (Array.isArray(v) ? v : v === undefined ? [] : [v]) : v;
        if (o.type === "boolean") options[camelCase(o.name)] = v === true;
      }
      return spec.run(
        { positionals: args.positionals as unknown as PositionalsOf<P>, options: options as OptionsOf<O> },
        ctx,
      );
    },
  };
}
