import { parseArgs } from "node:util";
import { ObolError } from "../errors/obol-error.js";
import { confirmationWaitMsMax } from "../modules/ecash/service.js";
import { merchantDeposit, merchantRecords, merchantRegister, merchantServe } from "./ecash-merchant.js";
import { ecashConfirm, ecashPay, ecashRegister, ecashTokens, ecashWithdraw } from "./ecash-wallet.js";
import { defaultKeystorePath } from "./wallet.js";

export const ecashUsage = `  obol wallet ecash register [--url URL --msisdn MSISDN] [--keystore FILE]
                                                  enrol the wallet for e-cash (no key escrow)
  obol wallet ecash withdraw --amount MINOR --merchant URL     a token for that merchant
  obol wallet ecash pay --merchant URL --item NAME [--price MINOR] [--token SN]
  obol wallet ecash tokens
  obol wallet ecash confirm [--accept | --reject] [--wait-seconds N]
      (OBOL_WALLET_PASSWORD logs in, OBOL_WALLET_PASSPHRASE seals the e-cash file beside the keystore)
  obol merchant ecash register --platform URL [--data-dir DIR]
  obol merchant ecash serve --catalogue FILE [--host H] [--port N] [--data-dir DIR]
  obol merchant ecash deposit|records [--data-dir DIR]
      (OBOL_MERCHANT_API_KEY logs in, OBOL_MERCHANT_PASSPHRASE seals the merchant's database)`;

const defaultMerchantDataDir = "./data/merchant-ecash";

/** `obol wallet ecash …` and `obol merchant ecash …`: argv after the two words. */
export async function ecashCommand(party: "wallet" | "merchant", argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      keystore: { type: "string" },
      url: { type: "string" },
      msisdn: { type: "string" },
      amount: { type: "string" },
      merchant: { type: "string" },
      item: { type: "string" },
      price: { type: "string" },
      token: { type: "string" },
      accept: { type: "boolean", default: false },
      reject: { type: "boolean", default: false },
      "wait-seconds": { type: "string", default: "0" },
      platform: { type: "string" },
      "data-dir": { type: "string" },
      catalogue: { type: "string" },
      host: { type: "string", default: "127.0.0.1" },
      port: { type: "string", default: "0" },
    },
  });
  const [sub, ...rest] = positionals;
  if (rest.length > 0) throw new ObolError("ERR_USAGE", `unexpected argument '${rest[0]}'\n${ecashUsage}`);
  const usage = (line: string) => new ObolError("ERR_USAGE", `usage: ${line}`);

  if (party === "wallet") {
    const keystore = values.keystore ?? defaultKeystorePath;
    switch (sub) {
      case "register":
        return ecashRegister({ keystore, ...(values.url ? { url: values.url } : {}), ...(values.msisdn ? { msisdn: values.msisdn } : {}) });
      case "withdraw":
        if (!values.amount || !values.merchant) throw usage("obol wallet ecash withdraw --amount MINOR --merchant URL");
        return ecashWithdraw({ keystore, amount: values.amount, merchant: values.merchant });
      case "pay":
        if (!values.merchant || !values.item) throw usage("obol wallet ecash pay --merchant URL --item NAME [--price MINOR] [--token SN]");
        return ecashPay({ keystore, merchant: values.merchant, item: values.item, ...(values.price ? { price: values.price } : {}), ...(values.token ? { token: values.token } : {}) });
      case "tokens":
        return ecashTokens({ keystore });
      case "confirm": {
        if (values.accept && values.reject) throw usage("obol wallet ecash confirm [--accept | --reject]");
        const waitSeconds = Number(values["wait-seconds"]);
        if (!Number.isInteger(waitSeconds) || waitSeconds < 0 || waitSeconds * 1000 > confirmationWaitMsMax) {
          throw new ObolError("ERR_USAGE", `--wait-seconds must be 0..${confirmationWaitMsMax / 1000}`);
        }
        return ecashConfirm({ keystore, waitSeconds, ...(values.accept ? { decision: "ACCEPT" as const } : values.reject ? { decision: "REJECT" as const } : {}) });
      }
      default:
        throw new ObolError("ERR_USAGE", `usage:\n${ecashUsage}`);
    }
  }

  const dataDir = values["data-dir"] ?? defaultMerchantDataDir;
  switch (sub) {
    case "register":
      if (!values.platform) throw usage("obol merchant ecash register --platform URL [--data-dir DIR]");
      return merchantRegister({ dataDir, platform: values.platform });
    case "serve": {
      const port = Number(values.port);
      if (!values.catalogue) throw usage("obol merchant ecash serve --catalogue FILE [--port N] [--data-dir DIR]");
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ObolError("ERR_USAGE", "--port must be 0..65535");
      return merchantServe({ dataDir, catalogue: values.catalogue, host: values.host!, port });
    }
    case "deposit":
      return merchantDeposit({ dataDir });
    case "records":
      return merchantRecords({ dataDir });
    default:
      throw new ObolError("ERR_USAGE", `usage:\n${ecashUsage}`);
  }
}
