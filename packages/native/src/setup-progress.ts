/**
 * How a setup shows itself on stderr: one numbered line per step, the notable lines of pip, npm and
 * the compiler indented under it (every line with --verbose), and a bar for each download and
 * extraction (on a terminal; off one, cli-progress prints a plain line every ten seconds).
 */
import cliProgress from 'cli-progress';
import type { SetupEvent } from './setup.ts';

const NOTABLE = /^\s*(Downloading|Using cached|Saved|File was already downloaded|added \d+|changed \d+|up to date|CXX\(target\)|SOLINK_MODULE|COPY .*\.node)/;

const MB = 1e6;

export interface ProgressView {
  onEvent(event: SetupEvent): void;
  /** Ends any bar still drawn (before the summary or an error is printed). */
  close(): void;
}

export function setupProgressView(stream: NodeJS.WriteStream, options: { verbose?: boolean } = {}): ProgressView {
  let bar: cliProgress.SingleBar | undefined;
  let barLabel = '';
  const write = (text: string) => {
    if (bar) {
      bar.stop();
      bar = undefined;
      barLabel = '';
    }
    stream.write(text);
  };
  const showBar = (label: string, done: number, total: number | undefined) => {
    if (!total) return;
    if (barLabel !== label) {
      if (bar) bar.stop();
      bar = new cliProgress.SingleBar(
        {
          format: `      {label} |{bar}| {percentage}% {doneMb}/{totalMb} MB`,
          stream,
          hideCursor: stream.isTTY === true,
          gracefulExit: false,
          noTTYOutput: true,
          notTTYSchedule: 10_000,
          barsize: 25,
        },
        cliProgress.Presets.shades_classic,
      );
      bar.start(total, 0, { label, doneMb: '0', totalMb: (total / MB).toFixed(0) });
      barLabel = label;
    }
    bar!.update(Math.min(done, total), { label, doneMb: (done / MB).toFixed(0), totalMb: (total / MB).toFixed(0) });
  };
  return {
    onEvent(event) {
      switch (event.kind) {
        case 'step':
          write(`[${event.index}/${event.total}] ${event.title}\n`);
          break;
        case 'skip':
          write(`      skipped: ${event.reason}\n`);
          break;
        case 'note':
          write(`      ${event.text}\n`);
          break;
        case 'output':
          if (event.line.trim() !== '' && (options.verbose || NOTABLE.test(event.line))) write(`      ${event.line.trim()}\n`);
          break;
        case 'download':
          showBar(`downloading ${event.progress.file}`, event.progress.bytes, event.progress.total);
          break;
        case 'extract':
          showBar(`extracting ${event.what}`, event.progress.done, event.progress.total);
          break;
      }
    },
    close() {
      if (bar) bar.stop();
      bar = undefined;
    },
  };
}
