/** The `--port` and `--host` options every server command takes, and their parsing. */
import type { OptionSpec } from "../command.js";
import { usage } from "../errors.js";

/** `--host HOST` (default 127.0.0.1). */
export const HOST_OPTION = {
  name: "host",
  type: "string",
  valueName: "HOST",
  description: "the address to bind; other machines can reach a non-loopback one",
  default: "127.0.0.1",
} as const satisfies OptionSpec;

/** `--port N` (default `defaultPort`); {@link parsePort} reads it. */
export function portOption(defaultPort: number) {
  return {
    name: "port",
    type: "string",
    valueName: "N",
    description: "the TCP port to listen on; 0 picks a free one",
    default: String(defaultPort),
  } as const satisfies OptionSpec;
}

/** `--port N` (default `defaultPort`) and `--host HOST` (default 127.0.0.1), typed for `defineCommand`. */
export function listenOptions(defaultPort: number) {
  return [portOption(defaultPort), HOST_OPTION] as const;
}

/**
 * Parses `--port`.
 * @throws {CliError} a usage error for anything but 0–65535.
 */
export function parsePort(value: string | undefined): number {
  if (value === undefined || !/^\d{1,5}$/.test(value) || Number(value) > 65535) {
    throw usage(`--port must be a whole number from 0 to 65535, got ${value}`, "use --port 0 to pick a free port");
  }
  return Number(value);
}
