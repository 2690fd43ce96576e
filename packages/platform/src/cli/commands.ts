import { homedir } from "node:os";
import { join } from "node:path";
import type { ObolClient } from "@obol/sdk";
import { ObolError } from "../errors/obol-error.js";
import { formatAmount } from "../money.js";
import { amountFlags, currencyFlag, integerFlag, platformUrl, usageError, type Command, type FlagSpec, type FlagValues } from "./args.js";
import { paymentLine, paymentStates } from "./payment-view.js";

// Command modules load when their command runs: `obol --help` and usage errors answer without loading the
// platform, the XML stack or the bank.
const admin = () => import("./admin.js");
const bank = () => import("@obol/bank");
const demo = () => import("./demo.js");
const ecashMerchant = () => import("./ecash-merchant.js");
const ecashWallet = () => import("./ecash-wallet.js");
const merchant = () => import("./merchant.js");
const pki = () => import("./pki.js");
const platform = () => import("./start.js");
const walletPayments = () => import("./wallet-payments.js");
const wallet = () => import("./wallet.js");

/** The longest long poll of `obol wallet ecash confirm`: the platform's confirmationWaitMsMax (a test checks they agree). */
export const ecashConfirmWaitSecondsMax = 25;
const defaultKeystorePath = join(homedir(), ".obol", "wallet.json");

/**
 * Every `obol` command: its flags (with help), examples, and how it calls the command's logic. One rule for
 * each kind of flag across commands: --url (else OBOL_URL) for the platform, --amount in major units with the
 * currency's decimals or --amount-minor in minor units, --wait in seconds, --keystore for the wallet file.
 */

const str = (v: string | boolean | undefined): string | undefined => (typeof v === "string" ? v : undefined);
const flagOn = (v: string | boolean | undefined): boolean => v === true;

// Flags shared by many commands, so each means the same everywhere.
const url: FlagSpec = { type: "string", value: "URL", description: "the platform's URL", defaultText: "$OBOL_URL, else http://127.0.0.1:3000" };
const walletUrl: FlagSpec = { type: "string", value: "URL", description: "the platform's URL, if it moved since enrolment", defaultText: "the URL kept in the keystore" };
const keystore: FlagSpec = { type: "string", value: "FILE", description: "the wallet keystore file", defaultText: "~/.obol/wallet.json" };
const port: FlagSpec = { type: "string", value: "N", description: "the port to listen on (0..65535)", defaultText: "$PORT, else 3000" };
const production: FlagSpec = { type: "boolean", description: "production mode: refuse unsafe settings" };
const currency: FlagSpec = { type: "string", value: "CODE", description: "ISO 4217 currency", defaultText: "KES" };
const amount: FlagSpec = { type: "string", value: "AMOUNT", description: "the amount in major units with the currency's decimal places, e.g. 50.00 (\"50\" is refused)" };
const amountMinor: FlagSpec = { type: "string", value: "N", description: "the amount in integer minor units instead, e.g. 5000 for 50.00 KES" };
const idempotencyKey: FlagSpec = { type: "string", value: "KEY", description: "reuse a key to retry safely: the same key never moves money twice", defaultText: "a new random key" };
const payment: FlagSpec = { type: "string", value: "ID", description: "the payment's id" };
const waitFlag = (what: string, max: number): FlagSpec => ({ type: "string", value: "S", description: `wait up to S seconds (0..${max}) for ${what}`, defaultText: "0" });

const walletSecrets = "Secrets come from OBOL_WALLET_PASSWORD (your login) and OBOL_WALLET_PASSPHRASE (the keystore), or are asked in a terminal; never from flags.";
const merchantSecrets = "The merchant API key comes from OBOL_MERCHANT_API_KEY (never a flag: flags show in process lists).";
const amountDetails = `Amounts: --amount takes major units with exactly the currency's decimal places (50.00 for KES); "50" is refused as ambiguous. --amount-minor takes integer minor units (5000 = 50.00 KES). Give one of the two.`;

function overrides(values: FlagValues): { production?: boolean; port?: number } {
  const portNumber = integerFlag(values.port, "port", 0, 65_535);
  return { ...(values.production === true ? { production: true } : {}), ...(portNumber === undefined ? {} : { port: portNumber }) };
}

const waitSeconds = (values: FlagValues, max = 600): number => integerFlag(values.wait, "wait", 0, max, " seconds") ?? 0;
const keystorePath = (values: FlagValues): string => str(values.keystore) ?? defaultKeystorePath;
const walletUrlOf = (values: FlagValues): string | undefined => (values.url === undefined ? undefined : platformUrl(values.url));
const paymentId = (values: FlagValues): string => {
  const id = str(values.payment)!;
  if (!/^[0-9a-f-]{36}$/i.test(id)) throw usageError(`--payment must be a payment id (a UUID), not '${id}'`);
  return id;
};

const merchantReference: FlagSpec = { type: "string", value: "REF", description: "or the payment by your order reference (the --reference of merchant request)" };
/** A merchant's payment by --payment ID or by --reference REF (exactly one): merchants think in their own references. */
async function merchantPaymentId(api: ObolClient, values: FlagValues): Promise<string> {
  const reference = str(values.reference);
  if ((values.payment === undefined) === (reference === undefined)) throw usageError("give the payment as --payment ID or --reference REF (one of the two)");
  if (reference === undefined) return paymentId(values);
  return (await (await merchant()).findPaymentByReference(api, reference)).id;
}

export const commands: Command[] = [
  {
    name: "start", summary: "run the platform (embedded PostgreSQL under ./data unless DATABASE_URL is set)",
    details: "Environment: DATABASE_URL, PORT, HOST, OBOL_DATA_DIR, OBOL_CURRENCIES, NODE_ENV, LOG_LEVEL (see README).",
    flags: { demo: { type: "boolean", description: "create demo users, a merchant and an operator on first start" }, production, port },
    examples: ["obol start --demo", "PORT=3140 OBOL_DATA_DIR=/tmp/obol obol start --demo"],
    run: async (v) => (await platform()).start({ demo: flagOn(v.demo), overrides: overrides(v) }),
  },
  {
    name: "migrate", summary: "apply pending database migrations and exit", flags: { production }, examples: ["obol migrate"],
    run: async (v) => (await platform()).migrateOnly(overrides(v)),
  },
  {
    name: "admin create", summary: "create an operator; prints a generated password once",
    flags: {
      username: { type: "string", value: "NAME", description: "3-32 of a-z 0-9 _ . -, starting with a letter", required: true },
      role: { type: "string", value: "ROLE", description: "admin, risk or support", defaultText: "admin" },
      "password-stdin": { type: "boolean", description: "read the password from stdin instead of generating one" },
      production,
    },
    examples: ["obol admin create --username ops-anna --role support", "printf '%s' \"$PASSWORD\" | obol admin create --username ops-ben --password-stdin"],
    run: async (v) => (await admin()).adminCreate({ username: str(v.username)!, role: str(v.role) ?? "admin", passwordFromStdin: flagOn(v["password-stdin"]), overrides: overrides(v) }),
  },
  { name: "demo", summary: "a scripted P2P transfer and a confirmed payment on a throwaway in-memory platform", flags: {}, examples: ["obol demo"], run: async () => (await demo()).runDemo() },
  { name: "ledger verify", summary: "prove every balance equals its postings", flags: { production }, examples: ["obol ledger verify"], run: async (v) => (await platform()).ledgerVerify(overrides(v)) },
  { name: "audit verify", summary: "check the audit log's hash chain and signed checkpoints", flags: { production }, examples: ["obol audit verify"], run: async (v) => (await platform()).auditVerify(overrides(v)) },
  {
    name: "pki hsm-init", summary: "key ceremony: make the issuing CA key in the PKCS#11 token and certify it",
    details: "Needs OBOL_PKCS11_MODULE, OBOL_PKCS11_TOKEN_LABEL and OBOL_PKCS11_PIN.", flags: { production }, examples: ["obol pki hsm-init"],
    run: async (v) => (await pki()).pkiHsmInit(overrides(v)),
  },
  { name: "bank start", summary: "run the reference bank (its own process and database; OBOL_BANK_* variables)", flags: {}, examples: ["obol bank start"], run: async () => (await bank()).startBank(process.env) },
  {
    name: "bank reconcile", summary: "the clearing account against the bank's statement; exit 1 on any mismatch", flags: { currency, production },
    examples: ["obol bank reconcile --currency KES"], run: async (v) => (await platform()).bankReconcile(overrides(v), currencyFlag(v.currency)),
  },

  // The wallet: a device key made here, sealed in a keystore; payments are signed XML messages.
  {
    name: "wallet enroll", summary: "make a device key, get it certified by the platform, keep it sealed in the keystore",
    details: `The enrolment code comes from an operator (POST /v1/admin/enrolment-codes). ${walletSecrets}`,
    flags: { url, msisdn: { type: "string", value: "MSISDN", description: "your phone number, e.g. +254700000001", required: true }, code: { type: "string", value: "CODE", description: "the one-time enrolment code", required: true }, keystore },
    examples: ["obol wallet enroll --url http://127.0.0.1:3000 --msisdn +254700000001 --code 123456"],
    run: async (v) => (await wallet()).walletEnroll({ url: platformUrl(v.url), msisdn: str(v.msisdn)!, code: str(v.code)!, keystore: keystorePath(v) }),
  },
  { name: "wallet status", summary: "the wallet's certificate and its status at the platform", flags: { keystore, url: walletUrl }, examples: ["obol wallet status"], run: async (v) => (await wallet()).walletStatus({ keystore: keystorePath(v), url: walletUrlOf(v) }) },
  { name: "wallet balance", summary: "your balance (a signed message)", details: walletSecrets, flags: { keystore, url: walletUrl }, examples: ["obol wallet balance"], run: async (v) => (await wallet()).walletBalance({ keystore: keystorePath(v), url: walletUrlOf(v) }) },
  { name: "wallet history", summary: "your last 20 transfers", details: walletSecrets, flags: { keystore, url: walletUrl }, examples: ["obol wallet history"], run: async (v) => (await wallet()).walletHistory({ keystore: keystorePath(v), url: walletUrlOf(v) }) },
  { name: "wallet revoke", summary: "revoke this wallet's certificate (a lost or replaced device)", details: walletSecrets, flags: { keystore, url: walletUrl }, examples: ["obol wallet revoke"], run: async (v) => (await wallet()).walletRevoke({ keystore: keystorePath(v), url: walletUrlOf(v) }) },
  { name: "wallet session-key", summary: "obtain or rotate the named session key that confidential parts travel under", details: walletSecrets, flags: { keystore, url: walletUrl }, examples: ["obol wallet session-key"], run: async (v) => (await wallet()).walletSessionKey({ keystore: keystorePath(v), url: walletUrlOf(v) }) },
  {
    name: "wallet pay", summary: "pay another user: a signed transfer message; the platform's signed receipt is verified",
    details: `${amountDetails}\n${walletSecrets}`,
    flags: { to: { type: "string", value: "MSISDN", description: "the payee's phone number", required: true }, amount, "amount-minor": amountMinor, currency, "idempotency-key": idempotencyKey, keystore, url: walletUrl },
    examples: ["obol wallet pay --to +254700000002 --amount 125.50", "obol wallet pay --to +254700000002 --amount-minor 12550 --currency KES"],
    run: async (v) => {
      const code = currencyFlag(v.currency);
      return (await wallet()).walletPay({ keystore: keystorePath(v), url: walletUrlOf(v), to: str(v.to)!, amount: amountFlags(v, "amount", code), currency: code, idempotencyKey: str(v["idempotency-key"]) });
    },
  },
  {
    name: "wallet inbox", summary: "payment requests waiting for your confirmation", details: walletSecrets,
    flags: { wait: waitFlag("a request to arrive", 600), keystore, url: walletUrl }, examples: ["obol wallet inbox", "obol wallet inbox --wait 30"],
    run: async (v) => (await walletPayments()).walletInbox({ keystore: keystorePath(v), url: walletUrlOf(v), waitSeconds: waitSeconds(v) }),
  },
  {
    name: "wallet confirm", summary: "confirm a merchant's payment request: shows merchant, amount and reference, and asks",
    details: `Nothing is signed without an explicit yes: typed in a terminal, or --yes. With no terminal (a script, a pipe) and no --yes it refuses (exit 1).\n${walletSecrets}`,
    flags: {
      payment: { ...payment, description: "the request to confirm", defaultText: "the only one waiting" },
      funding: { type: "string", value: "SOURCE", description: "auto, wallet or bank (your linked bank account)", defaultText: "auto" },
      wait: waitFlag("a request to arrive", 600), yes: { type: "boolean", description: "confirm without asking (scripts)" }, keystore, url: walletUrl,
    },
    examples: ["obol wallet confirm", "obol wallet confirm --payment 4f1c…-… --funding bank", "obol wallet confirm --wait 30 --yes"],
    run: async (v) => {
      const funding = str(v.funding) ?? "auto";
      if (!["auto", "wallet", "bank"].includes(funding)) throw usageError(`--funding must be auto, wallet or bank, not '${funding}'`);
      return (await walletPayments()).walletConfirm({ keystore: keystorePath(v), url: walletUrlOf(v), ...(v.payment === undefined ? {} : { paymentId: paymentId(v) }), funding, waitSeconds: waitSeconds(v), yes: flagOn(v.yes) });
    },
  },
  {
    name: "wallet decline", summary: "decline a merchant's payment request", details: walletSecrets,
    flags: { payment: { ...payment, defaultText: "the only one waiting" }, wait: waitFlag("a request to arrive", 600), keystore, url: walletUrl },
    examples: ["obol wallet decline --payment 4f1c…"],
    run: async (v) => (await walletPayments()).walletDecline({ keystore: keystorePath(v), url: walletUrlOf(v), ...(v.payment === undefined ? {} : { paymentId: paymentId(v) }), waitSeconds: waitSeconds(v) }),
  },
  { name: "wallet payments", summary: "your merchant payments and their states", details: walletSecrets, flags: { keystore, url: walletUrl }, examples: ["obol wallet payments"], run: async (v) => (await walletPayments()).walletPayments({ keystore: keystorePath(v), url: walletUrlOf(v) }) },
  {
    name: "wallet received", summary: "escrow: you received the goods (releases the funds to the merchant)", details: walletSecrets,
    flags: { payment: { ...payment, required: true }, keystore, url: walletUrl }, examples: ["obol wallet received --payment 4f1c…"],
    run: async (v) => (await walletPayments()).walletReceived({ keystore: keystorePath(v), url: walletUrlOf(v), paymentId: paymentId(v) }),
  },
  {
    name: "wallet dispute", summary: "escrow: dispute a payment before its release", details: walletSecrets,
    flags: { payment: { ...payment, required: true }, reason: { type: "string", value: "TEXT", description: "what went wrong", required: true }, keystore, url: walletUrl },
    examples: ["obol wallet dispute --payment 4f1c… --reason \"never arrived\""],
    run: async (v) => (await walletPayments()).walletDispute({ keystore: keystorePath(v), url: walletUrlOf(v), paymentId: paymentId(v), reason: str(v.reason)! }),
  },

  // The merchant API, through @obol/sdk.
  {
    name: "merchant request", summary: "request a payment from a user, who confirms it on their wallet",
    details: `${amountDetails}\n${merchantSecrets}`,
    flags: {
      amount, "amount-minor": amountMinor, currency, payer: { type: "string", value: "MSISDN", description: "the payer's phone number", defaultText: "an open request anyone can pay" },
      reference: { type: "string", value: "REF", description: "your order reference", defaultText: "cli-<random>" }, description: { type: "string", value: "TEXT", description: "what is being paid for" },
      escrow: { type: "boolean", description: "hold the funds until the payer confirms receipt" }, expires: { type: "string", value: "S", description: "seconds until the request expires (10..86400)" },
      wait: waitFlag("the payer to confirm (a countdown shows on stderr)", 600), "idempotency-key": idempotencyKey, url,
    },
    examples: ["obol merchant request --amount 250.00 --payer +254700000001 --reference order-42 --wait 60", "obol merchant request --amount-minor 25000 --escrow"],
    run: async (v) => {
      const code = currencyFlag(v.currency);
      const input = {
        amount: amountFlags(v, "amount", code), currency: code, payer: str(v.payer), reference: str(v.reference), description: str(v.description), escrow: flagOn(v.escrow),
        expiresSeconds: integerFlag(v.expires, "expires", 10, 86_400, " seconds"), idempotencyKey: str(v["idempotency-key"]),
      };
      const wait = waitSeconds(v);
      const { merchantClient, requestPayment, waitForOutcome } = await merchant();
      const api = merchantClient(platformUrl(v.url));
      const created = await requestPayment(api, input);
      console.log(`requested: ${paymentLine(created)} (expires ${created.expiresAt})`);
      if (wait <= 0) return 0;
      const outcome = await waitForOutcome(api, created, wait);
      console.log(`now: ${paymentLine(outcome)}`);
      return outcome.state === "succeeded" || outcome.state === "held" ? 0 : 1;
    },
  },
  {
    name: "merchant list", summary: "your payments, newest first (50)", details: merchantSecrets,
    flags: { state: { type: "string", value: "STATE", description: `only this state: ${paymentStates.join(", ")}` }, url },
    examples: ["obol merchant list", "obol merchant list --state succeeded"],
    run: async (v) => {
      const state = str(v.state);
      if (state !== undefined && !paymentStates.includes(state as never)) throw usageError(`--state must be one of ${paymentStates.join(", ")}, not '${state}'`);
      const { listPayments, merchantClient } = await merchant();
      const payments = await listPayments(merchantClient(platformUrl(v.url)), state);
      for (const p of payments) console.log(paymentLine(p));
      if (payments.length === 0) console.log("no payments");
      return 0;
    },
  },
  {
    name: "merchant get", summary: "one payment with its transitions and refunds", details: merchantSecrets,
    flags: { payment, reference: merchantReference, url }, examples: ["obol merchant get --payment 4f1c…", "obol merchant get --reference order-42"],
    run: async (v) => {
      const { getPayment, merchantClient } = await merchant();
      const api = merchantClient(platformUrl(v.url));
      const p = await getPayment(api, await merchantPaymentId(api, v));
      console.log(paymentLine(p));
      for (const t of p.transitions) console.log(`  ${t.at}  ${t.event.padEnd(16)} ${t.from ?? "-"} → ${t.to}  by ${t.actor}${t.reason ? `  ${t.reason}` : ""}`);
      for (const r of p.refunds) console.log(`  refund ${r.id}: ${formatAmount(BigInt(r.amount), p.currency)} ${r.state}${r.reason ? ` (${r.reason})` : ""}`);
      return 0;
    },
  },
  {
    name: "merchant refund", summary: "refund all or part of a payment (in the payment's currency)",
    details: `${amountDetails}\n${merchantSecrets}`,
    flags: { payment, reference: merchantReference, amount, "amount-minor": amountMinor, reason: { type: "string", value: "TEXT", description: "why, shown to the payer" }, "idempotency-key": idempotencyKey, url },
    examples: ["obol merchant refund --payment 4f1c… --amount 50.00 --reason \"one latte\"", "obol merchant refund --reference order-42 --amount-minor 5000"],
    run: async (v) => {
      if (v.amount === undefined && v["amount-minor"] === undefined) throw usageError("--amount AMOUNT or --amount-minor N is required: see obol merchant refund --help");
      const { getPayment, merchantClient, refundPayment } = await merchant();
      const api = merchantClient(platformUrl(v.url));
      const id = await merchantPaymentId(api, v);
      const original = await getPayment(api, id);
      const refund = await refundPayment(api, { paymentId: id, amount: amountFlags(v, "amount", original.currency), reason: str(v.reason), idempotencyKey: str(v["idempotency-key"]) });
      console.log(`refund ${refund.id}: ${formatAmount(BigInt(refund.amount), original.currency)} ${refund.state}`);
      return 0;
    },
  },
  ...(["ship", "cancel"] as const).map((action): Command => ({
    name: `merchant ${action}`, summary: action === "ship" ? "escrow: mark a held payment as shipped" : "cancel a request the payer has not confirmed", details: merchantSecrets,
    flags: { payment, reference: merchantReference, url }, examples: [`obol merchant ${action} --payment 4f1c…`, `obol merchant ${action} --reference order-42`],
    run: async (v) => {
      const { merchantClient, paymentAction } = await merchant();
      const api = merchantClient(platformUrl(v.url));
      console.log(paymentLine(await paymentAction(api, action, await merchantPaymentId(api, v))));
      return 0;
    },
  })),

  // E-cash (SVS1-M): tokens withdrawn for one merchant, spent offline against its own server.
  ...ecashCommands(),
];

function ecashCommands(): Command[] {
  const ecashWalletSecrets = "OBOL_WALLET_PASSWORD logs in; OBOL_WALLET_PASSPHRASE seals the e-cash file beside the keystore.";
  const merchantEcashSecrets = "OBOL_MERCHANT_API_KEY logs in; OBOL_MERCHANT_PASSPHRASE seals the merchant's e-cash database.";
  const dataDir: FlagSpec = { type: "string", value: "DIR", description: "the merchant's e-cash data directory", defaultText: "./data/merchant-ecash" };
  const merchantUrl: FlagSpec = { type: "string", value: "URL", description: "the merchant's e-cash server (obol merchant ecash serve)", required: true };
  const dataDirOf = (v: FlagValues) => str(v["data-dir"]) ?? "./data/merchant-ecash";
  const waitMax = ecashConfirmWaitSecondsMax;
  return [
    {
      name: "wallet ecash register", summary: "enrol the wallet for e-cash (no key escrow)", details: ecashWalletSecrets,
      flags: { url: { ...url, defaultText: "the enrolled keystore's URL, else $OBOL_URL, else http://127.0.0.1:3000" }, msisdn: { type: "string", value: "MSISDN", description: "your phone number", defaultText: "the enrolled keystore's" }, keystore },
      examples: ["obol wallet ecash register", "obol wallet ecash register --url http://127.0.0.1:3000 --msisdn +254700000001"],
      run: async (v) => (await ecashWallet()).ecashRegister({ keystore: keystorePath(v), ...(v.url === undefined ? {} : { url: platformUrl(v.url) }), ...(v.msisdn === undefined ? {} : { msisdn: str(v.msisdn)! }) }),
    },
    {
      name: "wallet ecash withdraw", summary: "withdraw a token spendable at one merchant", details: `${amountDetails} The currency is the platform's e-cash currency.\n${ecashWalletSecrets}`,
      flags: { amount, "amount-minor": amountMinor, merchant: merchantUrl, keystore },
      examples: ["obol wallet ecash withdraw --amount 1.00 --merchant http://127.0.0.1:4100"],
      run: async (v) => {
        if (v.amount === undefined && v["amount-minor"] === undefined) throw usageError("--amount AMOUNT or --amount-minor N is required: see obol wallet ecash withdraw --help");
        return (await ecashWallet()).ecashWithdraw({ keystore: keystorePath(v), amount: (currencyCode) => amountFlags(v, "amount", currencyCode), merchant: str(v.merchant)! });
      },
    },
    {
      name: "wallet ecash pay", summary: "pay a merchant's e-cash server for an item, offline from the platform",
      details: `--price, if given, must match the catalogue: major units with the currency's decimals, or --price-minor.\n${ecashWalletSecrets}`,
      flags: {
        merchant: merchantUrl, item: { type: "string", value: "NAME", description: "the catalogue item", required: true },
        price: { type: "string", value: "AMOUNT", description: "the price you expect, e.g. 0.20" }, "price-minor": { type: "string", value: "N", description: "the price in minor units instead" },
        token: { type: "string", value: "SN", description: "the token to spend (32 hex digits)", defaultText: "one for that merchant" }, keystore,
      },
      examples: ["obol wallet ecash pay --merchant http://127.0.0.1:4100 --item espresso", "obol wallet ecash pay --merchant http://127.0.0.1:4100 --item espresso --price 0.20"],
      run: async (v) => (await ecashWallet()).ecashPay({
        keystore: keystorePath(v), merchant: str(v.merchant)!, item: str(v.item)!,
        ...(v.price === undefined && v["price-minor"] === undefined ? {} : { price: (currencyCode: string) => amountFlags(v, "price", currencyCode) }),
        ...(v.token === undefined ? {} : { token: str(v.token)! }),
      }),
    },
    { name: "wallet ecash tokens", summary: "your e-cash tokens", details: ecashWalletSecrets, flags: { keystore }, examples: ["obol wallet ecash tokens"], run: async (v) => (await ecashWallet()).ecashTokens({ keystore: keystorePath(v) }) },
    {
      name: "wallet ecash confirm", summary: "answer the merchants' deposits that wait for you (a deposit that does not match your log is always refused)",
      details: `Without --accept or --reject, each matching deposit is asked about in a terminal, and left waiting with no terminal.\n${ecashWalletSecrets}`,
      flags: {
        accept: { type: "boolean", description: "accept every deposit that matches your log" }, reject: { type: "boolean", description: "refuse every deposit" },
        wait: { ...waitFlag("deposits to arrive", waitMax), alias: "wait-seconds" }, keystore,
      },
      examples: ["obol wallet ecash confirm", "obol wallet ecash confirm --accept --wait 5"],
      run: async (v) => {
        if (v.accept === true && v.reject === true) throw usageError("give --accept or --reject, not both");
        return (await ecashWallet()).ecashConfirm({ keystore: keystorePath(v), waitSeconds: waitSeconds(v, waitMax), ...(v.accept === true ? { decision: "ACCEPT" as const } : v.reject === true ? { decision: "REJECT" as const } : {}) });
      },
    },
    {
      name: "merchant ecash register", summary: "enrol the merchant for e-cash (its API key logs it in; no key escrow)", details: merchantEcashSecrets,
      flags: { url: { ...url, alias: "platform" }, "data-dir": dataDir }, examples: ["obol merchant ecash register --url http://127.0.0.1:3000"],
      run: async (v) => (await ecashMerchant()).merchantRegister({ dataDir: dataDirOf(v), platform: platformUrl(v.url) }),
    },
    {
      name: "merchant ecash serve", summary: "take e-cash payments from wallets until stopped (SIGINT/SIGTERM)", details: merchantEcashSecrets,
      flags: {
        catalogue: { type: "string", value: "FILE", description: "JSON list of { item, price } (price in minor units)", required: true },
        host: { type: "string", value: "HOST", description: "the address to listen on", defaultText: "127.0.0.1" }, port: { ...port, defaultText: "0 (any free port)" }, "data-dir": dataDir,
      },
      examples: ["obol merchant ecash serve --catalogue catalogue.json --port 4100"],
      run: async (v) => (await ecashMerchant()).merchantServe({ dataDir: dataDirOf(v), catalogue: str(v.catalogue)!, host: str(v.host) ?? "127.0.0.1", port: integerFlag(v.port, "port", 0, 65_535) ?? 0 }),
    },
    { name: "merchant ecash deposit", summary: "deposit every new payment record (the users confirm)", details: merchantEcashSecrets, flags: { "data-dir": dataDir }, examples: ["obol merchant ecash deposit"], run: async (v) => (await ecashMerchant()).merchantDeposit({ dataDir: dataDirOf(v) }) },
    { name: "merchant ecash records", summary: "every e-cash payment taken, with its deposit status", details: merchantEcashSecrets, flags: { "data-dir": dataDir }, examples: ["obol merchant ecash records"], run: async (v) => (await ecashMerchant()).merchantRecords({ dataDir: dataDirOf(v) }) },
  ];
}

export function unknownCommand(words: string[]): ObolError {
  return usageError(`unknown command '${words.join(" ")}': see obol --help`);
}
