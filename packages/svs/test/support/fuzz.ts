/**
 * fast-check parameters. CI runs a fixed seed, so a run is reproducible and never red by chance; nightly
 * fuzzing sets OBOL_FUZZ_RUNS and a fresh OBOL_FUZZ_SEED (reliability-tests.md T22). `costly` properties
 * (one scalar multiplication per run) run a tenth as many inputs.
 */
const runs = Number(process.env.OBOL_FUZZ_RUNS ?? 10_000);
const seed = Number(process.env.OBOL_FUZZ_SEED ?? 20_261_121);

export const fuzzParameters = { numRuns: runs, seed };
export const costlyFuzzParameters = { numRuns: Math.max(20, Math.floor(runs / 50)), seed };
