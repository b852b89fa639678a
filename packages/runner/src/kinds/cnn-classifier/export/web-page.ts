/**
 * `xp export`'s folder: the model (model/), its metadata, and a page that classifies an image
 * dropped on it or a digit drawn with the mouse (./page/), with TensorFlow.js's browser bundle
 * copied in beside it (no CDN). The model is also embedded, as base64, in model-data.js, loaded
 * by a script tag: a page opened from file:// may not fetch files, but may run scripts.
 */
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { MODEL_DIR, MODEL_FILES, type XpModelMetadata } from './model-metadata.ts';

const PAGE_DIR = join(import.meta.dirname, 'page');

/** The folder `--out` names cannot take the export (a file, or a folder of other things); exit 2. */
export class ExportFolderError extends Error {
  constructor(
    readonly dir: string,
    problem: string,
  ) {
    super(`${dir}: ${problem}`);
    this.name = 'ExportFolderError';
  }
}

/** TensorFlow.js's minified browser bundle, from the installed @tensorflow/tfjs. */
export function tfjsBrowserBundle(): string {
  return join(dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs/package.json')), 'dist', 'tf.min.js');
}

export const EXPORT_FILES = ['index.html', 'classify.js', 'model-data.js', 'tf.min.js', `${MODEL_DIR}/${MODEL_FILES.model}`, `${MODEL_DIR}/${MODEL_FILES.weights}`, `${MODEL_DIR}/${MODEL_FILES.metadata}`] as const;

const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * Writes the export into `outDir`: whole into a staging folder beside it, then renamed, so an
 * interrupted export leaves nothing half-written. An existing folder is replaced only when it is
 * empty or an earlier export (it has model/xp-model.json).
 */
export function writeExportFolder(modelDir: string, meta: XpModelMetadata, outDir: string): string[] {
  if (existsSync(outDir)) {
    if (!statSync(outDir).isDirectory()) throw new ExportFolderError(outDir, 'is a file; --out names the folder to write');
    if (readdirSync(outDir).length > 0 && !existsSync(join(outDir, MODEL_DIR, MODEL_FILES.metadata))) {
      throw new ExportFolderError(outDir, 'exists and holds other files; give a new or empty folder (an earlier export is replaced)');
    }
  }
  const staging = `${outDir}.exporting`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(join(staging, MODEL_DIR), { recursive: true });
  for (const name of Object.values(MODEL_FILES)) copyFileSync(join(modelDir, name), join(staging, MODEL_DIR, name));
  copyFileSync(tfjsBrowserBundle(), join(staging, 'tf.min.js'));
  copyFileSync(join(PAGE_DIR, 'classify.js'), join(staging, 'classify.js'));
  const title = `${meta.trainedBy.variant} (${meta.classes.length} classes)`;
  writeFileSync(join(staging, 'index.html'), readFileSync(join(PAGE_DIR, 'index.html'), 'utf8').replaceAll('__TITLE__', escapeHtml(title)));
  const modelJson = JSON.parse(readFileSync(join(modelDir, MODEL_FILES.model), 'utf8')) as { weightsManifest: { paths: string[] }[] };
  const weights = Buffer.concat(modelJson.weightsManifest.flatMap((group) => group.paths.map((path) => readFileSync(join(modelDir, path)))));
  const data = { modelJson, weightsBase64: weights.toString('base64'), meta };
  writeFileSync(join(staging, 'model-data.js'), `// The model, embedded for pages opened from file:// (written by xp export).\nwindow.XP_MODEL = ${JSON.stringify(data)};\n`);
  rmSync(outDir, { recursive: true, force: true });
  renameSync(staging, outDir);
  return EXPORT_FILES.map((name) => join(outDir, name));
}
