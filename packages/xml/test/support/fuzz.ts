/**
 * fast-check parameters for the hostile-input properties. CI runs 10,000 inputs per property with a fixed
 * seed, so a run is reproducible and never red by chance; nightly fuzzing sets OBOL_FUZZ_RUNS and a fresh
 * OBOL_FUZZ_SEED (reliability-tests.md T22). A failure prints its seed and path for replay.
 */
export const fuzzParameters = {
  numRuns: Number(process.env.OBOL_FUZZ_RUNS ?? 10_000),
  seed: Number(process.env.OBOL_FUZZ_SEED ?? 20_261_121),
};
