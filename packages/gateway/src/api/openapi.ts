/**
 * The OpenAPI 3.1 document, generated from the route table and the zod schemas the server
 * parses bodies with: the document cannot list a route the server lacks, or a body shape it
 * does not check.
 */
import { z } from "zod";
import { API_ERRORS } from "./errors.js";
import type { Route } from "./routes.js";

/** The API's version, in the document's `info`. */
export const API_VERSION = "1.0.0";

const ERROR_SCHEMA = {
  type: "object",
  required: ["error"],
  properties: {
    error: {
      type: "object",
      required: ["code", "message"],
      properties: {
        code: { type: "string", description: `a stable code: ${Object.values(API_ERRORS).join(", ")}, or a library's` },
        message: { type: "string" },
        hint: { type: "string" },
      },
    },
  },
} as const;

const errorResponse = (description: string) => ({
  description,
  content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } },
});

/** `/api/sources/:id` → `/api/sources/{id}`. */
export const openapiPath = (path: string): string => path.replace(/:([A-Za-z]+)/g, "{$1}");

function operation(route: Route) {
  const params = [
    ...[...route.path.matchAll(/:([A-Za-z]+)/g)].map((m) => ({
      name: m[1],
      in: "path",
      required: true,
      schema: { type: "string" },
    })),
    ...(route.query ?? []).map((q) => ({
      name: q.name,
      in: "query",
      required: false,
      description: q.description,
      schema: q.enum === undefined ? { type: "string" } : { type: "string", enum: q.enum },
    })),
  ];
  const responses: Record<string, unknown> = {
    [String(route.status)]: {
      description: "success",
      content: {
        [route.produces ?? "application/json"]: {
          schema:
            route.response === undefined
              ? { type: route.produces === undefined ? "object" : "string" }
              : z.toJSONSchema(route.response, { target: "draft-2020-12", io: "output" }),
        },
      },
    },
    "429": errorResponse("too many requests (see Retry-After)"),
  };
  if (route.auth !== "public") {
    responses["401"] = errorResponse("no token, or an unknown or revoked one");
    responses["403"] = errorResponse(`the token's role is below ${route.auth}`);
  }
  if (route.body !== undefined) {
    responses["400"] = errorResponse("the body is not JSON or not of the schema");
    responses["413"] = errorResponse("the body is too large");
    responses["415"] = errorResponse("the body is not application/json");
  }
  if (route.path.includes(":")) responses["404"] = errorResponse("no such resource");
  return {
    summary: route.summary,
    operationId: `${route.method.toLowerCase()}${openapiPath(route.path).replace(/[^A-Za-z]+(.)?/g, (_, c: string | undefined) => (c ?? "").toUpperCase())}`,
    ...(route.auth === "public" ? { security: [] } : { "x-bulwark-role": route.auth }),
    ...(params.length > 0 ? { parameters: params } : {}),
    ...(route.body === undefined
      ? {}
      : {
          requestBody: {
            required: true,
            content: { "application/json": { schema: z.toJSONSchema(route.body, { target: "draft-2020-12" }) } },
          },
        }),
    responses,
  };
}

/** The OpenAPI 3.1 document of `routes`. */
export function openapiDocument(routes: readonly Route[]): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const path = openapiPath(route.path);
    paths[path] = { ...paths[path], [route.method.toLowerCase()]: operation(route) };
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "Bulwark gateway API",
      version: API_VERSION,
      description: 'The organisation gateway\'s REST API. See docs/gateway.md, "The API".',
    },
    security: [{ bearer: [] }],
    paths,
    components: {
      securitySchemes: { bearer: { type: "http", scheme: "bearer", description: "an API token (bgw_…)" } },
      schemas: { Error: ERROR_SCHEMA },
    },
  };
}
