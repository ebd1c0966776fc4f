/** The run's chaos seed: `PATCHBAY_CHAOS_SEED` to replay a run, otherwise a fresh one. */
export function chaosSeed(): number {
  const fromEnv = Number(process.env.PATCHBAY_CHAOS_SEED);
  return Number.isInteger(fromEnv) && fromEnv > 0
    ? fromEnv >>> 0
    : Math.floor(Math.random() * 0xffffffff) >>> 0 || 1;
}

/** mulberry32: a small seeded PRNG, so a fault schedule is reproducible from its seed. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}
