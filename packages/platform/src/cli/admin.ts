import { text } from "node:stream/consumers";
import { loadConfig } from "../config.js";
import { ObolError } from "../errors/obol-error.js";
import { generatePassword, passwordCharsMax, passwordCharsMin } from "../modules/parties/passwords.js";
import type { OperatorRole } from "../modules/parties/service.js";
import { openPlatform } from "./start.js";

const roles: OperatorRole[] = ["admin", "risk", "support"];

/** Creates an operator. There is no default password: one is generated, or read from stdin. */
export async function adminCreate(options: { username: string; role: string; passwordFromStdin: boolean; overrides: { production?: boolean } }): Promise<number> {
  if (!roles.includes(options.role as OperatorRole)) throw new ObolError("ERR_USAGE", `--role must be one of ${roles.join(", ")}`);
  if (!/^[a-z][a-z0-9_.-]{2,31}$/.test(options.username)) throw new ObolError("ERR_USAGE", "--username: 3-32 of a-z 0-9 _ . -, starting with a letter");
  const password = options.passwordFromStdin ? (await text(process.stdin)).replace(/\r?\n$/, "") : generatePassword();
  if (password.length < passwordCharsMin || password.length > passwordCharsMax) throw new ObolError("ERR_USAGE", `the password must be ${passwordCharsMin}-${passwordCharsMax} characters`);
  const platform = await openPlatform(loadConfig(process.env, options.overrides), { logger: false });
  try {
    const created = await platform.services.parties.createOperator({ username: options.username, password, role: options.role as OperatorRole });
    if (!created.ok) throw new ObolError(created.code, `an operator named ${options.username} exists`);
    await platform.services.audit.append({ actorType: "system", actorId: "cli", action: "operator.create", subject: `operator:${created.operator.id}`, details: { username: options.username, role: options.role } });
    console.log(`operator ${options.username} created with role ${options.role}`);
    if (!options.passwordFromStdin) console.log(`password: ${password}\n(shown this once; it is stored only as a scrypt hash)`);
    return 0;
  } finally {
    await platform.stop();
  }
}
