import { mkdir, readFile } from "node:fs/promises";
import { dirname } from "node:path";
import { createInterface } from "node:readline/promises";
import { stateFromJson, stateToJson, wallet } from "@obol/svs";
import { EcashPlatformClient } from "../ecash/platform-client.js";
import { SealedFile } from "../ecash/sealed-file.js";
import { EcashWallet } from "../ecash/wallet.js";
import { ObolError } from "../errors/obol-error.js";
import { formatAmount } from "../money.js";
import { login, secret } from "./wallet.js";
import { platformUrl as resolvePlatformUrl } from "./args.js";

/** The public part of the e-cash wallet file: where the platform is and who logs in. */
interface WalletFilePlain {
  url: string;
  msisdn: string;
  currency: string;
}

/** The e-cash wallet file sits beside the keystore: wallet.json → wallet.ecash.json. */
export function ecashWalletPath(keystore: string): string {
  return keystore.endsWith(".json") ? `${keystore.slice(0, -".json".length)}.ecash.json` : `${keystore}.ecash.json`;
}

async function openWallet(keystore: string): Promise<{ ecash: EcashWallet; plain: WalletFilePlain }> {
  const path = ecashWalletPath(keystore);
  const passphrase = await secret("OBOL_WALLET_PASSPHRASE", "wallet passphrase: ");
  const { file, plain, secret: text } = await SealedFile.open<WalletFilePlain>(path, passphrase);
  const platform = new EcashPlatformClient(plain.url, lazyLogin(plain));
  return { ecash: new EcashWallet(stateFromJson<wallet.WalletState>(text), { save: (s) => file.save(plain, stateToJson(s)) }, platform), plain };
}

/** Logs in once, when the platform first needs the user's bearer token (OBOL_WALLET_PASSWORD). */
function lazyLogin(plain: WalletFilePlain): () => Promise<string> {
  let token: Promise<string> | undefined;
  return () => (token ??= login(plain.url, plain.msisdn));
}

function money(amount: bigint, currency: string): string {
  return formatAmount(amount, currency);
}

function short(sn: string): string {
  return `${sn.slice(0, 8)}…`;
}

/** `obol wallet ecash register`: makes the e-cash wallet file and enrols with the platform (no key escrow). */
export async function ecashRegister(options: { keystore: string; url?: string; msisdn?: string }): Promise<number> {
  let { url, msisdn } = options;
  if (url === undefined || msisdn === undefined) {
    const keystore = await readFile(options.keystore, "utf8").then((t) => JSON.parse(t) as { url: string; msisdn: string }, () => undefined);
    url ??= keystore?.url;
    msisdn ??= keystore?.msisdn;
  }
  // Like every command: --url, else the enrolled keystore's, else OBOL_URL, else the default.
  url ??= resolvePlatformUrl(undefined);
  if (msisdn === undefined) throw new ObolError("ERR_USAGE", "give --msisdn (or --keystore of an enrolled wallet)");
  const platformUrl = url.replace(/\/+$/, "");
  const path = ecashWalletPath(options.keystore);
  let opened: { ecash: EcashWallet; plain: WalletFilePlain };
  try {
    opened = await openWallet(options.keystore);
  } catch (error) {
    if ((error as { code?: string }).code !== "ERR_ECASH_NO_WALLET") throw error;
    const params = await new EcashPlatformClient(platformUrl, async () => "").params();
    const plain: WalletFilePlain = { url: platformUrl, msisdn, currency: params.currency };
    const passphrase = await secret("OBOL_WALLET_PASSPHRASE", "new wallet passphrase (12+ characters): ");
    await mkdir(dirname(path), { recursive: true });
    const file = await SealedFile.create(path, passphrase, plain, stateToJson(wallet.emptyWalletState()));
    opened = { ecash: new EcashWallet(wallet.emptyWalletState(), { save: (s) => file.save(plain, stateToJson(s)) }, new EcashPlatformClient(platformUrl, lazyLogin(plain))), plain };
  }
  const registered = await opened.ecash.register();
  console.log(`registered for e-cash as ${registered.id} until ${new Date(registered.notAfterMs).toISOString()} (your key never left this machine)`);
  console.log(`e-cash wallet: ${path}`);
  return 0;
}

/**
 * `obol wallet ecash withdraw --amount N --merchant URL`: a token spendable at that merchant only. A withdrawal
 * an earlier run left unanswered is resent first (the same W1, §2.4 U step 2); if it was for the same amount
 * and merchant it is this one, and no second W1 is made for the same intent.
 */
export async function ecashWithdraw(options: { keystore: string; amount: (currency: string) => bigint; merchant: string }): Promise<number> {
  const { ecash, plain } = await openWallet(options.keystore);
  const amount = options.amount(plain.currency);
  const merchant = await ecash.addMerchant(options.merchant);
  const { recovered, abandoned } = await ecash.finishPendingWithdrawals();
  if (abandoned > 0) console.log(`${abandoned} earlier withdrawal(s) could no longer be completed; any amount taken returns to your wallet when it expires`);
  const same = recovered.find((t) => t.amount === amount && t.payee === merchant.id);
  for (const t of recovered) if (t !== same) console.log(`completed an earlier withdrawal: token ${short(t.sn)} of ${money(t.amount, plain.currency)}`);
  const token = same ?? await ecash.withdraw(amount, merchant.id);
  console.log(`withdrew token ${short(token.sn)} of ${money(token.amount, plain.currency)} for ${merchant.legalName} (${merchant.id}), valid until ${new Date(token.expMs).toISOString()}`);
  return 0;
}

/** `obol wallet ecash pay --merchant URL --item NAME [--price N] [--token SN]`: straight to the merchant. */
export async function ecashPay(options: { keystore: string; merchant: string; item: string; price?: (currency: string) => bigint; token?: string }): Promise<number> {
  if (options.token !== undefined && !/^[0-9a-f]{32}$/.test(options.token)) throw new ObolError("ERR_USAGE", "--token is the 32 hex digits of a serial number (see obol wallet ecash tokens)");
  const { ecash, plain } = await openWallet(options.keystore);
  const price = options.price?.(plain.currency);
  const result = await ecash.pay({ merchantUrl: options.merchant, item: options.item, ...(price === undefined ? {} : { price }), ...(options.token === undefined ? {} : { sn: options.token }) });
  if (!result.accepted) {
    console.log(`refused by the merchant: ${result.reason} (the merchant counts ${money(result.merchantSpent, plain.currency)} spent on token ${short(result.sn)})`);
    return 1;
  }
  console.log(`paid ${money(result.price, plain.currency)} for ${result.item} with token ${short(result.sn)}: ${money(result.remaining, plain.currency)} left`);
  if (result.goods.byteLength > 0) console.log(`goods: ${Buffer.from(result.goods).toString("utf8")}`);
  return 0;
}

/** `obol wallet ecash tokens`. */
export async function ecashTokens(options: { keystore: string }): Promise<number> {
  const { ecash, plain } = await openWallet(options.keystore);
  const tokens = ecash.tokens();
  if (tokens.length === 0) console.log("no e-cash tokens");
  for (const t of tokens) {
    console.log(`token ${t.sn}  merchant ${t.payee}  amount ${money(t.amount, plain.currency)}  spent ${money(t.spent, plain.currency)}  left ${money(t.remaining, plain.currency)}  expires ${new Date(t.expMs).toISOString()}`);
  }
  const pending = Object.keys(ecash.current.withdrawals).length;
  if (pending > 0) console.log(`${pending} withdrawal(s) waiting for the platform's answer: the next withdraw resends them`);
  return 0;
}

/**
 * `obol wallet ecash confirm [--accept | --reject] [--wait-seconds N]`: the merchant's deposits that wait for
 * this user. Each is compared with the wallet's own log; one that does not match is always refused.
 */
export async function ecashConfirm(options: { keystore: string; decision?: "ACCEPT" | "REJECT"; waitSeconds: number }): Promise<number> {
  const { ecash, plain } = await openWallet(options.keystore);
  const requests = await ecash.confirmations(options.waitSeconds * 1000);
  if (requests.length === 0) console.log("no deposits wait for your confirmation");
  for (const { d2, view, merchantName } of requests) {
    console.log(`deposit ${short(view.depId)} by ${merchantName ?? view.merchantId} on token ${short(view.sn)}: ${view.items.length} payment(s), total ${money(view.total, plain.currency)}`);
    for (const item of view.items) console.log(`  payment ${item.j}: ${money(item.price, plain.currency)}`);
    console.log(view.matchesLog ? "  matches your wallet's log" : `  does NOT match your wallet's log: ${view.mismatch}`);
    const decision = options.decision ?? (await ask(view.matchesLog));
    if (decision === undefined) continue;
    const answered = await ecash.confirm(d2, decision);
    console.log(answered.ignored ? "  already answered" : `  ${answered.decision === "ACCEPT" ? "accepted: the merchant is paid" : "refused: the payments are disputed"}`);
  }
  return 0;
}

/** Asks in a terminal; a request that does not match the log is refused without asking (§2.7 U step 2). */
async function ask(matches: boolean): Promise<"ACCEPT" | "REJECT" | undefined> {
  if (!matches) return "REJECT";
  if (!process.stdin.isTTY) return undefined;
  const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
  try {
    const answer = (await rl.question("  accept? [y/N] ")).trim().toLowerCase();
    return answer === "y" || answer === "yes" ? "ACCEPT" : "REJECT";
  } finally {
    rl.close();
  }
}
