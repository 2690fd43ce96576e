import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import type { FastifyInstance, RouteOptions } from "fastify";
import { z } from "zod";
import { apiErrors, statusOf, type ApiErrorCode } from "../errors/api-errors.js";
import { fieldErrorCodes } from "./schemas.js";
import { isValidIdempotencyKey } from "../modules/idempotency/service.js";

declare module "fastify" {
  interface FastifyContextConfig {
    /**
     * The domain error codes this route's handler can answer with, declared once: the OpenAPI document lists them
     * under their statuses, and the error handler logs a warning for a code a route answers with but did not declare. Codes every route of its kind can return (authentication,
     * validation, body parsing, idempotency) are added by `errorCodesOf`.
     */
    errors?: readonly ApiErrorCode[];
    /**
     * The handler reads the Authorization header itself: the hooks do not refuse an unknown or ended
     * token first (logout answers 204 for a token already ended, RFC 7009 §2.2). The route's security still
     * documents who calls it.
     */
    authenticatesItself?: boolean;
  }
}

/** The security schemes, by who calls: users and operators log in for a bearer token; merchants call with an API key. */
export const securitySchemes = {
  bearerAuth: { type: "http", scheme: "bearer", description: "A user's or an operator's session token from POST /v1/auth/login or POST /v1/admin/login" },
  merchantApiKey: { type: "http", scheme: "bearer", bearerFormat: "obol_sk_…", description: "A merchant's API key (obol_sk_…), shown once by POST /v1/merchants, sent as `Authorization: Bearer obol_sk_…`" },
} as const;

/** Route `security` values. The authentication hook (app.ts) reads them: the document says who may call, and the platform enforces it. */
export const security: Record<"user" | "operator" | "merchant" | "party", { [scheme: string]: string[] }[]> = {
  user: [{ bearerAuth: [] }],
  operator: [{ bearerAuth: [] }],
  merchant: [{ merchantApiKey: [] }],
  /** A user or a merchant (e-cash parties). */
  party: [{ bearerAuth: [] }, { merchantApiKey: [] }],
};

/**
 * Which caller types each of the `security` values above admits: users and operators share the bearer scheme,
 * so the route's value (by identity) says which of the two it is for, and a wrong-kind caller gets 403 before
 * the body is read, like an unauthenticated one gets 401.
 */
export const securityCallers = new Map<unknown, readonly ("user" | "operator" | "merchant")[]>([
  [security.user, ["user"]], [security.operator, ["operator"]], [security.merchant, ["merchant"]], [security.party, ["user", "merchant"]],
]);

/** Which caller types each security scheme admits. */
export const schemeCallers: Record<keyof typeof securitySchemes, readonly ("user" | "operator" | "merchant")[]> = {
  bearerAuth: ["user", "operator"],
  merchantApiKey: ["merchant"],
};

export const errorCodePattern = /^ERR_[A-Z0-9_]+$/;

/** The one error shape of every answer that is not a success, framework errors included. */
export const errorComponent = z.object({
  error: z.object({
    code: z.string().regex(errorCodePattern).meta({ description: "Stable: match on it. Each operation lists the codes it can return under each status." }),
    message: z.string().meta({ description: "For people; may change between versions" }),
    details: z.unknown().optional().meta({ description: "Machine-readable context, e.g. the validation issues" }),
  }),
}).meta({ id: "Error", description: "{ error: { code, message, details? } }" });

/** The Idempotency-Key header of a money-moving request (required). */
export const idempotencyHeaders = z.object({
  "idempotency-key": z.string().refine(isValidIdempotencyKey, "8 to 255 visible ASCII characters").meta({
    description: "A fresh unique key per intended operation (8-255 visible ASCII, e.g. a UUID). A retry with the same key and body replays the first answer; with another body it is 409 ERR_IDEMPOTENCY_MISMATCH.",
    example: "3f2b8c1e-9a4d-4e7b-8c21-5d6e7f809a1b",
  }),
});

const bodyMethods = new Set(["POST", "PUT", "PATCH", "DELETE"]);
const idempotencyCodes: ApiErrorCode[] = ["ERR_IDEMPOTENCY_KEY_REQUIRED", "ERR_IDEMPOTENCY_KEY_INVALID", "ERR_IDEMPOTENCY_MISMATCH", "ERR_LEDGER_BUSY", "ERR_LEDGER_UNAVAILABLE"];

function methodsOf(route: RouteOptions): string[] {
  return Array.isArray(route.method) ? route.method : [route.method];
}

/** The top-level property names of a zod object schema (unions: of each member), for the field error codes. */
function fieldsOf(schema: unknown): string[] {
  if (!(schema instanceof z.ZodType)) return [];
  const json = z.toJSONSchema(schema, { io: "input", unrepresentable: "any" }) as { properties?: Record<string, unknown>; anyOf?: { properties?: Record<string, unknown> }[] };
  return [...Object.keys(json.properties ?? {}), ...(json.anyOf ?? []).flatMap((member) => Object.keys(member.properties ?? {}))];
}

/**
 * Every error code a route can answer with: what its handler declared (config.errors) and what the
 * platform adds for any route of its kind. The OpenAPI document lists these, by status.
 */
export function errorCodesOf(route: RouteOptions): Set<ApiErrorCode> {
  const codes = new Set<ApiErrorCode>(route.config?.errors ?? []);
  const schema = (route.schema ?? {}) as Record<string, unknown>;
  const schemes = ((schema.security ?? []) as Record<string, unknown>[]).flatMap((entry) => Object.keys(entry));
  if (schemes.length > 0) {
    codes.add("ERR_UNAUTHENTICATED").add("ERR_FORBIDDEN");
    if (schemes.includes("bearerAuth")) codes.add("ERR_USER_SUSPENDED");
    if (schemes.includes("merchantApiKey")) codes.add("ERR_REQUEST_SIGNATURE").add("ERR_REQUEST_SIGNATURE_REQUIRED");
  }
  if (schema.body !== undefined || schema.querystring !== undefined || schema.params !== undefined || schema.headers !== undefined) codes.add("ERR_VALIDATION");
  for (const field of [...fieldsOf(schema.body), ...fieldsOf(schema.querystring)]) {
    const code = fieldErrorCodes[field];
    if (code !== undefined) codes.add(code);
  }
  if (methodsOf(route).some((method) => bodyMethods.has(method))) codes.add("ERR_MALFORMED_JSON").add("ERR_BODY_TOO_LARGE").add("ERR_UNSUPPORTED_MEDIA_TYPE");
  if (schema.params !== undefined) codes.add("ERR_URI_TOO_LONG");
  const headers = schema.headers;
  if (headers instanceof z.ZodObject && "idempotency-key" in headers.shape) for (const code of idempotencyCodes) codes.add(code);
  codes.add("ERR_SHUTTING_DOWN").add("ERR_INTERNAL");
  return codes;
}

/** The error responses of a route, one per status: the shared Error component with that status's codes as an enum. */
export function errorResponses(codes: Iterable<ApiErrorCode>): Record<number, z.ZodType> {
  const byStatus = new Map<number, ApiErrorCode[]>();
  for (const code of codes) byStatus.set(statusOf(code), [...(byStatus.get(statusOf(code)) ?? []), code]);
  const responses: Record<number, z.ZodType> = {};
  for (const [status, list] of [...byStatus].sort(([a], [b]) => a - b)) {
    list.sort();
    const described = list.map((code) => `- \`${code}\`: ${apiErrors[code][1]}`).join("\n");
    responses[status] = z.intersection(errorComponent, z.looseObject({ error: z.looseObject({ code: z.enum(list as [ApiErrorCode, ...ApiErrorCode[]]) }) }))
      .meta({ description: described });
  }
  return responses;
}

/** The document's own header: product title, what it is, how to read it. */
export const documentInfo = {
  title: "Obol API",
  version: "0.1.0",
  description: [
    "Obol is an open-source secure mobile payment platform: user wallets and P2P transfers, merchant payment requests, refunds and escrow,",
    "webhooks, bank top-ups and withdrawals, settlement, a device PKI and self-verified e-cash.",
    "",
    "- **Amounts** are strings of integer minor units (`\"1250\"` is 12.50 KES), never floats.",
    "- **Errors** always have the shape `{ \"error\": { \"code\": \"ERR_…\", \"message\": \"…\" } }`. Match on `code`: it is stable. Every operation lists the codes it can return under each status.",
    "- **Money-moving requests** (transfers, top-ups, withdrawals, payment requests, refunds) require an `Idempotency-Key` header: retry with the same key and body, and the first answer is replayed.",
    "- **Authentication**: users and operators log in for a bearer token; merchants send their API key (`obol_sk_…`) as a bearer token.",
    "",
    "The raw document is at `/openapi.json`.",
  ].join("\n"),
};

export const documentTags = [
  { name: "users", description: "Register, log in, balances, history, P2P transfers, top-ups and withdrawals" },
  { name: "merchants", description: "Merchant sign-up, API key, balances, request signing, bank accounts, settlements, notifications" },
  { name: "products", description: "A merchant's catalogue and order validation" },
  { name: "payments", description: "Payment requests, refunds and escrow" },
  { name: "webhooks", description: "A merchant's webhook endpoint, events and deliveries (Standard Webhooks signatures)" },
  { name: "banking", description: "A user's linked bank accounts and bank operations" },
  { name: "ecash", description: "Self-verified e-cash (SVS1-M), binary messages" },
  { name: "pki", description: "The platform's certificate authority: CA certificates, CRL, OCSP, device enrolment" },
  { name: "wallet", description: "The signed XML channel of enrolled phones" },
  { name: "admin", description: "The operators' back office" },
  { name: "ops", description: "Liveness, readiness, metrics" },
];

const require = createRequire(import.meta.url);
/** Redoc's self-contained browser bundle: the reference page loads nothing from elsewhere. */
const redocBundlePath = require.resolve("redoc/bundles/redoc.standalone.js");

/**
 * Strict CSP for the reference page. Redoc injects its styles at run time (styled-components), so
 * style-src needs 'unsafe-inline'; its search index runs in a worker made from a blob: URL. Scripts
 * come only from this origin, nothing may frame the page, and it connects only to this origin (the document).
 */
const referenceCsp = [
  "default-src 'none'", "script-src 'self'", "style-src 'self' 'unsafe-inline'", "img-src 'self' data:", "font-src 'self' data:",
  "connect-src 'self'", "worker-src blob:", "base-uri 'none'", "form-action 'none'", "frame-ancestors 'none'",
].join("; ");

const referencePage = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Obol API reference</title>
</head>
<body>
<div id="reference"></div>
<script src="/docs/redoc.standalone.js"></script>
<script src="/docs/reference.js"></script>
</body>
</html>
`;

const referenceScript = `Redoc.init("/openapi.json", { hideDownloadButton: false, expandResponses: "200,201,202", jsonSampleExpandLevel: 3, disableSearch: false }, document.getElementById("reference"));\n`;

/**
 * Serves the document and the reference page rendered from it: /openapi.json (also at /docs/json,
 * its earlier address), /docs (Redoc, served from node_modules, no external assets).
 */
export async function registerReference(app: FastifyInstance): Promise<void> {
  const bundle = await readFile(redocBundlePath);
  const hidden = { schema: { hide: true } };
  const document = async () => app.swagger();
  app.get("/openapi.json", hidden, document);
  app.get("/docs/json", hidden, document);
  app.get("/docs", hidden, async (_request, reply) => reply.header("content-security-policy", referenceCsp).header("x-content-type-options", "nosniff").type("text/html; charset=utf-8").send(referencePage));
  app.get("/docs/reference.js", hidden, async (_request, reply) => reply.type("text/javascript; charset=utf-8").header("x-content-type-options", "nosniff").send(referenceScript));
  // Browsers ask for it on every page; no icon, and no 404 in their console.
  app.get("/favicon.ico", hidden, async (_request, reply) => reply.code(204).send());
  app.get("/docs/redoc.standalone.js", hidden, async (_request, reply) => reply.type("text/javascript; charset=utf-8").header("x-content-type-options", "nosniff").header("cache-control", "public, max-age=3600").send(bundle));
}


const successDescriptions: Record<string, string> = { 200: "OK", 201: "Created", 202: "Accepted: still pending", 204: "Done; no body" };

/**
 * Last touches on the generated document: a success response without its own description gets one
 * by status (instead of "Default Response"), 204 has no content, and schema components that no
 * operation uses (zod registers an input twin of each named output schema) are dropped.
 */
export function finishDocument<T extends Record<string, any>>(document: T): T {
  for (const operations of Object.values(document.paths ?? {}) as Record<string, any>[]) {
    for (const operation of Object.values(operations)) {
      for (const [status, response] of Object.entries((operation?.responses ?? {}) as Record<string, any>)) {
        if (response.description === "Default Response") response.description = response.content?.["application/json"]?.schema?.description ?? successDescriptions[status] ?? "OK";
        if (status === "204") delete response.content;
      }
    }
  }
  nullableEnums(document);
  const schemas = document.components?.schemas as Record<string, unknown> | undefined;
  if (schemas !== undefined) {
    const text = JSON.stringify({ paths: document.paths, schemas });
    for (const name of Object.keys(schemas)) {
      if (!text.includes(`"#/components/schemas/${name}"`)) delete schemas[name];
    }
  }
  return document;
}

/** OpenAPI 3.0.3 (§4.7.25, nullable): a nullable enum must list null among its values, or null does not validate. */
function nullableEnums(node: unknown): void {
  if (Array.isArray(node)) {
    for (const item of node) nullableEnums(item);
    return;
  }
  if (typeof node !== "object" || node === null) return;
  const schema = node as Record<string, unknown>;
  if (schema.nullable === true && Array.isArray(schema.enum) && !schema.enum.includes(null)) schema.enum = [...schema.enum, null];
  // `nullable` only widens `type` (§4.7.25): on a union without a type it is meaningless, and null would still
  // have to match a branch. Null becomes a branch of its own, the 3.0 idiom for "one of these, or null".
  for (const union of ["anyOf", "oneOf"] as const) {
    if (schema.nullable === true && schema.type === undefined && Array.isArray(schema[union])) {
      delete schema.nullable;
      schema[union] = [...(schema[union] as unknown[]), { type: "object", nullable: true, enum: [null] }];
    }
  }
  for (const value of Object.values(schema)) nullableEnums(value);
}
