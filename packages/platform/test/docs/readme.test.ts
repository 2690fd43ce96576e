/**
 * Issue 9, item 3: the README can never drift from the code again.
 * - Its Markdown parses: every code fence is closed (an unclosed one swallowed "Try e-cash" once).
 * - Every `npm run SCRIPT` it mentions exists.
 * - Each walkthrough (the blocks marked `<!-- walkthrough: NAME -->`) runs as written, in one shell, on a fresh
 *   data directory and a fresh HOME, against `npm start` of this checkout. The only change to the text: the
 *   README's ports (3000 for the platform, 4000 for the e-cash merchant) become free ports, so the test never
 *   collides with a platform a developer is running.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { mkdir, mkdtemp, readdir, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { readFencedBlocks, walkthroughs, type FencedBlock } from "../support/markdown-blocks.js";
import { freePort } from "../support/platform-process.js";

const root = fileURLToPath(new URL("../../../../../", import.meta.url));
const readme = readFileSync(join(root, "README.md"), "utf8");
const { blocks, problems } = readFencedBlocks(readme);

/** What each walkthrough must show besides exiting 0 with no error answer (so a silent no-op cannot pass). */
const expected: Record<string, RegExp[]> = {
  curl: [/"transferId":/, /"note":"lunch"/, /logout: 204/],
  "confirmed-payment": [/receipt/i, /refund/i],
  ecash: [/accept/i],
  demo: [/every balance equals its postings/],
};

describe("README", () => {
  test("its Markdown parses: every code fence is closed and every walkthrough marker has its block", () => {
    assert.deepEqual(problems, []);
  });

  test("every `npm run SCRIPT` it mentions is a script of package.json", () => {
    const scripts = Object.keys((JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts);
    const mentioned = new Set([...readme.matchAll(/npm run ([a-z0-9:_-]+)/g)].map((match) => match[1]!));
    assert.deepEqual([...mentioned].filter((name) => !scripts.includes(name)), []);
  });

  test("it has the walkthroughs the issue names", () => {
    assert.deepEqual([...walkthroughs(blocks).keys()].sort(), Object.keys(expected).sort());
  });

  for (const [name, steps] of walkthroughs(blocks)) {
    test(`the ${name} walkthrough runs as written on a fresh data directory`, { timeout: 600_000 }, async () => {
      const { code, output } = await runWalkthrough(name, steps);
      assert.equal(code, 0, output);
      assert.doesNotMatch(output, /"error":\s*\{\s*"code"/, output);
      assert.doesNotMatch(output, /\n\s+at .+:\d+:\d+\)?\n/, `no stack trace:\n${output}`);
      for (const pattern of expected[name] ?? []) assert.match(output, pattern, output);
    });
  }
});

type Ports = { platform: number; merchant: number };

function withPorts(text: string, ports: Ports): string {
  return text
    .replaceAll(/\b(localhost|127\.0\.0\.1):3000\b/g, `127.0.0.1:${ports.platform}`)
    .replaceAll(/\b(localhost|127\.0\.0\.1):4000\b/g, `127.0.0.1:${ports.merchant}`)
    .replaceAll(/--port 4000\b/g, `--port ${ports.merchant}`);
}

/** One bash script: the foreground blocks in order, the background ones started and awaited, all killed at the end. */
function script(dir: string, steps: FencedBlock[], ports: Ports): string {
  const lines = [
    "set -euo pipefail",
    `cd '${dir}'`,
    "background_pids=()",
    "trap 'for pid in \"${background_pids[@]}\"; do kill \"$pid\" 2>/dev/null || true; done' EXIT",
    // A deadlock guard, not a speed check: 10 minutes for a server to say it listens.
    "wait_for_listening() { for _ in $(seq 1 6000); do grep -qiE 'listening|serving at' \"$1\" && return 0; sleep 0.1; done; cat \"$1\" >&2; return 1; }",
  ];
  steps.forEach((step, index) => {
    const text = withPorts(step.text, ports);
    if (step.walkthrough?.background) {
      lines.push(`( ${text}\n) > background-${index}.log 2>&1 &`, "background_pids+=($!)", `wait_for_listening background-${index}.log`);
    } else {
      lines.push(`echo '$ # README line ${step.line}'`, text);
    }
  });
  return lines.join("\n") + "\n";
}

async function runWalkthrough(name: string, steps: FencedBlock[]): Promise<{ code: number | null; output: string }> {
  const dir = await mkdtemp(join(tmpdir(), `obol-readme-${name}-`));
  let platform: ReturnType<typeof spawn> | undefined;
  let output = "";
  try {
    // A checkout as a newcomer has it after `npm install`: the committed files (a clone: npx only runs the
    // project's own bin from a real checkout), this checkout's installed node_modules and built dist folders,
    // and no ./data yet.
    await run("git", ["clone", "--quiet", "--shared", root, join(dir, "checkout")]);
    const checkout = join(dir, "checkout");
    await symlink(join(root, "node_modules"), join(checkout, "node_modules"));
    for (const pkg of await readdir(join(root, "packages"))) {
      if (existsSync(join(root, "packages", pkg, "dist"))) await symlink(join(root, "packages", pkg, "dist"), join(checkout, "packages", pkg, "dist"));
    }
    await mkdir(join(dir, "home"));
    const ports = { platform: await freePort(), merchant: await freePort() };
    const env = { PATH: process.env.PATH ?? "", HOME: join(dir, "home"), PORT: String(ports.platform), npm_config_update_notifier: "false" };
    if (steps.some((step) => /\b(localhost|127\.0\.0\.1):3000\b/.test(step.text))) {
      // Its own process group, so the end of the test stops npm and the platform it started together.
      platform = spawn("npm", ["start"], { cwd: checkout, env, stdio: ["ignore", "pipe", "pipe"], detached: true });
      let log = "";
      platform.stdout!.on("data", (chunk) => (log += chunk));
      platform.stderr!.on("data", (chunk) => (log += chunk));
      await waitForReady(ports.platform, platform, () => log);
    }
    await writeFile(join(dir, "walkthrough.sh"), script(checkout, steps, ports));
    const result = await new Promise<{ code: number | null; output: string }>((resolve) => {
      const child = spawn("bash", [join(dir, "walkthrough.sh")], { cwd: checkout, env, stdio: ["ignore", "pipe", "pipe"] });
      child.stdout.on("data", (chunk) => (output += chunk));
      child.stderr.on("data", (chunk) => (output += chunk));
      child.on("exit", (code) => resolve({ code, output }));
    });
    return result;
  } finally {
    if (platform !== undefined && platform.exitCode === null) {
      const exited = new Promise((resolve) => platform!.once("exit", resolve));
      process.kill(-platform.pid!, "SIGTERM");
      await exited;
    }
    await rm(dir, { recursive: true, force: true });
  }
}

function run(command: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (chunk) => (stderr += chunk));
    child.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`${command} ${args.join(" ")} exited with ${code}: ${stderr}`))));
  });
}

/** /ready: the demo data and its logins file exist by then. */
async function waitForReady(port: number, child: ReturnType<typeof spawn>, log: () => string): Promise<void> {
  for (;;) {
    if (child.exitCode !== null) throw new Error(`npm start exited with ${child.exitCode}:\n${log()}`);
    try {
      if ((await fetch(`http://127.0.0.1:${port}/ready`)).ok) return;
    } catch { /* not listening yet */ }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
