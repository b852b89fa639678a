/**
 * Times loading all 70,000 MNIST images from the IDX files and normalizing them (budget: < 2 s).
 * Run: npx tsx bench/load-mnist.ts [repetitions]
 */
import { loadMnist } from '@xp/data';

const repetitions = Number(process.argv[2] ?? 5);
const times: number[] = [];
let images = 0;
for (let r = 0; r < repetitions; r++) {
  const start = performance.now();
  const data = loadMnist({ normalize: { mean: 0.1307, std: 0.3081 } });
  times.push(performance.now() - start);
  images = data.train.count + data.test.count;
}
times.sort((a, b) => a - b);
const median = times[Math.floor(times.length / 2)];
console.log(
  `loadMnist: ${images} images, ${repetitions} runs; min ${Math.round(times[0])} ms, max ${Math.round(times[times.length - 1])} ms, median ${Math.round(median)} ms`,
);
if (median > 2000) {
  console.error('over the 2 s budget');
  process.exitCode = 1;
}
