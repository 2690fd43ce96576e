import { parseArgs } from "node:util";
import { ObolError } from "../errors/obol-error.js";
import { limits } from "@obol/ledger";
import { minorDigits } from "../money.js";

/**
 * The CLI's command table and its one parser: each command declares its flags (with help text), examples
 * and a run function; `obol <command> --help`, `obol help <command>` and the usage errors all come from
 * that declaration, so help cannot drift from what is parsed. node:util parseArgs does the parsing.
 */
export interface FlagSpec {
  type: "string" | "boolean";
  /** The value's placeholder in help, e.g. URL, MSISDN. */
  value?: string;
  description: string;
  /** Shown in help; parsing leaves the flag undefined and the command applies it. */
  defaultText?: string;
  required?: boolean;
  /** An old name still accepted; help says it is deprecated. */
  alias?: string;
}

export type FlagValues = Record<string, string | boolean | undefined>;

export interface Command {
  /** The words after `obol`, e.g. "wallet confirm". */
  name: string;
  summary: string;
  /** Paragraphs after the synopsis: what it does, where secrets come from. */
  details?: string;
  flags: Record<string, FlagSpec>;
  examples: string[];
  run(values: FlagValues): Promise<number>;
}

export const usageError = (message: string): ObolError => new ObolError("ERR_USAGE", message);

export function synopsis(command: Command): string {
  const parts = Object.entries(command.flags).map(([name, flag]) => {
    const text = flag.type === "boolean" ? `--${name}` : `--${name} ${flag.value ?? "VALUE"}`;
    return flag.required ? text : `[${text}]`;
  });
  return `obol ${command.name}${parts.length > 0 ? ` ${parts.join(" ")}` : ""}`;
}

export function commandHelp(command: Command): string {
  const lines = [`${synopsis(command)}`, "", `  ${command.summary}`];
  if (command.details !== undefined) lines.push("", ...command.details.split("\n").map((l) => `  ${l}`));
  const flags = Object.entries(command.flags);
  if (flags.length > 0) {
    lines.push("", "Flags:");
    for (const [name, flag] of flags) {
      const head = flag.type === "boolean" ? `--${name}` : `--${name} ${flag.value ?? "VALUE"}`;
      const notes = [flag.required ? "required" : undefined, flag.defaultText ? `default ${flag.defaultText}` : undefined,
        flag.alias ? `--${flag.alias} is a deprecated alias` : undefined].filter((n) => n !== undefined);
      lines.push(`  ${head.padEnd(26)} ${flag.description}${notes.length > 0 ? ` (${notes.join("; ")})` : ""}`);
    }
  }
  lines.push(`  ${"--help, -h".padEnd(26)} show this help`);
  if (command.examples.length > 0) lines.push("", "Examples:", ...command.examples.map((e) => `  ${e}`));
  return lines.join("\n");
}

/** Parses a command's flags strictly; every parser complaint becomes one ERR_USAGE line. */
export function parseFlags(command: Command, argv: string[]): FlagValues & { help?: boolean } {
  const options: Record<string, { type: "string" | "boolean"; short?: string }> = { help: { type: "boolean", short: "h" } };
  for (const [name, flag] of Object.entries(command.flags)) {
    options[name] = { type: flag.type };
    if (flag.alias !== undefined) options[flag.alias] = { type: flag.type };
  }
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: argv, options, strict: true, allowPositionals: false });
  } catch (error) {
    throw usageError(`${describeParseError(error as Error & { code?: string }, argv)}: see obol ${command.name} --help`);
  }
  const values: FlagValues & { help?: boolean } = {};
  for (const [name, flag] of Object.entries(command.flags)) {
    const value = parsed.values[name] ?? (flag.alias === undefined ? undefined : parsed.values[flag.alias]);
    values[name] = value as string | boolean | undefined;
    if (typeof value === "string" && value === "") throw usageError(`--${name} needs a value: see obol ${command.name} --help`);
  }
  values.help = parsed.values.help === true;
  if (!values.help) {
    for (const [name, flag] of Object.entries(command.flags)) {
      if (flag.required && values[name] === undefined) throw usageError(`--${name} ${flag.value ?? "VALUE"} is required: see obol ${command.name} --help`);
    }
  }
  return values;
}

function describeParseError(error: Error & { code?: string }, argv: string[]): string {
  const option = /'(-{1,2}[^' ]+)/.exec(error.message)?.[1];
  switch (error.code) {
    case "ERR_PARSE_ARGS_UNKNOWN_OPTION":
      return `unknown flag ${option ?? ""}`.trimEnd();
    case "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL":
      return `unexpected argument '${argv.find((a) => !a.startsWith("-")) ?? ""}'`;
    case "ERR_PARSE_ARGS_INVALID_OPTION_VALUE": {
      // "--amount -5" (a value that starts with a dash) or "--amount" at the end.
      const next = option === undefined ? undefined : argv[argv.indexOf(option) + 1];
      if (next !== undefined && /^-[0-9.]/.test(next)) return `${option} cannot be negative, not '${next}'`;
      return option === undefined ? "a flag is missing its value" : `${option} needs a value (a value starting with "-" must be written ${option}=VALUE)`;
    }
    default:
      return error.message.split("\n")[0]!;
  }
}

// Values of flags, checked the same way in every command.

/** The platform's base URL: --url, else OBOL_URL, else the local default. */
export const defaultUrl = "http://127.0.0.1:3000";

export function platformUrl(flag: string | boolean | undefined, fallback?: string): string {
  const text = (typeof flag === "string" ? flag : undefined) ?? fallback ?? (process.env.OBOL_URL || undefined) ?? defaultUrl;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw usageError(`--url must be an http:// or https:// URL, not '${text}'`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw usageError(`--url must be an http:// or https:// URL, not '${text}'`);
  return text.replace(/\/+$/, "");
}

export function integerFlag(text: string | boolean | undefined, flag: string, min: number, max: number, unit = ""): number | undefined {
  if (typeof text !== "string") return undefined;
  const value = /^[0-9]{1,9}$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isInteger(value) || value < min || value > max) throw usageError(`--${flag} must be a whole number from ${min} to ${max}${unit}, not '${text}'`);
  return value;
}

export function currencyFlag(text: string | boolean | undefined): string {
  const code = typeof text === "string" ? text : "KES";
  if (!/^[A-Z]{3}$/.test(code)) throw usageError(`--currency must be a three-letter ISO 4217 code such as KES, not '${code}'`);
  return code;
}

/** The one rule for amounts, in every command: help text and parser share it. */
export const amountRule = "major units with the currency's decimal places (50.00 for KES); or use the -minor flag with integer minor units (5000)";

/**
 * An amount from `--<name> 50.00` (major units, exactly the currency's decimal places) or `--<name>-minor 5000`
 * (integer minor units): exactly one of the two. "50" for KES is refused, never guessed.
 */
export function amountFlags(values: FlagValues, name: string, currency: string): bigint {
  const major = values[name];
  const minor = values[`${name}-minor`];
  if (typeof major === "string" && typeof minor === "string") throw usageError(`give --${name} or --${name}-minor, not both`);
  if (typeof minor === "string") {
    if (!/^[0-9]{1,19}$/.test(minor)) throw usageError(`--${name}-minor must be a positive whole number of minor units (5000 is 50.00 ${currency}), not '${minor}'`);
    return checked(BigInt(minor), `--${name}-minor`);
  }
  if (typeof major !== "string") throw usageError(`--${name} AMOUNT (e.g. ${example(currency)}) or --${name}-minor N is required`);
  const digits = minorDigits(currency);
  if (major.startsWith("-")) throw usageError(`--${name} must be positive, not '${major}'`);
  const match = /^([0-9]{1,17})(?:\.([0-9]+))?$/.exec(major);
  if (match === null) throw usageError(`--${name} must be a number such as ${example(currency)}, not '${major}'`);
  const fraction = match[2] ?? "";
  if (fraction.length !== digits) {
    if (fraction.length > digits) throw usageError(`--${name} ${major} has more decimal places than ${currency} has (${digits})`);
    const hint = digits === 0 ? "" : `: write ${match[1]}.${fraction.padEnd(digits, "0")} (${currency} has ${digits} decimal places), or give minor units with --${name}-minor`;
    throw usageError(`--${name} ${major} is ambiguous${hint}`);
  }
  return checked(BigInt(match[1]! + fraction), `--${name}`);
}

function checked(amount: bigint, flag: string): bigint {
  if (amount <= 0n) throw usageError(`${flag} must be more than zero`);
  if (amount > limits.amountMax) throw usageError(`${flag} is larger than the largest amount the platform takes`);
  return amount;
}

function example(currency: string): string {
  const digits = minorDigits(currency);
  return digits === 0 ? "50" : `50.${"0".repeat(digits)}`;
}
