/**
 * Confirmed-payment benchmark (issue 4). A benchmark, not a test: it prints figures and judges none of
 * them. Each payment is the whole user-confirmed path over real HTTP on loopback:
 *
 *   merchant POST /v1/payments (API key, Idempotency-Key)
 *   → the payer's device signs a wallet.payment.confirm (XML-DSig, ECDSA P-256) and POSTs it
 *   → the platform verifies the message and the device certificate, moves the money on the ledger
 *     (payer → merchant, fee → revenue, one linked chain), commits, and answers a signed receipt.
 *
 * Latency is from the merchant's request to the receipt. The figure is shown beside pgbench's tpcb-like
 * TPS on the same PostgreSQL in the same run, as a ratio.
 *
 *   npm run bench:payments                     throwaway PostgreSQL 15 on loopback, 20 s phase
 *   BENCH_SECONDS=60 npm run bench:payments
 *   DATABASE_URL=postgres://… npm run bench:payments   (role with CREATEDB)
 */
import { generateKeyPairSync, randomBytes, randomUUID, X509Certificate, createPrivateKey } from "node:crypto";
import http from "node:http";
import { Worker, isMainThread, parentPort, workerData } from "node:worker_threads";
import { createCsr } from "@obol/pki";
import { buildMessage, verifyReceipt } from "@obol/xml";
import { loadConfig } from "../src/config.js";
import { createPlatform, type Platform } from "../src/platform.js";
import { seedDemoData } from "../src/demo-data.js";
import { transferIdFor } from "../src/modules/idempotency/service.js";
import { startPostgres, type ThrowawayPostgres } from "../test/support/postgres.js";
import { BENCH_SECONDS, Samples, createScratchDatabase, log, percentile, printEnvironment, printTable, redact, runPgbench, runningChild, type Row } from "./support/bench-kit.js";

/** Payers: each client loop has its own, so no two payments of a loop contend for one wallet. */
const PAYERS = 64;
const CLIENTS = 16;
const PAYMENT_AMOUNT = "1500";
const PROGRESS_EVERY_MS = 5_000;

interface Payer { msisdn: string; compactId: string; keyPem: string }
interface ClientData { baseUrl: string; apiKey: string; merchantId: string; payers: Payer[]; clients: number; seconds: number }
type ClientMessage = { kind: "progress"; answered: number } | { kind: "done"; latenciesMs: Float64Array; confirmed: number; failed: number; seconds: number; sampleReceipt: string | undefined; failures: string[] };

// ── the clients (a worker thread, so their signing and XML work is not timed inside the platform's event loop) ──
const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

function post(baseUrl: string, path: string, body: string, headers: Record<string, string>): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const request = http.request(baseUrl + path, { method: "POST", agent, headers: { ...headers, "content-length": Buffer.byteLength(body) } }, (response) => {
      let text = "";
      response.setEncoding("utf8");
      response.on("data", (chunk) => (text += chunk));
      response.on("end", () => resolve({ status: response.statusCode ?? 0, text }));
    });
    request.on("error", reject);
    request.end(body);
  });
}

async function runClients(data: ClientData): Promise<void> {
  const keys = data.payers.map((p) => createPrivateKey(p.keyPem));
  const latencies = new Samples();
  let confirmed = 0;
  let failed = 0;
  let sampleReceipt: string | undefined;
  const failures: string[] = [];
  const started = performance.now();
  const deadline = started + data.seconds * 1000;
  const progress = setInterval(() => parentPort!.postMessage({ kind: "progress", answered: confirmed + failed } satisfies ClientMessage), PROGRESS_EVERY_MS);
  const loop = async (client: number) => {
    const mine = data.payers.map((p, i) => ({ p, key: keys[i]! })).filter((_, i) => i % data.clients === client);
    for (let n = 0; performance.now() < deadline; n++) {
      const { p, key } = mine[n % mine.length]!;
      const t0 = performance.now();
      const created = await post(data.baseUrl, "/v1/payments", JSON.stringify({ amount: PAYMENT_AMOUNT, currency: "KES", merchantReference: `bench-${randomUUID()}`, payerMsisdn: p.msisdn }),
        { authorization: `Bearer ${data.apiKey}`, "idempotency-key": randomUUID(), "content-type": "application/json" });
      if (created.status !== 201) { failed++; if (failures.length < 5) failures.push(`create ${created.status} ${created.text.slice(0, 200)}`); continue; }
      const payment = JSON.parse(created.text) as { id: string };
      const xml = buildMessage({
        type: "wallet.payment.confirm", now: new Date(), random: (k) => new Uint8Array(randomBytes(k)), signer: { privateKey: key, keyName: p.compactId },
        body: [{ name: "Confirm", attributes: { PaymentId: payment.id, MerchantId: data.merchantId, Amount: PAYMENT_AMOUNT, Currency: "KES", Funding: "wallet" } }],
      }).xml;
      const answer = await post(data.baseUrl, "/v1/wallet/messages", xml, { "content-type": "application/xml" });
      if (answer.status !== 201) { failed++; if (failures.length < 5) failures.push(`confirm ${answer.status} ${answer.text.slice(0, 300)}`); continue; }
      latencies.push(performance.now() - t0);
      confirmed++;
      sampleReceipt ??= answer.text;
    }
  };
  await Promise.all(Array.from({ length: data.clients }, (_, i) => loop(i)));
  clearInterval(progress);
  parentPort!.postMessage({ kind: "done", latenciesMs: latencies.sorted(), confirmed, failed, seconds: (performance.now() - started) / 1000, sampleReceipt, failures } satisfies ClientMessage);
}

// ── the platform side ──
async function measurePayments(serverUrl: string): Promise<Row> {
  const database = await createScratchDatabase(serverUrl, "payments");
  let platform: Platform | undefined;
  try {
    const config = loadConfig({ DATABASE_URL: database.url, OBOL_KEY_PASSPHRASE: randomBytes(18).toString("base64url"), LOG_LEVEL: "silent", OBOL_DB_POOL_SIZE: "10" }, { port: 0 });
    log(`payments: starting the platform against ${database.name}`);
    platform = await createPlatform(config, { logger: false, onFatal: (error) => log(`payments: FATAL ledger invariant: ${String(error)}`) });
    const services = platform.services;
    const demo = (await seedDemoData(services))!;
    const baseUrl = await platform.app.listen({ host: "127.0.0.1", port: 0 });

    log(`payments: registering, funding and enrolling ${PAYERS} payers (device key, CSR, certificate)`);
    const payers: Payer[] = [];
    for (let i = 0; i < PAYERS; i++) {
      const msisdn = `+2547${String(10_000_000 + i).padStart(8, "0")}`;
      const created = await services.parties.createUser({ msisdn, displayName: `Payer ${i}`, password: randomBytes(12).toString("base64url") });
      if (!created.ok) throw new Error(`payer ${msisdn}: ${created.code}`);
      const topUp = await services.wallet.topUp(created.user, { amount: 100_000_000n, currency: "KES", transferId: transferIdFor("bench", `fund-${i}`) });
      if (!topUp.ok) throw new Error(`funding ${msisdn}: ${topUp.code}`);
      const key = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey;
      const { code } = await services.pki.codes.issue("user", created.user.id);
      const enrolled = await services.pki.enrol({ partyType: "user", partyId: created.user.id, msisdn, code, csrDer: new Uint8Array(await createCsr(key, "bench")) });
      if (!enrolled.ok) throw new Error(`enrolling ${msisdn}: ${enrolled.code}`);
      payers.push({ msisdn, compactId: enrolled.certificate.compactId, keyPem: key.export({ type: "pkcs8", format: "pem" }).toString() });
    }

    log(`payments: ${CLIENTS} client loops, merchant request + signed confirmation + receipt, ${BENCH_SECONDS} s`);
    const done = await new Promise<Extract<ClientMessage, { kind: "done" }>>((resolve, reject) => {
      const worker = new Worker(new URL(import.meta.url), { workerData: { baseUrl, apiKey: demo.merchant.apiKey, merchantId: demo.merchant.id, payers, clients: CLIENTS, seconds: BENCH_SECONDS } satisfies ClientData });
      const started = performance.now();
      worker.on("message", (message: ClientMessage) => {
        if (message.kind === "progress") log(`payments: ${message.answered} answered, ${(message.answered / ((performance.now() - started) / 1000)).toFixed(0)}/s so far`);
        else resolve(message);
      });
      worker.on("error", reject);
    });
    for (const failure of done.failures) log(`payments: failure: ${failure}`);
    if (done.sampleReceipt !== undefined) {
      const receipt = verifyReceipt(done.sampleReceipt, new X509Certificate(services.pki.keys.signing.certificateDer));
      log(`payments: a sample receipt verifies offline: ${receipt.status} ${receipt.amountMinor} ${receipt.currency} ${receipt.payer} → ${receipt.payee}`);
    }
    const perSecond = done.confirmed / done.seconds;
    log(`payments: ${done.confirmed} confirmed, ${done.failed} failed in ${done.seconds.toFixed(1)} s = ${perSecond.toFixed(0)}/s`);

    const succeeded = Number((await services.db.selectFrom("payments" as any).select((eb: any) => eb.fn.countAll().as("n")).where("state" as any, "=", "succeeded").executeTakeFirst() as any).n);
    const report = await services.ledger.verify();
    log(`payments: ${succeeded} payments succeeded in the database; ledger verify: ${report.accounts} accounts, ${report.mismatches.length} mismatches, postings sum ${report.postingsSum}`);
    if (succeeded !== done.confirmed || report.mismatches.length !== 0 || report.postingsSum !== 0n) throw new Error("the database does not match what was acknowledged");
    return {
      name: "confirmed payments", perSecond, p50Ms: percentile(done.latenciesMs, 50), p99Ms: percentile(done.latenciesMs, 99),
      note: `${CLIENTS} clients, ${PAYERS} payers; request + signed XML confirmation + ledger (2 transfers) + signed receipt`,
    };
  } finally {
    await platform?.stop();
    await database.drop();
  }
}

async function main(): Promise<number> {
  let server: ThrowawayPostgres | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    log(`${signal}: stopping`);
    runningChild?.kill("SIGTERM");
    void (server?.stop() ?? Promise.resolve()).finally(() => process.exit(130));
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    let serverUrl = process.env.DATABASE_URL;
    if (serverUrl) {
      log(`postgres: using DATABASE_URL ${redact(serverUrl)}`);
    } else {
      log("postgres: starting a throwaway PostgreSQL 15 on loopback");
      server = await startPostgres();
      serverUrl = server.url;
    }
    await printEnvironment(serverUrl);
    const baseline = await runPgbench(serverUrl);
    const payments = await measurePayments(serverUrl);
    printTable([baseline, payments], baseline.perSecond, [
      "per s: pgbench = committed transactions/s; confirmed payments = receipts received/s (each is 2 HTTP requests, 1 signature made, 1 verified, 2+ commits).",
      "Latency: per pgbench transaction, or from the merchant's request to the payer's receipt.",
    ]);
    return 0;
  } finally {
    await server?.stop();
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}

if (isMainThread) {
  main().then((code) => process.exit(code), (error: unknown) => {
    console.error(`bench:payments failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    process.exit(1);
  });
} else {
  await runClients(workerData as ClientData);
}
