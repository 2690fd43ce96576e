import pino from "pino";
import { createReferenceBank } from "./bank.js";
import { loadBankConfig } from "./config.js";

/**
 * `obol bank start`: the reference bank as its own process. Runs until SIGINT/SIGTERM. The platform's
 * CLI dispatches here; nothing in this package depends on the platform.
 */
export async function startBank(env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const config = loadBankConfig(env);
  const logger = pino({ level: config.logLevel, redact: { paths: ["req.headers.authorization"], censor: "[redacted]" } });
  const bank = await createReferenceBank(config, {
    logger,
    onKeyCreation: () => process.stderr.write("  first start: creating the bank's CA, signing key and encryption key\n"),
  });
  const address = await bank.app.listen({ host: config.host, port: config.port });
  console.log([
    "",
    `Obol reference bank is running at ${address}`,
    `  messages:      POST ${address}/v1/messages (signed XML)`,
    `  certificates:  ${config.certificateFile}  (pin this file on the platform: OBOL_BANK_CERT)`,
    `  admin:         ${config.adminToken === undefined ? "off (set OBOL_BANK_ADMIN_TOKEN to turn it on, loopback only)" : `${address}/admin (loopback, bearer OBOL_BANK_ADMIN_TOKEN)`}`,
    `  faults:        ${bank.faults.list().length === 0 ? "none" : JSON.stringify(bank.faults.list())}`,
    "",
  ].join("\n"));
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) process.exit(1);
    stopping = true;
    logger.info({ signal }, "bank shutting down");
    bank.stop().then(() => process.exit(0), (error) => { logger.error({ err: error }, "bank shutdown failed"); process.exit(1); });
  };
  process.once("SIGINT", () => shutdown("SIGINT"));
  process.once("SIGTERM", () => shutdown("SIGTERM"));
  return new Promise<number>(() => {});
}
