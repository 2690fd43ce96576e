#!/usr/bin/env node
import { parseArgs } from "node:util";
import { startBank } from "@obol/bank";
import { ObolError } from "../errors/obol-error.js";
import { adminCreate } from "./admin.js";
import { runDemo } from "./demo.js";
import { auditVerify, bankReconcile, ledgerVerify, migrateOnly, start } from "./start.js";
import { pkiHsmInit } from "./pki.js";
import { merchantAction, merchantGet, merchantList, merchantRefund, merchantRequest } from "./merchant.js";
import { walletConfirm, walletDecline, walletDispute, walletInbox, walletPayments, walletReceived } from "./wallet-payments.js";
import { ecashCommand, ecashUsage } from "./ecash.js";
import { defaultKeystorePath, walletBalance, walletEnroll, walletHistory, walletPay, walletRevoke, walletSessionKey, walletStatus } from "./wallet.js";

const usage = `obol: the Obol payment platform

Usage:
  obol start [--demo] [--production] [--port N]   run the platform (PGlite under ./data unless DATABASE_URL is set)
  obol migrate                                    apply pending database migrations and exit
  obol admin create --username NAME [--role admin|risk|support] [--password-stdin]
                                                  create an operator; prints a generated password once
  obol demo                                       scripted P2P transfer on a throwaway in-memory platform
  obol ledger verify                              prove every balance equals its postings
  obol audit verify                               check the audit log's hash chain and signed checkpoints
  obol pki hsm-init                               key ceremony: make the issuing CA key in the PKCS#11 token
                                                  (OBOL_PKCS11_MODULE, _TOKEN_LABEL, _PIN) and certify it
  obol wallet enroll --url URL --msisdn MSISDN --code CODE [--keystore FILE]
                                                  make a device key, get it certified, keep it sealed
  obol wallet status|balance|history|revoke [--keystore FILE]
  obol wallet session-key [--keystore FILE]   (obtain or rotate the named session key for confidential parts)
  obol wallet pay --to MSISDN --amount MINOR [--currency KES] [--idempotency-key K] [--keystore FILE]
      (wallet secrets: OBOL_WALLET_PASSWORD, OBOL_WALLET_PASSPHRASE, or asked in a terminal)
  obol wallet inbox [--wait S]                    payment requests waiting for your confirmation
  obol wallet confirm [--payment ID] [--funding auto|wallet|bank] [--wait S] [--yes]
  obol wallet decline [--payment ID] [--wait S]
  obol wallet payments                            your merchant payments and their states
  obol wallet received --payment ID               escrow: you received the goods (releases the funds)
  obol wallet dispute --payment ID --reason TEXT  escrow: dispute before release
  obol merchant request --amount MINOR [--payer MSISDN] [--reference R] [--description D] [--escrow]
                        [--expires S] [--wait S] [--url URL]
  obol merchant list [--state S] | get --payment ID | refund --payment ID --amount MINOR [--reason R]
  obol merchant ship --payment ID | cancel --payment ID
      (merchant API key: OBOL_MERCHANT_API_KEY; --url defaults to OBOL_URL or http://127.0.0.1:3000)
  obol bank start                                 run the reference bank (its own process and database; OBOL_BANK_* variables)
  obol bank reconcile [--currency KES]            the clearing account against the bank's statement; exit 1 on any mismatch
${ecashUsage}

Environment: DATABASE_URL, PORT, HOST, OBOL_DATA_DIR, OBOL_CURRENCIES, NODE_ENV, LOG_LEVEL (see README).`;

async function main(argv: string[]): Promise<number> {
  if (argv[1] === "ecash" && (argv[0] === "wallet" || argv[0] === "merchant")) return ecashCommand(argv[0], argv.slice(2));
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      demo: { type: "boolean", default: false },
      production: { type: "boolean", default: false },
      port: { type: "string" },
      username: { type: "string" },
      role: { type: "string", default: "admin" },
      "password-stdin": { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
      url: { type: "string" },
      msisdn: { type: "string" },
      code: { type: "string" },
      keystore: { type: "string" },
      to: { type: "string" },
      amount: { type: "string" },
      currency: { type: "string", default: "KES" },
      "idempotency-key": { type: "string" },
      payment: { type: "string" },
      funding: { type: "string", default: "auto" },
      wait: { type: "string" },
      yes: { type: "boolean", default: false },
      payer: { type: "string" },
      reference: { type: "string" },
      description: { type: "string" },
      escrow: { type: "boolean", default: false },
      expires: { type: "string" },
      state: { type: "string" },
      reason: { type: "string" },
    },
  });
  const [command, sub] = positionals;
  if (values.help || command === undefined || command === "help") {
    console.log(usage);
    return command === undefined && !values.help ? 2 : 0;
  }
  const port = values.port === undefined ? undefined : Number(values.port);
  if (port !== undefined && !(Number.isInteger(port) && port >= 0 && port <= 65535)) throw new ObolError("ERR_USAGE", "--port must be 0..65535");
  const waitSeconds = seconds(values.wait, "--wait", 0, 600) ?? 0;
  const needPayment = (): string => {
    if (values.payment === undefined) throw new ObolError("ERR_USAGE", "--payment ID is required");
    return values.payment;
  };
  const overrides = { ...(values.production ? { production: true } : {}), ...(port !== undefined ? { port } : {}) };

  switch (command) {
    case "start":
      return start({ demo: values.demo, overrides });
    case "migrate":
      return migrateOnly(overrides);
    case "admin":
      if (sub !== "create" || values.username === undefined) throw new ObolError("ERR_USAGE", "usage: obol admin create --username NAME [--role admin|risk|support]");
      return adminCreate({ username: values.username, role: values.role!, passwordFromStdin: values["password-stdin"]!, overrides });
    case "demo":
      return runDemo();
    case "wallet": {
      const keystore = values.keystore ?? defaultKeystorePath;
      switch (sub) {
        case "enroll":
          if (!values.url || !values.msisdn || !values.code) throw new ObolError("ERR_USAGE", "usage: obol wallet enroll --url URL --msisdn MSISDN --code CODE");
          return walletEnroll({ url: values.url.replace(/\/$/, ""), msisdn: values.msisdn, code: values.code, keystore });
        case "status": return walletStatus({ keystore });
        case "balance": return walletBalance({ keystore });
        case "history": return walletHistory({ keystore });
        case "revoke": return walletRevoke({ keystore });
        case "session-key": return walletSessionKey({ keystore });
        case "pay":
          if (!values.to || !values.amount) throw new ObolError("ERR_USAGE", "usage: obol wallet pay --to MSISDN --amount MINOR_UNITS");
          return walletPay({ keystore, to: values.to, amount: values.amount, currency: values.currency!, ...(values["idempotency-key"] ? { idempotencyKey: values["idempotency-key"] } : {}) });
        case "inbox": return walletInbox({ keystore, waitSeconds });
        case "confirm": return walletConfirm({ keystore, paymentId: values.payment, funding: values.funding!, waitSeconds, yes: values.yes! });
        case "decline": return walletDecline({ keystore, paymentId: values.payment, waitSeconds });
        case "payments": return walletPayments({ keystore });
        case "received": return walletReceived({ keystore, paymentId: needPayment() });
        case "dispute":
          if (!values.reason) throw new ObolError("ERR_USAGE", "usage: obol wallet dispute --payment ID --reason TEXT");
          return walletDispute({ keystore, paymentId: needPayment(), reason: values.reason });
        default:
          throw new ObolError("ERR_USAGE", "usage: obol wallet enroll|status|balance|history|pay|revoke|inbox|confirm|decline|payments|received|dispute|session-key");
      }
    }
    case "merchant": {
      const cli = { url: (values.url ?? process.env.OBOL_URL ?? "http://127.0.0.1:3000").replace(/\/$/, "") };
      switch (sub) {
        case "request":
          if (!values.amount) throw new ObolError("ERR_USAGE", "usage: obol merchant request --amount MINOR [--payer MSISDN] …");
          return merchantRequest(cli, {
            amount: values.amount, currency: values.currency!, payer: values.payer, reference: values.reference, description: values.description, escrow: values.escrow!,
            expiresSeconds: seconds(values.expires, "--expires", 10, 86_400), idempotencyKey: values["idempotency-key"], waitSeconds,
          });
        case "list": return merchantList(cli, { state: values.state });
        case "get": return merchantGet(cli, { paymentId: needPayment() });
        case "refund":
          if (!values.amount) throw new ObolError("ERR_USAGE", "usage: obol merchant refund --payment ID --amount MINOR [--reason R]");
          return merchantRefund(cli, { paymentId: needPayment(), amount: values.amount, reason: values.reason, idempotencyKey: values["idempotency-key"] });
        case "ship": return merchantAction(cli, "ship", { paymentId: needPayment() });
        case "cancel": return merchantAction(cli, "cancel", { paymentId: needPayment() });
        default:
          throw new ObolError("ERR_USAGE", "usage: obol merchant request|list|get|refund|ship|cancel");
      }
    }
    case "bank":
      if (sub === "reconcile") return bankReconcile(overrides, values.currency);
      if (sub !== "start") throw new ObolError("ERR_USAGE", "usage: obol bank start|reconcile");
      return startBank(process.env);
    case "audit":
      if (sub !== "verify") throw new ObolError("ERR_USAGE", "usage: obol audit verify");
      return auditVerify(overrides);
    case "pki":
      if (sub !== "hsm-init") throw new ObolError("ERR_USAGE", "usage: obol pki hsm-init");
      return pkiHsmInit(overrides);
    case "ledger":
      if (sub !== "verify") throw new ObolError("ERR_USAGE", "usage: obol ledger verify");
      return ledgerVerify(overrides);
    default:
      throw new ObolError("ERR_USAGE", `unknown command '${command}'\n\n${usage}`);
  }
}

function seconds(text: string | undefined, flag: string, min: number, max: number): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!Number.isInteger(value) || value < min || value > max) throw new ObolError("ERR_USAGE", `${flag} must be ${min}..${max} seconds`);
  return value;
}

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (error: unknown) => {
    if (error instanceof ObolError || (error as { code?: string }).code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") {
      console.error(`obol: ${(error as Error).message}${error instanceof ObolError ? ` (${error.code})` : ""}`);
      process.exitCode = error instanceof ObolError && error.code === "ERR_USAGE" ? 2 : 1;
    } else {
      console.error("obol: unexpected error", error);
      process.exitCode = 1;
    }
  },
);
