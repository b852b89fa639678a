/**
 * `xp export <run id | model dir> --out DIR`: a run's exported model as a folder that works on its
 * own: the model, its metadata and a page classifying a dropped image or a drawn digit, with
 * TensorFlow.js bundled (kinds/cnn-classifier/export/web-page.ts).
 */
import type { Command } from 'commander';
import { ModelFolderError, readModelMetadata } from '../../kinds/cnn-classifier/export/model-metadata.ts';
import { NoExportedModelError } from '../../kinds/cnn-classifier/export/model-source.ts';
import { ExportFolderError, writeExportFolder } from '../../kinds/cnn-classifier/export/web-page.ts';
import { UsageError, type CliContext } from '../context.ts';
import { resolveFromCwd } from '../options.ts';
import { locateModelFor } from './predict.ts';

export function register(program: Command, ctx: CliContext): void {
  program
    .command('export')
    .description("Write a run's model to a folder that works without xp: model/ (stock TensorFlow.js LayersModel + xp-model.json) and index.html, which classifies an image dropped on it or a digit drawn with the mouse, offline (TensorFlow.js is copied in, the model embedded for file://).")
    .argument('<model>', "a run id or its first characters (as --resume takes), or a model folder (a run's model/)")
    .requiredOption('--out <dir>', 'the folder to write (new, empty, or an earlier export, which is replaced)')
    .option('--tracking-uri <uri>', 'MLflow tracking URI the run id is looked up in: http://host:port (the model is downloaded), file:///path or a path (default: $MLFLOW_TRACKING_URI, ./mlruns)')
    .addHelpText(
      'after',
      '\nOpen DIR/index.html in a browser (from file:// or any static server). DIR/model/ is what stock\n' +
        "TensorFlow.js loads: tf.loadLayersModel('…/model/model.json'); its output is class probabilities, its\n" +
        'input and normalization are in model/xp-model.json.\n\nExit codes: 0 written; 2 usage (no exported model for that run, a folder --out cannot take).',
    )
    .action(async (target: string, options: { out: string; trackingUri?: string }) => {
      try {
        const located = await locateModelFor(ctx, target, options.trackingUri);
        try {
          const meta = readModelMetadata(located.dir);
          const out = resolveFromCwd(ctx, options.out);
          writeExportFolder(located.dir, meta, out);
          ctx.stdout(`exported ${located.description} to ${out}: open ${out}/index.html in a browser; ${out}/model/ is the TensorFlow.js model\n`);
        } finally {
          located.release();
        }
      } catch (error) {
        if (error instanceof NoExportedModelError || error instanceof ModelFolderError || error instanceof ExportFolderError) throw new UsageError(error.message);
        throw error;
      }
    });
}
