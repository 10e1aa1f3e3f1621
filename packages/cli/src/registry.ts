import type { Command } from "./command.js";

/** Every command, by name, loaded lazily: only the one used is imported. */
export const COMMANDS: ReadonlyArray<{ name: string; summary: string; load: () => Promise<Command> }> = [
  {
    name: "repo init",
    summary: "create a repository: keys, config, root v1",
    load: async () => (await import("./commands/repo-init.js")).default,
  },
  {
    name: "release add",
    summary: "stage release files as targets with signed custom metadata",
    load: async () => (await import("./commands/release-add.js")).default,
  },
  {
    name: "repo publish",
    summary: "sign what changed and write the static tree DIR/public/",
    load: async () => (await import("./commands/repo-publish.js")).default,
  },
];
