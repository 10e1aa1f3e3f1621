/** The `--url` and `--token` options of the `bulwark gateway …` commands that are API clients. */
import { GatewayApiError, GatewayClient } from "@bulwark/gateway";
import type { Context, OptionSpec } from "../command.js";
import { CliError, usage } from "../errors.js";
import { EXIT } from "../exit-codes.js";

/** `--url URL` and `--token TOKEN`, defaulting to BULWARK_GATEWAY_URL and BULWARK_GATEWAY_TOKEN. */
export const GATEWAY_CLIENT_OPTIONS = [
  {
    name: "url",
    type: "string",
    valueName: "URL",
    description: "the gateway's API (default: BULWARK_GATEWAY_URL)",
  },
  {
    name: "token",
    type: "string",
    valueName: "TOKEN",
    description: "an API token (default: BULWARK_GATEWAY_TOKEN; prefer the variable: arguments show in ps)",
  },
] as const satisfies readonly OptionSpec[];

/**
 * The client the options name.
 * @throws {CliError} a usage error when the URL or the token is missing.
 */
function gatewayClient(options: { url?: string | undefined; token?: string | undefined }, ctx: Context): GatewayClient {
  const url = options.url ?? ctx.env.BULWARK_GATEWAY_URL;
  const token = options.token ?? ctx.env.BULWARK_GATEWAY_TOKEN;
  if (url === undefined || url === "")
    throw usage("the gateway's URL is needed", "pass --url or set BULWARK_GATEWAY_URL");
  if (token === undefined || token === "") {
    throw usage(
      "an API token is needed",
      "set BULWARK_GATEWAY_TOKEN (or pass --token); `bulwark gateway init` printed the first one",
    );
  }
  return new GatewayClient(url, token);
}

/**
 * Runs `work` with the client the options name. The gateway's refusals keep their code; a
 * 4xx other than 429 is the caller's to fix (exit 2), anything else a failure (exit 1).
 * @throws {CliError}
 */
export async function withGateway<T>(
  options: { url?: string | undefined; token?: string | undefined },
  ctx: Context,
  work: (client: GatewayClient) => Promise<T>,
): Promise<T> {
  const client = gatewayClient(options, ctx);
  try {
    return await work(client);
  } catch (error) {
    if (!(error instanceof GatewayApiError)) throw error;
    const status = error.status ?? 0;
    const exit = status >= 400 && status < 500 && status !== 429 ? EXIT.USAGE : EXIT.FAILURE;
    throw new CliError(error.code, error.message, exit, error.hint, { cause: error });
  }
}
