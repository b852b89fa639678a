/**
 * Static analysis of a CNN spec, without building it: per-layer output shape, trainable parameters
 * counted as PyTorch counts them, batch-norm buffers, receptive field and multiply-adds. Shape
 * problems come back as located issues, so a plan can show all of them instead of the first throw.
 * Each layer's effect and row name come from its kind's module (./layers/<kind>.ts).
 */
import {
  flattenBlocks,
  LayerSpecError,
  type CnnModelSpec,
  type LayerDescriptor,
  type SpecPath,
} from './layers.ts';
import { formatShape, isMap, type LayerKindDefinition, type LayerShape } from './layers/definition.ts';
import { layerKindDefinition } from './layers/index.ts';

export { formatShape };
export type { LayerShape };

export interface ModelIssue {
  path: SpecPath;
  message: string;
}

export interface LayerSummary {
  /** 1-based position in the flattened network. */
  index: number;
  layer: LayerDescriptor;
  /** Short human description, e.g. 'conv2d 3×3 16→32 pad 1'. */
  name: string;
  inputShape: LayerShape;
  outputShape: LayerShape;
  /** Trainable parameters (PyTorch: conv/dense weights and biases, batch-norm γ and β). */
  params: number;
  /** Non-trainable state: batch-norm running mean and variance. */
  buffers: number;
  /** Multiply-adds of one example through this layer (convolutions and dense layers only). */
  multAdds: number;
  /** Input pixels one output unit sees along each axis; null once a dense layer mixes everything. */
  receptiveField: number | null;
  /** Distance in input pixels between neighbouring outputs of this layer. */
  jump: number;
}

export interface ModelSummary {
  input: readonly [number, number, number];
  classes: number;
  /** Layers analysed; it stops at the first layer whose shape does not fit. */
  layers: LayerSummary[];
  outputShape: LayerShape | null;
  trainableParams: number;
  buffers: number;
  multAdds: number;
  issues: ModelIssue[];
}

export class ModelShapeError extends Error {
  constructor(readonly issues: readonly ModelIssue[]) {
    super(issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('\n'));
    this.name = 'ModelShapeError';
  }
}

/** The kind's module, for a layer that flattenBlocks produced (so its kind is registered). */
const definitionOf = (layer: LayerDescriptor): LayerKindDefinition => layerKindDefinition(layer.kind)!;

function layerName(layer: LayerDescriptor, input: LayerShape): string {
  const definition = definitionOf(layer);
  return definition.label ? definition.label(layer, input) : layer.kind;
}

function inputShapeIssue(input: readonly number[]): ModelIssue | null {
  if (input.length === 3 && input.every((n) => Number.isInteger(n) && n >= 1)) return null;
  return { path: ['model', 'input'], message: `input must be [channels, height, width] of positive integers, got ${JSON.stringify(input)}` };
}

export function summarizeModel(model: CnnModelSpec): ModelSummary {
  const input = model.input as readonly [number, number, number];
  const { classes } = model;
  const summary: ModelSummary = { input, classes, layers: [], outputShape: null, trainableParams: 0, buffers: 0, multAdds: 0, issues: [] };

  const badInput = inputShapeIssue(input);
  if (badInput) {
    summary.issues.push(badInput);
    return summary;
  }
  let layers: LayerDescriptor[];
  try {
    layers = flattenBlocks(model.blocks);
  } catch (error) {
    if (!(error instanceof LayerSpecError)) throw error;
    summary.issues.push({ path: error.path, message: error.message.slice(error.path.join('.').length + 2) });
    return summary;
  }
  if (layers.length === 0) {
    summary.issues.push({ path: ['model', 'blocks'], message: 'the model has no layers' });
    return summary;
  }

  let shape: LayerShape = input;
  let receptiveField: number | null = 1;
  let jump = 1;
  for (const [i, layer] of layers.entries()) {
    const result = definitionOf(layer).effect(layer, shape);
    if (typeof result === 'string') {
      summary.issues.push({ path: layer.path, message: `${layerName(layer, shape)} (layer ${i + 1}, block ${layer.block}): ${result}` });
      return summary;
    }
    if (result.mixesEverything) receptiveField = null;
    else if (result.window && receptiveField !== null) {
      receptiveField += (result.window.size - 1) * jump;
      jump *= result.window.stride;
    }
    summary.layers.push({
      index: i + 1,
      layer,
      name: layerName(layer, shape),
      inputShape: shape,
      outputShape: result.output,
      params: result.params,
      buffers: result.buffers,
      multAdds: result.multAdds,
      receptiveField,
      jump,
    });
    summary.trainableParams += result.params;
    summary.buffers += result.buffers;
    summary.multAdds += result.multAdds;
    shape = result.output;
  }
  summary.outputShape = shape;

  const last = layers[layers.length - 1];
  if (isMap(shape)) {
    summary.issues.push({
      path: last.path,
      message: `the network ends with a ${formatShape(shape)} feature map; end with ${classes} flat units (global-avg-pool or flatten, then dense)`,
    });
  } else if (shape[0] !== classes) {
    summary.issues.push({ path: last.path, message: `the network outputs ${shape[0]} units but model.classes is ${classes}` });
  }
  return summary;
}

/** Trainable parameters as PyTorch counts them; throws ModelShapeError when the layers do not fit. */
export function countParameters(model: CnnModelSpec): number {
  const summary = summarizeModel(model);
  if (summary.issues.length > 0) throw new ModelShapeError(summary.issues);
  return summary.trainableParams;
}

const thousands = (n: number): string => n.toLocaleString('en-US');

/** A torchsummary-like table, totals at the bottom. */
export function formatSummary(summary: ModelSummary): string {
  const header = ['#', 'Layer', 'Block', 'Output shape', 'Params', 'RF', 'Mult-adds'];
  const rows = summary.layers.map((l) => [
    String(l.index),
    l.name,
    l.layer.block,
    formatShape(l.outputShape),
    thousands(l.params),
    l.receptiveField === null ? '—' : String(l.receptiveField),
    thousands(l.multAdds),
  ]);
  const inputRow = ['', 'input', '', formatShape(summary.input), '', '1', ''];
  const all = [header, inputRow, ...rows];
  const widths = header.map((_, c) => Math.max(...all.map((r) => r[c].length)));
  // Text columns left-aligned, numeric ones right-aligned.
  const numeric = [true, false, false, false, true, true, true];
  const line = (r: string[]) =>
    r.map((cell, c) => (numeric[c] ? cell.padStart(widths[c]) : cell.padEnd(widths[c]))).join('  ').trimEnd();
  const rule = (ch: string) => ch.repeat(widths.reduce((a, b) => a + b, 0) + 2 * (widths.length - 1));
  const out = [rule('-'), line(header), rule('='), line(inputRow), ...rows.map(line), rule('=')];
  out.push(`Trainable params: ${thousands(summary.trainableParams)}`);
  out.push(`Buffers (batch-norm running mean/var, not trained): ${thousands(summary.buffers)}`);
  out.push(`Total mult-adds per example: ${thousands(summary.multAdds)}`);
  if (summary.outputShape) out.push(`Output: ${formatShape(summary.outputShape)}`);
  for (const issue of summary.issues) out.push(`ERROR ${issue.path.join('.')}: ${issue.message}`);
  out.push(rule('-'));
  return out.join('\n');
}
