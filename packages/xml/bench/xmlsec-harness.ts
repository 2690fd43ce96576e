/**
 * Builds and runs the libxmlsec1 reference harness (xmlsec-harness.c, beside this file in the repository) for
 * the XML benchmark. The C source is compiled at run time with gcc and `pkg-config xmlsec1-openssl` into a
 * temporary directory; nothing is installed or cached.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** packages/xml/bench/xmlsec-harness.c, from packages/xml/dist/bench/ (compiled) or packages/xml/bench/. */
export const harnessSource = fileURLToPath(new URL("../../bench/xmlsec-harness.c", import.meta.url));

export const installHint = [
  "The libxmlsec1 reference needs a C compiler, pkg-config and the libxmlsec1 development files:",
  "  Debian/Ubuntu:  sudo apt-get install gcc pkg-config libxmlsec1-dev",
  "  Fedora/RHEL:    sudo dnf install gcc pkgconf-pkg-config xmlsec1-devel xmlsec1-openssl-devel",
  "  macOS:          brew install pkg-config libxmlsec1   (and the Xcode command line tools for the compiler)",
].join("\n");

export class MissingToolchain extends Error {}

function run(file: string, args: readonly string[]): { status: number | null; stdout: string; stderr: string; missing: boolean } {
  const result = spawnSync(file, args, { encoding: "utf8", maxBuffer: 16 * 1024 * 1024 });
  const missing = (result.error as NodeJS.ErrnoException | undefined)?.code === "ENOENT";
  if (result.error !== undefined && !missing) throw result.error;
  return { status: result.status, stdout: result.stdout ?? "", stderr: result.stderr ?? "", missing };
}

export interface Toolchain {
  readonly gccVersion: string;
  readonly xmlsecPkgVersion: string;
  readonly flags: readonly string[];
}

/** Finds gcc, pkg-config and xmlsec1-openssl.pc; throws MissingToolchain saying what is missing. */
export function findToolchain(): Toolchain {
  const missing: string[] = [];
  const gcc = run("gcc", ["--version"]);
  if (gcc.missing || gcc.status !== 0) missing.push("gcc (not on PATH)");
  const pkgConfig = run("pkg-config", ["--version"]);
  let flags: string[] = [];
  let version = "";
  if (pkgConfig.missing || pkgConfig.status !== 0) {
    missing.push("pkg-config (not on PATH)");
  } else {
    const found = run("pkg-config", ["--cflags", "--libs", "xmlsec1-openssl"]);
    if (found.status !== 0) {
      missing.push(`libxmlsec1-dev (pkg-config knows no xmlsec1-openssl: ${found.stderr.trim().split("\n")[0] ?? ""})`);
    } else {
      flags = found.stdout.trim().split(/\s+/).filter((flag) => flag !== "");
      version = run("pkg-config", ["--modversion", "xmlsec1-openssl"]).stdout.trim();
    }
  }
  if (!existsSync(harnessSource)) missing.push(`the harness source ${harnessSource}`);
  if (missing.length > 0) throw new MissingToolchain(`missing: ${missing.join("; ")}\n${installHint}`);
  return { gccVersion: gcc.stdout.split("\n")[0]?.trim() ?? "gcc", xmlsecPkgVersion: version, flags };
}

/** gcc -O2 -o <dir>/xmlsec-harness xmlsec-harness.c $(pkg-config --cflags --libs xmlsec1-openssl). */
export function buildHarness(toolchain: Toolchain, dir: string): { binary: string; command: string } {
  const binary = join(dir, "xmlsec-harness");
  const args = ["-O2", "-Wall", "-o", binary, harnessSource, ...toolchain.flags];
  const built = run("gcc", args);
  if (built.status !== 0) {
    throw new MissingToolchain(`gcc could not build the harness (exit ${built.status}):\n${built.stderr.trim()}\n${installHint}`);
  }
  return { binary, command: `gcc ${args.join(" ")}` };
}

export interface HarnessInfo {
  readonly xmlsec: string;
  readonly xmlsecCrypto: string;
  readonly libxml2: string;
  readonly openssl: string;
}

export type HarnessOperation = "sign" | "verify" | "encrypt" | "decrypt";

export interface HarnessResult {
  readonly op: HarnessOperation;
  readonly warmup: number;
  readonly iterations: number;
  readonly totalNs: number;
  readonly p50Ns: number;
  readonly p99Ns: number;
}

export class Harness {
  constructor(readonly binary: string) {}

  info(): HarnessInfo {
    const result = run(this.binary, ["info"]);
    if (result.status !== 0) throw new Error(`xmlsec-harness info failed: ${result.stderr}`);
    return JSON.parse(result.stdout) as HarnessInfo;
  }

  /** Runs `op` warmup + iterations times inside one process; throws with the harness's stderr on failure. */
  run(op: HarnessOperation, input: string, keyFile: string, warmup: number, iterations: number, output?: string): HarnessResult {
    const result = this.tryRun(op, input, keyFile, warmup, iterations, output);
    if (!result.ok) throw new Error(`xmlsec-harness ${op} failed (exit ${result.status}):\n${result.stderr.trim()}`);
    return result.result;
  }

  tryRun(
    op: HarnessOperation,
    input: string,
    keyFile: string,
    warmup: number,
    iterations: number,
    output?: string,
  ): { ok: true; result: HarnessResult } | { ok: false; status: number | null; stderr: string } {
    const args = [op, input, keyFile, String(warmup), String(iterations), ...(output !== undefined ? [output] : [])];
    const result = run(this.binary, args);
    if (result.status !== 0) return { ok: false, status: result.status, stderr: result.stderr };
    return { ok: true, result: JSON.parse(result.stdout) as HarnessResult };
  }
}
