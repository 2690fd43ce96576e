import { mkdir } from "node:fs/promises";
import { loadCatalogue } from "../ecash/merchant/catalogue.js";
import { acquireLock, readServeInfo, removeServeInfo, writeServeInfo } from "../ecash/merchant/lock.js";
import { buildMerchantServer, newAdminToken } from "../ecash/merchant/server.js";
import { MerchantEcash, type DepositView, type RecordView } from "../ecash/merchant/service.js";
import { MerchantStore } from "../ecash/merchant/store.js";
import { EcashPlatformClient } from "../ecash/platform-client.js";
import { exchange, jsonOf } from "../ecash/transport.js";
import { ObolError } from "../errors/obol-error.js";
import { secret } from "./wallet.js";

/** Seen R values older than 2Δ are dropped this often. */
const pruneIntervalMs = 60_000;

const passphrase = () => secret("OBOL_MERCHANT_PASSPHRASE", "merchant passphrase (12+ characters): ");
const apiKey = () => secret("OBOL_MERCHANT_API_KEY", "merchant API key: ");

function platformOf(url: string): EcashPlatformClient {
  let key: Promise<string> | undefined;
  return new EcashPlatformClient(url, () => (key ??= apiKey()));
}

/** Runs `work` on the merchant's database, holding the data directory's lock. */
async function withMerchant<T>(dataDir: string, work: (ecash: MerchantEcash) => Promise<T>, create?: { platformUrl: string }): Promise<T> {
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const lock = await acquireLock(dataDir);
  if ("heldBy" in lock) throw new ObolError("ERR_ECASH_BUSY", `${dataDir} is in use by process ${lock.heldBy}`);
  try {
    const ecash = new MerchantEcash(await MerchantStore.open(dataDir, await passphrase(), create));
    try {
      return await work(ecash);
    } finally {
      await ecash.close();
    }
  } finally {
    await lock.release();
  }
}

/**
 * The other commands act through a running `serve` (which owns the database) when there is one, else on the
 * database directly.
 */
async function throughServer<T>(dataDir: string, path: string, method: "GET" | "POST"): Promise<T | undefined> {
  const info = await readServeInfo(dataDir);
  const lock = await acquireLock(dataDir);
  if (!("heldBy" in lock)) {
    await lock.release();
    return undefined;
  }
  if (info === undefined || info.pid !== lock.heldBy) throw new ObolError("ERR_ECASH_BUSY", `${dataDir} is in use by process ${lock.heldBy}`);
  return jsonOf<T>(await exchange(info.url + path, { method, token: info.adminToken }), `${method} ${path}`);
}

/** `obol merchant ecash register --platform URL`: enrols the merchant (its API key logs it in), no key escrow. */
export async function merchantRegister(options: { dataDir: string; platform: string }): Promise<number> {
  const platformUrl = options.platform.replace(/\/+$/, "");
  const registered = await withMerchant(options.dataDir, (ecash) => ecash.register(platformOf(ecash.platformUrl)), { platformUrl });
  console.log(`registered for e-cash as ${registered.id} until ${new Date(registered.notAfterMs).toISOString()} (your key never left this machine)`);
  console.log(`merchant data: ${options.dataDir}`);
  return 0;
}

/** `obol merchant ecash serve --catalogue FILE`: takes payments from wallets until SIGINT or SIGTERM. */
export async function merchantServe(options: { dataDir: string; catalogue: string; host: string; port: number }): Promise<number> {
  const catalogue = await loadCatalogue(options.catalogue);
  const lock = await acquireLock(options.dataDir);
  if ("heldBy" in lock) throw new ObolError("ERR_ECASH_BUSY", `${options.dataDir} is in use by process ${lock.heldBy}`);
  let ecash: MerchantEcash;
  try {
    ecash = new MerchantEcash(await MerchantStore.open(options.dataDir, await passphrase()));
    ecash.offer();
  } catch (error) {
    await lock.release();
    throw error;
  }
  const adminToken = newAdminToken();
  const log = (line: string) => process.stderr.write(`${new Date().toISOString()} ${line}\n`);
  const app = await buildMerchantServer({ ecash, catalogue, platform: platformOf(ecash.platformUrl), adminToken, log });
  const address = await app.listen({ host: options.host, port: options.port });
  await writeServeInfo(options.dataDir, { pid: process.pid, url: address, adminToken });
  const pruner = setInterval(() => ecash.prune().catch((error) => log(`prune failed: ${String(error)}`)), pruneIntervalMs).unref();
  console.log(`e-cash merchant ${ecash.offer().id} serving at ${address} (${catalogue.length} items)`);

  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    clearInterval(pruner);
    void (async () => {
      await app.close();
      await removeServeInfo(options.dataDir);
      await ecash.close();
      await lock.release();
      process.exit(0);
    })();
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  return new Promise<number>(() => {});
}

/** `obol merchant ecash deposit`: updates earlier deposits and deposits every new record (the users confirm). */
export async function merchantDeposit(options: { dataDir: string }): Promise<number> {
  const result = await throughServer<{ deposits: DepositView[]; sent: string | null }>(options.dataDir, "/admin/deposit", "POST")
    ?? await withMerchant(options.dataDir, (ecash) => ecash.deposit(platformOf(ecash.platformUrl)));
  console.log(result.sent === null ? "no new payment records to deposit" : `deposit ${result.sent} sent`);
  for (const deposit of result.deposits) {
    for (const token of deposit.tokens) console.log(`deposit ${deposit.depId.slice(0, 8)}…  token ${token.sn.slice(0, 8)}…  ${token.status}  ${token.amount}`);
  }
  return 0;
}

/** `obol merchant ecash records`: every payment taken, with its deposit status. */
export async function merchantRecords(options: { dataDir: string }): Promise<number> {
  const result = await throughServer<{ records: RecordView[] }>(options.dataDir, "/admin/records", "GET")
    ?? await withMerchant(options.dataDir, async (ecash) => ({ records: ecash.records() }));
  if (result.records.length === 0) console.log("no payment records");
  const totals = new Map<string, bigint>();
  for (const r of result.records) {
    console.log(`token ${r.sn.slice(0, 8)}…  j=${r.j}  ${r.item}  ${r.price}  cumulative ${r.cum}  ${r.status}${r.depId === null ? "" : `  deposit ${r.depId.slice(0, 8)}…`}`);
    totals.set(r.status, (totals.get(r.status) ?? 0n) + BigInt(r.price));
  }
  if (totals.size > 0) console.log(`totals: ${[...totals].map(([status, sum]) => `${status} ${sum}`).join(", ")}`);
  return 0;
}
