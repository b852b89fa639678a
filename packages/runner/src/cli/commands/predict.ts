/**
 * `xp predict <run id | model dir> <inputs...>`: classifies images with a run's exported model
 * (model/, kinds/cnn-classifier/export/) and prints each input's top classes with their
 * probabilities, as a table, JSON or CSV.
 */
import { existsSync } from 'node:fs';
import { openTrackingStore } from '@xp/tracking';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { stringify } from 'csv-stringify/sync';
import { ModelFolderError, readModelMetadata } from '../../kinds/cnn-classifier/export/model-metadata.ts';
import { locateModel, NoExportedModelError, type LocatedModel } from '../../kinds/cnn-classifier/export/model-source.ts';
import type { Prediction } from '../../kinds/cnn-classifier/export/predict.ts';
import { BACKEND_NAMES, checkBackendName, startBackend, type BackendName } from '../../run/backend-choice.ts';
import { UsageError, type CliContext } from '../context.ts';
import { resolveFromCwd } from '../options.ts';

const FORMATS = ['table', 'json', 'csv'] as const;

interface PredictOptions {
  top: number;
  format: (typeof FORMATS)[number];
  trackingUri?: string;
  backend: string;
}

function topOption(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a positive integer');
  return n;
}

/**
 * The bad inputs a user can fix, each naming its file: exit 2, nothing printed on stdout. Reading
 * images loads TensorFlow.js (resizing), so that module and the data package load only when
 * `xp predict` runs, not with every command.
 */
async function inputErrors() {
  const [{ CsvImagesError, IdxFileError, ImageDecodeError }, { PredictInputError }] = await Promise.all([
    import('@xp/data'), import('../../kinds/cnn-classifier/export/predict-inputs.ts'),
  ]);
  return [NoExportedModelError, ModelFolderError, PredictInputError, ImageDecodeError, CsvImagesError, IdxFileError];
}

export function register(program: Command, ctx: CliContext): void {
  program
    .command('predict')
    .description("Classify images with a run's exported model (model/, which every finished cnn-classifier run logs): each input's top classes with their probabilities.")
    .argument('<model>', "a run id or its first characters (as --resume takes), or a model folder (a run's model/, or a folder `xp export` wrote)")
    .argument('<inputs...>', 'PNG or JPEG files, folders of them (searched recursively), IDX image files (MNIST format, .gz or not) or CSV files of pixels (a header row; a label column, if any, is ignored)')
    .option('--top <k>', 'how many classes to print per input, most probable first', topOption, 3)
    .addOption(new Option('--format <format>', 'output format').choices([...FORMATS]).default('table'))
    .option('--tracking-uri <uri>', 'MLflow tracking URI the run id is looked up in: http://host:port (the model is downloaded from the server when it is not on this machine), file:///path or a path (default: $MLFLOW_TRACKING_URI, ./mlruns)')
    .option('--backend <name>', `TensorFlow.js backend: ${BACKEND_NAMES.join(', ')}`, 'wasm')
    .addHelpText(
      'after',
      '\nEach image is prepared as the run\'s data was: converted to the model\'s channels (RGB → grey by BT.601 luma, grey → RGB by\n' +
        'repetition) where they differ, resized to the model\'s input (bilinear, half-pixel centres, stretched) where its size differs,\n' +
        'then pixel/255 normalized with the mean and std in the model\'s xp-model.json. Inputs of an IDX or CSV file are named FILE#i (0-based).\n' +
        'json: {"model", "classes", "predictions": [{"input", "top": [{"class", "index", "probability"}]}]}; csv: input,rank,class,index,probability.\n\n' +
        'Examples:\n  xp predict 3f9c2a1b digit.png\n  xp predict mlruns/1/3f9c…/artifacts/model ./my-digits --top 1 --format csv\n\n' +
        'Exit codes: 0 classified; 2 usage or bad input (no exported model for that run, a file that is not an image, IDX or CSV).',
    )
    .action(async (target: string, paths: string[], options: PredictOptions) => {
      checkBackendName(options.backend);
      try {
        const located = await locateModelFor(ctx, target, options.trackingUri);
        try {
          const meta = readModelMetadata(located.dir);
          const { height, width, channels } = meta.input;
          const { readPredictInputs } = await import('../../kinds/cnn-classifier/export/predict-inputs.ts');
          const { inputs, skipped } = await readPredictInputs(paths.map((path) => resolveFromCwd(ctx, path)), { height, width, channels: channels as 1 | 3 });
          if (skipped.length > 0) ctx.stderr(`note: ${skipped.length} file(s) in the folders given are not PNG or JPEG images and were left out (e.g. ${skipped[0]})\n`);
          await startBackend(options.backend as BackendName);
          const { predictImages } = await import('../../kinds/cnn-classifier/export/predict.ts');
          const result = await predictImages(located.dir, meta, inputs, options.top);
          if (result.converted > 0) ctx.stderr(`note: ${result.converted} input(s) converted to the model's ${channels === 1 ? 'grey (1 channel)' : 'RGB (3 channels)'}\n`);
          if (result.resized > 0) ctx.stderr(`note: ${result.resized} input(s) resized to the model's ${width}×${height} (bilinear)\n`);
          ctx.stdout(formatPredictions(result.predictions, options.format, { model: located.description, classes: meta.classes }));
        } finally {
          located.release();
        }
      } catch (error) {
        if ((await inputErrors()).some((kind) => error instanceof kind)) throw new UsageError((error as Error).message);
        throw error;
      }
    });
}

/** `target` as a folder where one exists at that path (from where the user typed it), else as a run id. */
export function locateModelFor(ctx: CliContext, target: string, trackingUri: string | undefined): Promise<LocatedModel> {
  const asPath = resolveFromCwd(ctx, target);
  return locateModel(existsSync(asPath) ? asPath : target, () =>
    openTrackingStore({ uri: trackingUri, cwd: ctx.cwd, env: ctx.env, log: (line) => ctx.stderr(`${line}\n`) }),
  );
}

export function formatPredictions(predictions: Prediction[], format: PredictOptions['format'], about: { model: string; classes: string[] }): string {
  if (format === 'json') return `${JSON.stringify({ ...about, predictions })}\n`;
  if (format === 'csv') {
    const rows = predictions.flatMap((p) => p.top.map((t, rank) => [p.input, rank + 1, t.class, t.index, t.probability]));
    return stringify([['input', 'rank', 'class', 'index', 'probability'], ...rows]);
  }
  const width = Math.max(5, ...predictions.map((p) => p.input.length));
  const lines = predictions.map((p) => `${p.input.padEnd(width)}  ${p.top.map((t) => `${t.class} ${(t.probability * 100).toFixed(2)}%`).join('   ')}`);
  return `${'input'.padEnd(width)}  top classes (probability)\n${lines.join('\n')}\n`;
}
