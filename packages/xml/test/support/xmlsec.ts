import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** The real Debian xmlsec1 (1.2.37, OpenSSL), run on files in a temporary directory. CI installs it. */

export interface XmlsecRun {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** The --output file, when the run wrote one. */
  readonly output?: string;
}

export class Workdir {
  readonly dir = mkdtempSync(join(tmpdir(), "obol-xmlsec-"));

  file(name: string, content: string | Uint8Array): string {
    const path = join(this.dir, name);
    writeFileSync(path, content);
    return path;
  }

  path(name: string): string {
    return join(this.dir, name);
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Runs `xmlsec1 <args>`; `output` names an --output file to read back. */
export function xmlsec1(args: readonly string[], output?: string): XmlsecRun {
  const run = spawnSync("xmlsec1", [...args, ...[]], { encoding: "utf8", timeout: 20_000 });
  if (run.error !== undefined) {
    throw new Error(`xmlsec1 could not run (${run.error.message}); install it: apt-get install xmlsec1`);
  }
  let written: string | undefined;
  if (output !== undefined) {
    try {
      written = readFileSync(output, "utf8");
    } catch {
      written = undefined;
    }
  }
  return { status: run.status, stdout: run.stdout, stderr: run.stderr, ...(written !== undefined ? { output: written } : {}) };
}

export function xmlsecVersion(): string {
  return xmlsec1(["--version"]).stdout.trim();
}
