// The program bench/command-overhead.ts runs bare and through xp: N metric lines as fast as it can,
// telling stderr when it wrote the first (ms since the epoch), so the bench can time start → first metric.
const n = Number(process.argv[2] ?? 10);
for (let step = 1; step <= n; step++) {
  if (step === 1) process.stderr.write(`first-metric-at ${Date.now()}\n`);
  process.stdout.write(`{"step": ${step}, "metrics": {"x": ${1 / step}}}\n`);
}
