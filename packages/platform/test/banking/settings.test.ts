// OBOL_BANK_* and OBOL_SETTLEMENT_INTERVAL: safe defaults, and production refuses what is unsafe.
import assert from "node:assert/strict";
import { test } from "node:test";
import { loadConfig } from "../../src/config.js";
import { lastEndedPeriod, loadSettlementSettings } from "../../src/modules/settlement/settings.js";

const production = { NODE_ENV: "production", OBOL_KEY_PASSPHRASE: "a-long-passphrase" };

test("bank modes: none by default, embedded on request, remote with a pinned certificate", () => {
  assert.equal(loadConfig({}).bank.mode, "none");
  assert.equal(loadConfig({ OBOL_BANK_URL: "embedded" }).bank.mode, "embedded");
  const remote = loadConfig({ OBOL_BANK_URL: "https://bank.example/", OBOL_BANK_CERT: "/etc/obol/bank.pem" }).bank;
  assert.deepEqual([remote.mode, remote.url, remote.certificateFile, remote.clientId], ["remote", "https://bank.example", "/etc/obol/bank.pem", "obol"]);
  assert.throws(() => loadConfig({ OBOL_BANK_URL: "https://bank.example" }), /OBOL_BANK_CERT is required/);
  assert.throws(() => loadConfig({ OBOL_BANK_URL: "ftp://bank.example", OBOL_BANK_CERT: "x" }), /http\(s\) URL/);
  assert.throws(() => loadConfig({ OBOL_BANK_CLIENT_ID: "Obol!" }), /OBOL_BANK_CLIENT_ID/);
  assert.throws(() => loadConfig({ OBOL_BANK_TIMEOUT_MS: "0" }), /OBOL_BANK_TIMEOUT_MS/);
});

test("production refuses the embedded bank and plain http off loopback", () => {
  assert.throws(() => loadConfig({ ...production, OBOL_BANK_URL: "embedded" }), /embedded reference bank is for development/);
  assert.throws(() => loadConfig({ ...production, OBOL_BANK_URL: "http://bank.example", OBOL_BANK_CERT: "x" }), /https in production/);
  assert.equal(loadConfig({ ...production, OBOL_BANK_URL: "http://127.0.0.1:3100", OBOL_BANK_CERT: "x" }).bank.mode, "remote");
  assert.equal(loadConfig(production).bank.mode, "none", "no bank: bank operations are refused, not faked");
});

test("OBOL_SETTLEMENT_INTERVAL and the period it settles", () => {
  assert.equal(loadSettlementSettings({}).intervalMs, 86_400_000);
  assert.equal(loadSettlementSettings({ OBOL_SETTLEMENT_INTERVAL: "15m" }).intervalMs, 900_000);
  assert.equal(loadSettlementSettings({ OBOL_SETTLEMENT_INTERVAL: "90" }).intervalMs, 90_000);
  for (const bad of ["0s", "1.5h", "-1d", "32d", "day", " "]) assert.throws(() => loadSettlementSettings({ OBOL_SETTLEMENT_INTERVAL: bad }), /OBOL_SETTLEMENT_INTERVAL/, bad);
  assert.deepEqual(lastEndedPeriod(Date.parse("2026-11-21T10:15:00Z"), 86_400_000), { start: Date.parse("2026-11-20T00:00:00Z"), end: Date.parse("2026-11-21T00:00:00Z") });
});
