#!/usr/bin/env node
import { commandHelp, parseFlags, type Command } from "./args.js";
import { commands, unknownCommand } from "./commands.js";
import { reportFailure } from "./failure.js";

/**
 * `obol`: finds the command named by the leading words, parses its flags (args.ts), runs it (commands.ts).
 * `obol --help` lists the commands; `obol <command> --help` and `obol help <command>` show one command's help.
 * Failures are one line with a stable code (failure.ts): exit 2 for usage errors, 1 otherwise.
 */
function overview(): string {
  const width = Math.max(...commands.map((c) => c.name.length)) + 2;
  return [
    "obol: the Obol payment platform",
    "",
    "Usage: obol <command> [flags]     obol <command> --help     obol help <command>",
    "",
    "Commands:",
    ...commands.map((c) => `  ${c.name.padEnd(width)} ${c.summary}`),
    "",
    "Flags mean the same in every command: --url (else OBOL_URL) is the platform; --amount 50.00 takes major units",
    "with the currency's decimals, --amount-minor 5000 minor units; --wait S seconds; --keystore FILE the wallet.",
    "Failures print one line with a stable code (ERR_…); OBOL_DEBUG=1 adds the stack trace.",
  ].join("\n");
}

/** The command whose name is the longest run of leading words, and the rest of argv. */
function find(argv: string[]): { command: Command; rest: string[] } | undefined {
  for (let n = Math.min(3, argv.length); n > 0; n--) {
    const name = argv.slice(0, n).join(" ");
    const command = commands.find((c) => c.name === name);
    if (command !== undefined) return { command, rest: argv.slice(n) };
  }
  return undefined;
}

/** The commands under a group (e.g. "wallet"), for `obol wallet` or `obol help wallet`. */
function group(words: string[]): string | undefined {
  const prefix = `${words.join(" ")} `;
  const members = commands.filter((c) => c.name.startsWith(prefix));
  if (words.length === 0 || members.length === 0) return undefined;
  return [`obol ${words.join(" ")} <command>:`, ...members.map((c) => `  obol ${c.name.padEnd(28)} ${c.summary}`), "", `Help on one: obol ${words.join(" ")} <command> --help`].join("\n");
}

async function main(argv: string[]): Promise<number> {
  const firstFlag = argv.findIndex((a) => a.startsWith("-"));
  const words = firstFlag === -1 ? argv : argv.slice(0, firstFlag);
  if (argv.length === 0 || (words.length === 0 && (argv[0] === "--help" || argv[0] === "-h"))) {
    console.log(overview());
    return argv.length === 0 ? 2 : 0;
  }
  if (words[0] === "help") {
    const topic = words.slice(1);
    if (topic.length === 0) return (console.log(overview()), 0);
    const found = find(topic);
    if (found !== undefined && found.rest.length === 0) return (console.log(commandHelp(found.command)), 0);
    const listing = group(topic);
    if (listing !== undefined) return (console.log(listing), 0);
    throw unknownCommand(topic);
  }
  const found = find(argv);
  if (found === undefined) {
    const listing = group(words);
    if (listing !== undefined && argv.length === words.length) {
      console.error(listing);
      return 2;
    }
    if (listing !== undefined && (argv.includes("--help") || argv.includes("-h"))) return (console.log(listing), 0);
    throw unknownCommand(words);
  }
  const values = parseFlags(found.command, found.rest);
  if (values.help === true) {
    console.log(commandHelp(found.command));
    return 0;
  }
  return found.command.run(values);
}

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (error: unknown) => { process.exitCode = reportFailure(error); },
);
