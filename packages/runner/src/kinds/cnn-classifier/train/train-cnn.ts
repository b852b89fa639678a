/**
 * The cnn-classifier training run: backend, data, model and optimizer, then epochs, each followed by
 * evaluation, metrics and a checkpoint; finally the verdict. An interrupt finishes the current
 * batch, saves, and returns 'killed'; a resumed run continues from the saved batch with the data
 * order, augmentation and dropout masks it would have had (all are functions of the seed and the
 * position), so it ends where an uninterrupted run ends.
 *
 * On wasm a run takes `train.workers` threads ('auto', the default: its share of the cores). With
 * train.parallelism kernel-threads (the default) every kernel of this thread splits its work over
 * them; with data-parallel the steps run on worker threads (./parallel.ts), and this thread's model
 * and optimizer hold the workers' state after every epoch (and at an interrupt) for evaluation and
 * checkpoints.
 */
import { existsSync } from 'node:fs';
import os from 'node:os';
import { join, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { cnnSpecOf, type ResolvedCnnSpec } from '@xp/core';
import { batchesPerEpoch, canPrefetch, startBatchPrefetcher, type BatchPrefetcher } from '@xp/data';
import { selectBackend, type BackendRequest } from '@xp/engine';
import type { RunContext, RunOutcome } from '../../types.ts';
import { logRunPictures } from '../pictures.ts';
import { autoBackendFor } from './auto-backend.ts';
import { CHECKPOINT_DIR, CHECKPOINT_FILES, restoreCheckpoint, saveCheckpoint, type EpochRecord, type TrainingProgress } from './checkpoint.ts';
import { loadTrainingData, recordDataset } from './data.ts';
import { modelWithClasses } from '../model-spec.ts';
import { localStep, trainEpoch, type EpochSettings, type EpochStep } from './epoch.ts';
import { evaluate, formatEvaluation, type Evaluation } from './evaluate.ts';
import { logExportedModel } from '../export/export-model.ts';
import { setTrainingStep } from './fused-layers.ts';
import { accuracyReport, epochMetrics, finalMetrics } from './metrics.ts';
import { buildTrainingSetup } from './model.ts';
import { planWorkers, startDataParallel, type DataParallelRun } from './parallel.ts';
import { learningRateAt } from './schedule.ts';
import { judge } from './verdict.ts';
import { applyWasmSettings, wasmTags } from './wasm-settings.ts';

export interface TrainCnnOptions {
  /** The fewest workers that train on threads (default 2; tests set 1 to run the threaded path alone). */
  threadedFrom?: number;
}

export async function trainCnn(ctx: RunContext, options: TrainCnnOptions = {}): Promise<RunOutcome> {
  const { log } = ctx;
  const written = cnnSpecOf(ctx.spec);
  // A dataset error here (the kind check loads the data first, so rarely) fails the run with its reason.
  const data = await loadTrainingData(written, ctx.specFile, log);
  // The classes the data has, where the spec leaves model.classes out: what the network is built for.
  const spec: ResolvedCnnSpec = { ...written, model: { ...written.model, classes: modelWithClasses(written, data.classes).classes } };
  await recordDataset(ctx, data);
  const { train } = spec;
  const settings: EpochSettings = {
    epochs: train.epochs,
    batchSize: train.batchSize,
    seed: spec.seed,
    baseLr: train.lr,
    schedule: train.schedule,
    augment: spec.data.augment,
  };

  let requested = ctx.backend as BackendRequest;
  if (requested === 'auto') {
    // Native CPU against the wasm engine is decided by a measurement of this model (kept per machine).
    const decision = await autoBackendFor(spec, { env: process.env });
    log(`backend auto: ${decision.backend}, ${decision.reason}`);
    requested = decision.backend;
  }
  const backend = await selectBackend(requested);
  const plan = planWorkers(train, {
    cores: ctx.cpuShare ?? availableCores(),
    backend: backend.name,
    batchSize: settings.batchSize,
    trainCount: data.train.count,
  });
  const threaded = plan.workers >= (options.threadedFrom ?? 2);
  // This thread's arithmetic; data-parallel workers set the same on theirs (./parallel-setup.ts).
  const wasm = await applyWasmSettings(spec, threaded ? 1 : plan.kernelThreads);
  const threads = threaded ? plan.workers : wasm ? wasm.kernelThreads : backend.threads;
  const tags: Record<string, string> = { backend: backend.name, 'xp.threads': String(threads), ...wasmTags(wasm) };
  if (threaded) tags['xp.workers'] = String(plan.workers);
  await ctx.run.setTags(tags);
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  log(`backend ${backend.name} (${plural(threads, 'thread')}${threaded ? `: data-parallel on ${plural(plan.workers, 'worker')}` : threads > 1 && wasm ? ': kernel threads' : ''})`);
  if (plan.note) log(plan.note);
  log(`data: ${data.train.count} training, ${data.validation ? `${data.validation.count} validation, ` : ''}${data.test.count} test images`);

  const setup = buildTrainingSetup(spec);
  const { model, optimizer } = setup;
  let parallel: DataParallelRun | null = null;
  let prefetcher: BatchPrefetcher | null = null;
  const checkpointDir = join(ctx.run.artifactDir, CHECKPOINT_DIR);
  const artifacts: Record<string, string> = {};
  const progress: TrainingProgress = { epoch: 0, batch: 0, partial: { lossSum: 0, images: 0, seconds: 0 }, history: [] };
  const outcome = (status: RunOutcome['status'], message: string): RunOutcome => ({
    status,
    metrics: finalMetrics(progress.history, spec.constraints),
    artifacts,
    tags,
    message,
  });

  try {
    if (ctx.resumeFrom) await resume(ctx, model, optimizer, progress, settings.seed);
    let step: EpochStep = localStep(setup.step);
    // A step on this thread leaves no time to assemble the next batch in: a loader thread does.
    if (!threaded && canPrefetch(data.train)) {
      prefetcher = await startBatchPrefetcher(data.train, { batchSize: settings.batchSize, seed: settings.seed, augment: settings.augment });
    }
    if (threaded) {
      const [height, width, channels] = [data.train.height, data.train.width, data.train.channels];
      parallel = await startDataParallel(spec, { workers: plan.workers, batchSize: settings.batchSize, imageShape: [height, width, channels], maxParams: model.countParams() });
      // The workers start from this thread's model and optimizer: fresh, or as resumed.
      await parallel.push(model, optimizer);
      step = parallel.step;
    }

    const save = async (): Promise<void> => {
      if (!train.checkpoint) return;
      const files = await saveCheckpoint(checkpointDir, model, optimizer, { ...progress, seed: settings.seed });
      Object.assign(artifacts, files);
      for (const file of Object.values(files)) await ctx.run.logArtifact(file, CHECKPOINT_DIR);
    };

    const batches = batchesPerEpoch(data.train.count, settings.batchSize);
    let finalTest: Evaluation | undefined;
    let tensorsAfterFirstEpoch: number | null = null;
    while (progress.epoch < settings.epochs) {
      const epoch = progress.epoch;
      const epochLr = learningRateAt(settings.baseLr, settings.schedule, { epoch, batch: 0, batchesPerEpoch: batches, epochs: settings.epochs });
      const end = await trainEpoch(data.train, step, settings, progress, ctx.signal, prefetcher?.epoch);
      if (end.kind === 'diverged') return outcome('error', end.message);
      // Weights, batch-norm running statistics and optimizer state, for evaluation and checkpoints.
      if (parallel) await parallel.pull(model, optimizer);
      if (end.kind === 'interrupted') {
        await save();
        const where = `epoch ${epoch + 1}, batch ${progress.batch}`;
        log(`interrupted at ${where}/${batches}${train.checkpoint === false ? '' : `; checkpoint saved in ${checkpointDir}`}`);
        return outcome('killed', `interrupted at ${where}`);
      }

      // On the workers, where there are: their copies are this thread's after the pull.
      const where = parallel ? { on: parallel } : {};
      // The last epoch's also gives the pictures their predictions (the weights are final).
      const last = epoch + 1 === settings.epochs;
      const test = await evaluate(model, data.test, { ...where, predictions: last });
      if (last) finalTest = test;
      log(formatEvaluation('Test', test));
      const record: EpochRecord = { epoch: epoch + 1, trainLoss: end.trainLoss, testLoss: test.loss, testAccuracy: test.accuracy, seconds: end.seconds, lr: epochLr };
      if (data.validation) {
        const validation = await evaluate(model, data.validation, where);
        log(formatEvaluation('Validation', validation));
        record.valLoss = validation.loss;
        record.valAccuracy = validation.accuracy;
      }
      log(`epoch ${epoch + 1}/${settings.epochs}: train loss ${end.trainLoss.toFixed(4)}, ${end.seconds.toFixed(1)} s, ${end.imagesPerSec.toFixed(0)} images/s, lr ${epochLr.toPrecision(3)} at the epoch's start (MLflow's lr at step ${epoch + 1})`);
      progress.history.push(record);
      await ctx.run.logMetrics(epochMetrics(record));
      Object.assign(progress, { epoch: epoch + 1, batch: 0, partial: { lossSum: 0, images: 0, seconds: 0 } });
      await save();

      // A leak shows as a live-tensor count that keeps rising from one epoch to the next.
      const tensors = tf.memory().numTensors;
      tensorsAfterFirstEpoch ??= tensors;
      if (tensors > tensorsAfterFirstEpoch) log(`warning: ${tensors - tensorsAfterFirstEpoch} more live tensors than after the first epoch (memory leak?)`);
    }

    const normalization = { mean: data.normalization.mean[0], std: data.normalization.std[0] };
    await logRunPictures({ ctx, model, test: data.test, evaluation: finalTest, history: progress.history, artifacts, normalization, classes: data.classes });
    await logExportedModel(ctx, { model: modelWithClasses(spec, data.classes), trained: model, normalization: data.normalization, classNames: data.classNames }, artifacts);

    const verdict = judge(progress.history.map((r) => r.testAccuracy), spec.constraints);
    const report = accuracyReport(progress.history);
    if (report) log(`${report}; ${verdict.message}`);
    return outcome(verdict.passed ? 'passed' : 'failed', verdict.message);
  } finally {
    await parallel?.close();
    await prefetcher?.close();
    setup.dispose();
  }
}

function availableCores(): number {
  return typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
}

async function resume(
  ctx: RunContext,
  model: tf.LayersModel,
  optimizer: Parameters<typeof restoreCheckpoint>[2],
  progress: TrainingProgress,
  seed: number,
): Promise<void> {
  const from = ctx.resumeFrom!;
  const checkpoint = checkpointToResume(from);
  if (!existsSync(join(checkpoint, CHECKPOINT_FILES.state))) {
    // Killed before its first checkpoint was whole (SIGKILL mid-write): nothing to continue from but the start.
    ctx.log(`resuming from ${from}: epoch 1, batch 0, 0 epoch(s) done (it holds no complete checkpoint: from the start)`);
    return;
  }
  const restored = restoreCheckpoint(checkpoint, model, optimizer);
  if (restored.seed !== seed) ctx.log(`warning: the checkpoint was trained with seed ${restored.seed}, the spec says ${seed}`);
  Object.assign(progress, { epoch: restored.epoch, batch: restored.batch, partial: restored.partial, history: restored.history });
  // One training call per step: every layer's dropout masks continue where they left off.
  setTrainingStep(model, restored.optimizer.iterations);
  ctx.log(`resuming from ${from}: epoch ${progress.epoch + 1}, batch ${progress.batch}, ${progress.history.length} epoch(s) done`);
  // Resumed into a new run, the earlier epochs' points come along so its curves are whole.
  if (resolve(from) !== resolve(ctx.run.artifactDir) && progress.history.length > 0) {
    await ctx.run.logMetrics(progress.history.flatMap(epochMetrics));
  }
}

/** The earlier run's checkpoint/, or the checkpoint.previous/ an interrupted save can leave alone. */
function checkpointToResume(artifactDir: string): string {
  const current = join(artifactDir, CHECKPOINT_DIR);
  const previous = `${current}.previous`;
  if (!existsSync(join(current, CHECKPOINT_FILES.state)) && existsSync(join(previous, CHECKPOINT_FILES.state))) return previous;
  return current;
}
