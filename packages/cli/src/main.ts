/**
 * The `bulwark` command line: finds the command, parses its options from its own typed
 * table, runs it, prints the result (or `--json`), and maps any error to an exit code and a
 * message that says what to do next. This is the only place errors are translated.
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { BulwarkError } from "@bulwark/tuf";
import type { Args, Command, Context, OptionSpec } from "./command.js";
import { exitCodeFor, hintFor, interrupted, usage } from "./errors.js";
import { EXIT, EXIT_CODES_HELP } from "./exit-codes.js";
import { COMMANDS } from "./registry.js";
import { Output, type OutputStreams } from "./ui/output.js";
import { progressMode } from "./ui/progress.js";
import { type Prompter, TerminalPrompter } from "./ui/prompt.js";

/** Options every command takes. */
export const GLOBAL_OPTIONS: readonly OptionSpec[] = [
  { name: "json", type: "boolean", description: "print the result as one JSON document on stdout" },
  { name: "quiet", short: "q", type: "boolean", description: "no progress or notes on stderr" },
  {
    name: "progress",
    type: "boolean",
    description:
      "show progress on stderr even when it is not a terminal, or with --json or --quiet, as plain lines (also: BULWARK_PROGRESS=1)",
  },
  { name: "no-color", type: "boolean", description: "no colours (also: NO_COLOR in the environment)" },
  { name: "help", short: "h", type: "boolean", description: "show help for the command" },
];

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string };
  return pkg.version;
}

function topHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    "bulwark — software updates that stay safe when the update server is compromised",
    "",
    "Usage: bulwark <command> [options]",
    "",
    "Commands:",
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    "",
    "Run `bulwark <command> --help` for a command's options.",
    "",
    EXIT_CODES_HELP,
  ].join("\n");
}

function optionLabel(o: OptionSpec): string {
  const value = o.type === "string" ? ` ${o.valueName ?? "VALUE"}` : "";
  return `${o.short ? `-${o.short}, ` : "    "}--${o.name}${value}`;
}

/** The `--help` text of a command, from its option table. */
export function commandHelp(cmd: Command): string {
  const pos = cmd.positionals.map((p) => {
    const n = p.variadic ? `${p.name}...` : p.name;
    return p.required === false ? `[${n}]` : n;
  });
  const options = [...cmd.options, ...GLOBAL_OPTIONS];
  const width = Math.max(
    ...options.map((o) => optionLabel(o).length),
    ...cmd.positionals.map((p) => p.name.length + 2),
  );
  const lines = [`Usage: bulwark ${cmd.name} ${[...pos, "[options]"].join(" ")}`, "", cmd.summary];
  if (cmd.description) lines.push("", cmd.description);
  if (cmd.positionals.length > 0) {
    lines.push("", "Arguments:");
    for (const p of cmd.positionals) lines.push(`  ${p.name.padEnd(width)}  ${p.description}`);
  }
  lines.push("", "Options:");
  for (const o of options) {
    const def = o.required
      ? " (required)"
      : o.default !== undefined && o.default !== false
        ? ` (default: ${String(o.default)})`
        : "";
    lines.push(`  ${optionLabel(o).padEnd(width)}  ${o.description}${def}`);
  }
  return lines.join("\n");
}

function parse(cmd: Command, argv: string[]): Args {
  const specs = [...cmd.options, ...GLOBAL_OPTIONS];
  const options: Record<string, { type: "string" | "boolean"; short?: string; multiple?: boolean }> = {};
  for (const o of specs) {
    options[o.name] = {
      type: o.type,
      ...(o.short ? { short: o.short } : {}),
      ...(o.multiple ? { multiple: true } : {}),
    };
  }
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (error) {
    throw usage((error as Error).message.split("\n")[0] ?? "bad arguments", `run \`bulwark ${cmd.name} --help\``);
  }
  const values: Record<string, string | boolean | string[] | undefined> = {};
  for (const o of specs)
    values[o.name] = (parsed.values[o.name] as string | boolean | string[] | undefined) ?? o.default;
  if (values.help === true) return { positionals: {}, options: values };
  for (const o of cmd.options) {
    // An empty value (`--out ""`) is as good as none.
    if (o.required && (values[o.name] === undefined || values[o.name] === "")) {
      throw usage(
        `--${o.name}${o.valueName ? ` ${o.valueName}` : ""} is required`,
        `run \`bulwark ${cmd.name} --help\``,
      );
    }
  }
  const positionals: Record<string, string | string[] | undefined> = {};
  const rest = [...parsed.positionals];
  for (const p of cmd.positionals) {
    if (p.variadic) positionals[p.name] = rest.splice(0);
    else positionals[p.name] = rest.shift();
    const v = positionals[p.name];
    if (p.required !== false && (v === undefined || (Array.isArray(v) && v.length === 0))) {
      throw usage(`missing ${p.name}`, `usage: ${commandHelp(cmd).split("\n")[0]}`);
    }
  }
  if (rest.length > 0)
    throw usage(`unexpected argument ${JSON.stringify(rest[0])}`, `run \`bulwark ${cmd.name} --help\``);
  return { positionals, options: values };
}

/** Finds the command named by the leading words of `argv`. */
function find(argv: string[]): { entry: (typeof COMMANDS)[number]; rest: string[] } | undefined {
  for (const words of [3, 2, 1]) {
    const name = argv.slice(0, words).join(" ");
    const entry = COMMANDS.find((c) => c.name === name);
    if (entry) return { entry, rest: argv.slice(words) };
  }
  return undefined;
}

/** Runs `bulwark` with `argv` (without the node and script paths) and returns the exit code. */
export async function main(
  argv: string[],
  io: { streams?: OutputStreams; env?: NodeJS.ProcessEnv; prompt?: Prompter; cwd?: string } = {},
): Promise<number> {
  const streams = io.streams ?? { stdout: process.stdout, stderr: process.stderr };
  const env = io.env ?? process.env;
  const json = argv.includes("--json");
  const quiet = argv.includes("--quiet") || argv.includes("-q");
  const forced = argv.includes("--progress") || env.BULWARK_PROGRESS === "1";
  const out = new Output(streams, {
    json,
    quiet,
    progress: progressMode(streams.stderr, { forced, json, quiet }),
    ...(argv.includes("--no-color") ? { color: false } : {}),
  });
  if (argv.length === 0 || argv[0] === "--help" || argv[0] === "-h" || argv[0] === "help") {
    streams.stdout.write(`${topHelp()}\n`);
    return argv.length === 0 ? EXIT.USAGE : EXIT.OK;
  }
  if (argv[0] === "--version" || argv[0] === "-V") {
    streams.stdout.write(`${version()}\n`);
    return EXIT.OK;
  }
  // The first SIGINT or SIGTERM aborts the command, which stops at its next safe point and
  // says so (exit 130 or 143); a second one ends the process at once, as usual.
  const controller = new AbortController();
  const onInt = () => controller.abort(interrupted("SIGINT"));
  const onTerm = () => controller.abort(interrupted("SIGTERM"));
  process.once("SIGINT", onInt);
  process.once("SIGTERM", onTerm);
  try {
    const found = find(argv);
    if (found === undefined) {
      throw usage(
        `unknown command ${JSON.stringify(argv.slice(0, 2).join(" "))}`,
        "run `bulwark --help` for the commands",
      );
    }
    const cmd = await found.entry.load();
    const args = parse(cmd, found.rest);
    if (args.options.help === true) {
      streams.stdout.write(`${commandHelp(cmd)}\n`);
      return EXIT.OK;
    }
    const ctx: Context = {
      out,
      prompt: io.prompt ?? new TerminalPrompter(),
      env,
      cwd: io.cwd ?? process.cwd(),
      now: Date.now,
      signal: controller.signal,
    };
    const result = await cmd.run(args, ctx);
    if (result.data !== undefined) out.result(result.data);
    return result.exitCode ?? EXIT.OK;
  } catch (error) {
    const code = exitCodeFor(error);
    const errorCode = error instanceof BulwarkError ? error.code : "INTERNAL";
    const message = error instanceof Error ? error.message : String(error);
    const hint = hintFor(error);
    if (json) {
      streams.stdout.write(
        `${JSON.stringify({ error: { code: errorCode, message, ...(hint ? { hint } : {}) } }, null, 2)}\n`,
      );
    }
    streams.stderr.write(`${out.bad("error:")} ${message}${errorCode === "INTERNAL" ? "" : ` [${errorCode}]`}\n`);
    if (hint) streams.stderr.write(`${out.paint(2, "hint:")} ${hint}\n`);
    if (errorCode === "INTERNAL" && error instanceof Error && error.stack && process.env.BULWARK_DEBUG) {
      streams.stderr.write(`${error.stack}\n`);
    }
    return code;
  } finally {
    process.off("SIGINT", onInt);
    process.off("SIGTERM", onTerm);
  }
}
