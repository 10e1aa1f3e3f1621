/**
 * A client of the gateway's API, for the `bulwark gateway …` commands and scripts: it sends
 * the token, parses JSON answers, and turns an error answer into a {@link GatewayApiError}
 * with the server's code.
 */
import { BulwarkError } from "@bulwark/tuf";
import type { Page, ReleaseView, SourceView } from "./records.js";
import type { SourceConfigBody } from "./schemas.js";
import type { TokenInfo, TokenRole } from "./tokens.js";

/** The API answered with an error (its code and status kept), or could not be reached. */
export class GatewayApiError extends BulwarkError {
  constructor(
    code: string,
    message: string,
    readonly status: number | undefined,
    options?: { cause?: unknown; hint?: string | undefined },
  ) {
    super(code, message, options);
  }
}

/** The largest answer the client reads. */
export const MAX_ANSWER_BYTES = 16 * 1024 * 1024;

/** Talks to one gateway with one token. */
export class GatewayClient {
  readonly base: URL;

  /** @throws {GatewayApiError} GATEWAY_BAD_URL for a URL that is not http(s). */
  constructor(
    url: string,
    private readonly token: string,
  ) {
    let base: URL;
    try {
      base = new URL(url.endsWith("/") ? url : `${url}/`);
    } catch (cause) {
      throw new GatewayApiError("GATEWAY_BAD_URL", `${JSON.stringify(url)} is not a URL`, undefined, { cause });
    }
    if (base.protocol !== "http:" && base.protocol !== "https:") {
      throw new GatewayApiError("GATEWAY_BAD_URL", `the gateway URL must be http(s), not ${base.protocol}`, undefined);
    }
    this.base = base;
  }

  /**
   * Sends one request and returns the parsed JSON answer.
   * @throws {GatewayApiError} the server's code for an error answer; GATEWAY_UNREACHABLE; GATEWAY_BAD_ANSWER.
   */
  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const url = new URL(path.replace(/^\//, ""), this.base);
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers: {
          authorization: `Bearer ${this.token}`,
          accept: "application/json",
          ...(body === undefined ? {} : { "content-type": "application/json" }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        redirect: "error",
      });
    } catch (cause) {
      throw new GatewayApiError("GATEWAY_UNREACHABLE", `the gateway at ${this.base.origin} did not answer`, undefined, {
        cause,
        hint: "check --url (or BULWARK_GATEWAY_URL) and that `bulwark gateway serve` runs",
      });
    }
    const text = await response.text();
    if (text.length > MAX_ANSWER_BYTES) {
      throw new GatewayApiError("GATEWAY_BAD_ANSWER", "the gateway's answer is too large", response.status);
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (cause) {
      throw new GatewayApiError(
        "GATEWAY_BAD_ANSWER",
        `the gateway answered ${response.status} without JSON`,
        response.status,
        {
          cause,
        },
      );
    }
    if (!response.ok) {
      const error = (json as { error?: { code?: unknown; message?: unknown; hint?: unknown } }).error;
      const code = typeof error?.code === "string" ? error.code : `HTTP_${response.status}`;
      const message = typeof error?.message === "string" ? error.message : `the gateway answered ${response.status}`;
      const hint = typeof error?.hint === "string" ? error.hint : undefined;
      throw new GatewayApiError(code, message, response.status, { hint });
    }
    return json as T;
  }

  /** Adds a source. */
  addSource(config: SourceConfigBody): Promise<SourceView> {
    return this.request("POST", "/api/sources", config);
  }

  /** Every source (all pages). */
  async listSources(): Promise<SourceView[]> {
    const all: SourceView[] = [];
    let after: string | null = "0";
    while (after !== null) {
      const page: Page<SourceView> = await this.request("GET", `/api/sources?after=${after}&limit=500`);
      all.push(...page.items);
      after = page.next;
    }
    return all;
  }

  /** One source. */
  getSource(id: string): Promise<SourceView> {
    return this.request("GET", `/api/sources/${encodeURIComponent(id)}`);
  }

  /** A page of releases. */
  listReleases(query: { state?: string; source?: string; after?: string } = {}): Promise<Page<ReleaseView>> {
    const params = new URLSearchParams(Object.entries(query).filter((e): e is [string, string] => e[1] !== undefined));
    return this.request("GET", `/api/releases?${params}`);
  }

  /** Makes a token; the answer holds its secret. */
  createToken(name: string, role: TokenRole): Promise<TokenInfo & { token: string }> {
    return this.request("POST", "/api/tokens", { name, role });
  }

  /** Revokes a token. */
  revokeToken(id: number): Promise<TokenInfo> {
    return this.request("DELETE", `/api/tokens/${id}`);
  }
}
