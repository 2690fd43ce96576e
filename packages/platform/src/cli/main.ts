#!/usr/bin/env node
import { parseArgs } from "node:util";
import { startBank } from "@obol/bank";
import { ObolError } from "../errors/obol-error.js";
import { adminCreate } from "./admin.js";
import { runDemo } from "./demo.js";
import { auditVerify, bankReconcile, ledgerVerify, migrateOnly, start } from "./start.js";
import { defaultKeystorePath, walletBalance, walletEnroll, walletHistory, walletPay, walletRevoke, walletStatus } from "./wallet.js";

const usage = `obol: the Obol payment platform

Usage:
  obol start [--demo] [--production] [--port N]   run the platform (PGlite under ./data unless DATABASE_URL is set)
  obol migrate                                    apply pending database migrations and exit
  obol admin create --username NAME [--role admin|risk|support] [--password-stdin]
                                                  create an operator; prints a generated password once
  obol demo                                       scripted P2P transfer on a throwaway in-memory platform
  obol ledger verify                              prove every balance equals its postings
  obol audit verify                               check the audit log's hash chain and signed checkpoints
  obol wallet enroll --url URL --msisdn MSISDN --code CODE [--keystore FILE]
                                                  make a device key, get it certified, keep it sealed
  obol wallet status|balance|history|revoke [--keystore FILE]
  obol wallet pay --to MSISDN --amount MINOR [--currency KES] [--idempotency-key K] [--keystore FILE]
      (wallet secrets: OBOL_WALLET_PASSWORD, OBOL_WALLET_PASSPHRASE, or asked in a terminal)
  obol bank start                                 run the reference bank (its own process and database; OBOL_BANK_* variables)
  obol bank reconcile [--currency KES]            the clearing account against the bank's statement; exit 1 on any mismatch

Environment: DATABASE_URL, PORT, HOST, OBOL_DATA_DIR, OBOL_CURRENCIES, NODE_ENV, LOG_LEVEL (see README).`;

async function main(argv: string[]): Promise<number> {
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
    },
  });
  const [command, sub] = positionals;
  if (values.help || command === undefined || command === "help") {
    console.log(usage);
    return command === undefined && !values.help ? 2 : 0;
  }
  const port = values.port === undefined ? undefined : Number(values.port);
  if (port !== undefined && !(Number.isInteger(port) && port >= 0 && port <= 65535)) throw new ObolError("ERR_USAGE", "--port must be 0..65535");
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
        case "pay":
          if (!values.to || !values.amount) throw new ObolError("ERR_USAGE", "usage: obol wallet pay --to MSISDN --amount MINOR_UNITS");
          return walletPay({ keystore, to: values.to, amount: values.amount, currency: values.currency!, ...(values["idempotency-key"] ? { idempotencyKey: values["idempotency-key"] } : {}) });
        default:
          throw new ObolError("ERR_USAGE", "usage: obol wallet enroll|status|balance|history|pay|revoke");
      }
    }
    case "bank":
      if (sub === "reconcile") return bankReconcile(overrides, values.currency);
      if (sub !== "start") throw new ObolError("ERR_USAGE", "usage: obol bank start|reconcile");
      return startBank(process.env);
    case "audit":
      if (sub !== "verify") throw new ObolError("ERR_USAGE", "usage: obol audit verify");
      return auditVerify(overrides);
    case "ledger":
      if (sub !== "verify") throw new ObolError("ERR_USAGE", "usage: obol ledger verify");
      return ledgerVerify(overrides);
    default:
      throw new ObolError("ERR_USAGE", `unknown command '${command}'\n\n${usage}`);
  }
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
