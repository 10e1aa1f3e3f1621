/**
 * The client CLI of the public tuf-conformance suite (its CLIENT-CLI.md):
 *
 *   tuf-conformance-client --metadata-dir D init ROOT
 *   tuf-conformance-client --metadata-dir D --metadata-url U refresh
 *   tuf-conformance-client --metadata-dir D --metadata-url U --target-name T [--target-name T2 ...]
 *                          --target-base-url TU --target-dir TD download
 *
 * Exit code 0 on success, exactly 1 on any failure, with a one-line reason on stderr.
 */
import { promises as fs } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { BulwarkError, UsageError } from "../errors.js";
import { Metadata } from "../models/metadata.js";
import { writeFileAtomic } from "../updater/storage.js";
import { Updater } from "../updater/updater.js";

const USAGE = `usage:
  tuf-conformance-client --metadata-dir DIR init TRUSTED_ROOT
  tuf-conformance-client --metadata-dir DIR --metadata-url URL refresh
  tuf-conformance-client --metadata-dir DIR --metadata-url URL --target-name PATH [--target-name PATH ...]
                         --target-base-url URL --target-dir DIR download`;

interface Args {
  command: string;
  positionals: string[];
  metadataDir: string;
  metadataUrl?: string;
  targetNames: string[];
  targetDir?: string;
  targetBaseUrl?: string;
}

function parse(argv: string[]): Args {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      "metadata-dir": { type: "string" },
      "metadata-url": { type: "string" },
      "target-name": { type: "string", multiple: true },
      "target-dir": { type: "string" },
      "target-base-url": { type: "string" },
      verbose: { type: "boolean", short: "v", multiple: true },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  const [command, ...rest] = positionals;
  if (command === undefined) {
    process.stderr.write(`${argv.length === 0 ? "" : "tuf-conformance-client: no command given\n"}${USAGE}\n`);
    process.exit(1);
  }
  if (values["metadata-dir"] === undefined) throw new UsageError("--metadata-dir is required");
  return {
    command,
    positionals: rest,
    metadataDir: values["metadata-dir"],
    targetNames: values["target-name"] ?? [],
    ...(values["metadata-url"] !== undefined ? { metadataUrl: values["metadata-url"] } : {}),
    ...(values["target-dir"] !== undefined ? { targetDir: values["target-dir"] } : {}),
    ...(values["target-base-url"] !== undefined ? { targetBaseUrl: values["target-base-url"] } : {}),
  };
}

function need<T>(value: T | undefined, flag: string): T {
  if (value === undefined) throw new UsageError(`${flag} is required for this command`);
  return value;
}

async function run(args: Args): Promise<string> {
  switch (args.command) {
    case "init": {
      const rootFile = need(args.positionals[0], "TRUSTED_ROOT");
      const data = await fs.readFile(rootFile);
      Metadata.fromBytes(data, "root"); // well-formed root metadata; trust is checked at refresh
      await fs.mkdir(args.metadataDir, { recursive: true });
      await writeFileAtomic(path.join(args.metadataDir, "root.json"), data);
      return `initialized ${args.metadataDir} with ${rootFile}`;
    }
    case "refresh": {
      const updater = new Updater({
        metadataDir: args.metadataDir,
        metadataBaseUrl: need(args.metadataUrl, "--metadata-url"),
      });
      await updater.refresh();
      return `refreshed metadata in ${args.metadataDir}`;
    }
    case "download": {
      if (args.targetNames.length === 0) throw new UsageError("--target-name is required for download");
      const targetDir = need(args.targetDir, "--target-dir");
      await fs.mkdir(targetDir, { recursive: true });
      const updater = new Updater({
        metadataDir: args.metadataDir,
        metadataBaseUrl: need(args.metadataUrl, "--metadata-url"),
        targetDir,
        targetBaseUrl: need(args.targetBaseUrl, "--target-base-url"),
      });
      await updater.refresh();
      for (const name of args.targetNames) {
        const info = await updater.getTargetInfo(name);
        if (info === undefined)
          throw new BulwarkError("TUF_TARGET_NOT_FOUND", `target ${JSON.stringify(name)} is not in the repository`);
        if ((await updater.findCachedTarget(info)) === undefined) await updater.downloadTarget(info);
      }
      return `downloaded ${args.targetNames.length} target(s) to ${targetDir}`;
    }
    default:
      throw new UsageError(`unknown command ${JSON.stringify(args.command)}\n${USAGE}`);
  }
}

async function main(): Promise<void> {
  try {
    const message = await run(parse(process.argv.slice(2)));
    process.stdout.write(`${message}\n`);
    process.exitCode = 0;
  } catch (error) {
    const code = error instanceof BulwarkError ? `${error.code}: ` : "";
    const message = (error as Error).message?.split("\n")[0] ?? String(error);
    process.stderr.write(`tuf-conformance-client: ${code}${message}\n`);
    process.exitCode = 1;
  }
}

await main();
