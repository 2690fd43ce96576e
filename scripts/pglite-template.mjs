#!/usr/bin/env node
// Part of `npm run build` (and so of `npm install`): makes the empty PGlite cluster that new data directories
// are unpacked from (packages/platform/src/db/pglite-template.ts says why). Does nothing when it exists.
import { writePgliteTemplate } from "../packages/platform/dist/src/db/pglite-template.js";

const started = performance.now();
const { path, created } = await writePgliteTemplate();
if (created) console.log(`made the empty database template ${path} (${((performance.now() - started) / 1000).toFixed(1)} s, once per PGlite version)`);
