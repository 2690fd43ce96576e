// The committed SDK must be what the platform's OpenAPI document makes now: a route or schema change without
// `npm run sdk:generate` fails here (and in `npm run sdk:check`).
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { test } from "node:test";

interface Generator {
  documentPath: string;
  schemaPath: string;
  openApiDocument(): Promise<unknown>;
  renderSdk(document: unknown): Promise<{ json: string; schema: string }>;
}

test("packages/sdk/openapi.json and src/schema.ts are current (else: npm run sdk:generate)", { timeout: 300_000 }, async () => {
  const generatorUrl = new URL("../../../../scripts/sdk-generate.mjs", import.meta.url).href;
  const generator = (await import(generatorUrl)) as Generator;
  const fresh = await generator.renderSdk(await generator.openApiDocument());
  assert.ok(fresh.json.includes('"/v1/payments"'), "the document has the platform's routes");
  assert.equal(await readFile(generator.documentPath, "utf8"), fresh.json, "openapi.json is stale: run npm run sdk:generate");
  assert.equal(await readFile(generator.schemaPath, "utf8"), fresh.schema, "src/schema.ts is stale: run npm run sdk:generate");
});
