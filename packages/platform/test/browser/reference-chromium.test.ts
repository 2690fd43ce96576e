/**
 * The API reference page (/docs) in a real browser: Debian's Chromium under playwright-core loads it from an
 * in-memory platform over loopback. Redoc renders the document from /openapi.json under the page's strict CSP,
 * and nothing is fetched from anywhere else. Chromium must be installed (.ci/run does): without it this test
 * fails, it does not skip.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { chromium, type Browser } from "playwright-core";
import { loadConfig } from "../../src/config.js";
import { createPlatform, type Platform } from "../../src/platform.js";

const chromiumArgs = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];
/** Redoc's footer logo: an <img> from its CDN that hides itself when it cannot load. The CSP blocks it. */
const redocLogo = "https://cdn.redoc.ly/redoc/logo-mini.svg";

let platform: Platform;
let browser: Browser;
let origin: string;

before(async () => {
  platform = await createPlatform(loadConfig({ DATABASE_URL: "" }), { logger: false, memory: true });
  origin = await platform.app.listen({ port: 0, host: "127.0.0.1" });
  browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: chromiumArgs });
});
after(async () => {
  await browser?.close();
  await platform?.stop();
});

test("/docs renders the reference from /openapi.json under a strict CSP, loading nothing from elsewhere", async () => {
  const page = await browser.newPage();
  const problems: string[] = [];
  const fetched: string[] = [];
  page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
  page.on("console", (message) => {
    if (message.type() === "error" && !message.text().includes(redocLogo)) problems.push(`console: ${message.text()}`);
  });
  page.on("response", (response) => {
    fetched.push(response.url());
    if (response.status() >= 400) problems.push(`${response.status()} ${response.url()}`);
  });
  const answer = await page.goto(`${origin}/docs`);
  const csp = answer!.headers()["content-security-policy"] ?? "";
  for (const directive of ["default-src 'none'", "script-src 'self'", "connect-src 'self'", "frame-ancestors 'none'"]) assert.ok(csp.includes(directive), `CSP: ${csp}`);
  await page.locator("h1", { hasText: "Obol API" }).waitFor({ timeout: 120_000 });
  await page.locator("h2", { hasText: "Send money to another user" }).first().waitFor();
  assert.ok(await page.getByText("ERR_RECIPIENT_NOT_FOUND").count() > 0, "error codes are listed");
  assert.deepEqual(problems, []);
  assert.ok(fetched.includes(`${origin}/openapi.json`), "the document is fetched from the platform");
  // blob: URLs are the search worker Redoc makes in the page (worker-src blob:), not requests.
  assert.deepEqual(fetched.filter((url) => !url.startsWith(origin) && !url.startsWith(`blob:${origin}/`) && url !== redocLogo), [], "requests that left the platform's origin");
  assert.ok(!fetched.includes(redocLogo), "the CSP let Redoc's logo through");
});
