#!/usr/bin/env node
// The `obol` command that npm links into node_modules/.bin. It exists before the build does (npm links
// bins before running the root `prepare` build), and runs the compiled CLI.
import { existsSync } from "node:fs";

const main = new URL("../dist/src/cli/main.js", import.meta.url);
if (!existsSync(main)) {
  console.error("obol: the CLI is not built yet: run `npm run build` in the Obol checkout (npm install does it too)");
  process.exit(1);
}
await import(main.href);
