/**
 * The per-epoch progress bar on stderr (batch, loss, images/s, ETA). Off a terminal (nohup, CI)
 * cli-progress would print nothing; there it prints one plain line every half minute instead, so a
 * log of a long run still shows where it is.
 */
import cliProgress from 'cli-progress';

export interface EpochProgress {
  update(batch: number, values: { loss: number; imagesPerSec: number }): void;
  stop(): void;
}

export function startEpochProgress(epoch: number, epochs: number, batches: number, startBatch: number): EpochProgress {
  const tty = process.stderr.isTTY === true;
  const bar = new cliProgress.SingleBar(
    {
      format: `epoch ${epoch}/${epochs} |{bar}| {value}/{total} loss={loss} {ips} img/s ETA {eta_formatted}`,
      stream: process.stderr,
      hideCursor: tty,
      gracefulExit: false,
      noTTYOutput: true,
      notTTYSchedule: 30_000,
      etaBuffer: 50,
      barsize: 30,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(batches, startBatch, { loss: '-', ips: '-' });
  return {
    update: (batch, { loss, imagesPerSec }) => bar.update(batch, { loss: loss.toFixed(4), ips: imagesPerSec.toFixed(0) }),
    stop: () => bar.stop(),
  };
}
