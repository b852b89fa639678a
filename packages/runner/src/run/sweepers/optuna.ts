/**
 * The optuna sweeper (`sweep.optuna`): Bayesian search by Optuna's own sampler (TPE), through its
 * ask-and-tell interface. Each proposal asks the study for as many trials as the launcher runs at
 * once; a trial is a variant made then (the spec with the drawn values applied, validated and checked
 * like any loaded variant) and runs once per seed. Every point of the kind's primary metric a job
 * reports is sent to Optuna as an intermediate value (the dashboard draws them; stopping is
 * sweep.scheduler's), and once all of a trial's seeds have ended Optuna is told: complete with the
 * metric's mean over the seeds, pruned where the scheduler stopped it, failed where a run crashed,
 * was refused (over budget) or was interrupted. The next proposal is asked only after that, so the
 * sampler has learnt from every trial before it draws again.
 *
 * The study lives in Optuna's storage (sweep.optuna.storage); `trials` is what it should hold
 * finished, so running the spec again after an interrupt runs only the rest.
 */
import { formatIssue, trialName, type SpecIssue } from '@xp/core';
import type { JobResult } from '../job.ts';
import { checkVariant, type CheckedExperiment } from '../static-checks.ts';
import { TAG_SEARCH, TAG_TRIAL, type ProposedJob, type Sweeper, type SweeperOptions } from '../sweeper.ts';
import { OptunaBridge } from './optuna-bridge.ts';
import { optunaSettings, prepareStorage, type OptunaSettings } from './optuna-search.ts';
import { searchSpace, type SearchSpace } from './optuna-space.ts';

export const TAG_OPTUNA_STUDY = 'xp.optuna.study';
export const TAG_OPTUNA_STORAGE = 'xp.optuna.storage';
/** Optuna's own number of the trial (0-based); xp's trial-NN is that plus one. */
export const TAG_OPTUNA_TRIAL = 'xp.optuna.trial';

type TellState = 'complete' | 'pruned' | 'fail';

interface TrialInFlight {
  /** Optuna's trial number. */
  number: number;
  name: string;
  seeds: number[];
  results: Map<number, JobResult>;
}

export function optunaSweeper(checked: CheckedExperiment, options: SweeperOptions): Sweeper {
  return new OptunaSweeper(checked, options);
}

class OptunaSweeper implements Sweeper {
  private readonly settings: OptunaSettings;
  private readonly space: SearchSpace;
  private readonly seeds: number[];
  private readonly log: (line: string) => void;
  private bridge: OptunaBridge | undefined;
  /** Trials still to ask for; known once the study is opened. */
  private remaining = 0;
  private opened: Promise<void> | undefined;
  /** Asked and not yet told, by Optuna's number. */
  private readonly inFlight = new Map<number, TrialInFlight>();
  /** Job name → its trial. */
  private readonly byJob = new Map<string, TrialInFlight>();
  /** Tells sent and not yet answered: the next ask waits for them. */
  private tells: Promise<unknown>[] = [];
  private tellFailure: Error | undefined;
  private reportFailureSaid = false;

  constructor(
    private readonly checked: CheckedExperiment,
    private readonly options: SweeperOptions,
  ) {
    this.settings = optunaSettings(checked.experiment);
    this.space = searchSpace(checked.experiment.spec.sweep!.optuna!.space);
    this.seeds = options.onlySeed === undefined ? checked.experiment.seeds : [options.onlySeed];
    this.log = options.log ?? (() => undefined);
  }

  async propose(): Promise<ProposedJob[] | null> {
    await this.open();
    await this.settled();
    // Still waiting on a trial's jobs: the sampler should hear them first.
    if (this.inFlight.size > 0) return [];
    while (this.remaining > 0) {
      const jobs = await this.askBatch();
      if (jobs.length > 0) return jobs;
    }
    await this.sayBest();
    return null;
  }

  onReport(job: string, step: number, metrics: Record<string, number>): 'continue' {
    const trial = this.byJob.get(job);
    const value = metrics[this.settings.metric];
    // One seed's curve stands for the trial's (Optuna keeps one value per step).
    if (!trial || !this.bridge || value === undefined || !Number.isFinite(value) || job !== this.jobName(trial, trial.seeds[0])) return 'continue';
    this.bridge.request({ op: 'report', number: trial.number, step, value }).catch((error: Error) => {
      if (!this.reportFailureSaid) this.log(`optuna: an intermediate value was not recorded: ${error.message}`);
      this.reportFailureSaid = true;
    });
    return 'continue';
  }

  onResult(result: JobResult): void {
    const trial = this.byJob.get(result.name);
    if (!trial) return;
    trial.results.set(result.seed, result);
    if (trial.results.size < trial.seeds.length) return;
    const { state, value } = this.verdict(trial);
    const why = state === 'fail' ? [...trial.results.values()].find((r) => r.status !== 'passed' && r.message)?.message?.split('\n')[0] : undefined;
    this.tell(trial, state, value, why);
  }

  async close(): Promise<void> {
    if (!this.bridge) return;
    // Trials whose jobs never ended (an interrupt, a crash of the sweep): failed, not left running.
    for (const trial of [...this.inFlight.values()]) this.tell(trial, 'fail', undefined, 'the sweep ended before it did');
    await this.settled().catch((error: Error) => this.log(error.message));
    await this.bridge.close();
    this.bridge = undefined;
  }

  private open(): Promise<void> {
    this.opened ??= (async () => {
      const { settings } = this;
      prepareStorage(settings.storage);
      this.bridge = OptunaBridge.start(this.options.env ?? process.env, this.log);
      const answer = await this.bridge.request<{ finished: number; running: number[] }>({
        op: 'open',
        storage: settings.storage,
        study: settings.study,
        direction: settings.direction,
        sampler: settings.sampler,
        seed: settings.seed,
        startupTrials: settings.startupTrials ?? null,
        space: this.space.params,
      });
      this.remaining = Math.max(0, settings.trials - answer.finished);
      const sampler = settings.sampler === 'tpe' ? 'TPE' : 'random sampling';
      const earlier = answer.finished > 0 ? `; ${answer.finished} finished already, ${this.remaining} to run` : '';
      this.log(`optuna: study ${settings.study} in ${settings.storageShown}: ${settings.trials} trials by ${sampler}, ${settings.direction === 'maximize' ? 'maximising' : 'minimising'} ${settings.metric}${earlier}`);
      if (answer.running.length > 0) {
        this.log(`optuna: trial(s) ${answer.running.map((n) => `#${n}`).join(', ')} of the study are still marked running (an earlier sweep stopped before telling them); they are left as they are`);
      }
    })();
    return this.opened;
  }

  /** Asks for the next trials and makes their jobs; a trial that cannot run is told failed, so the batch may be empty. */
  private async askBatch(): Promise<ProposedJob[]> {
    const perBatch = Math.max(1, Math.floor((this.options.jobsAtOnce ?? 1) / this.seeds.length));
    const n = Math.min(this.remaining, perBatch);
    this.remaining -= n;
    const { trials } = await this.bridge!.request<{ trials: Array<{ number: number; params: Record<string, unknown> }> }>({ op: 'ask', n });
    const jobs: ProposedJob[] = [];
    for (const asked of trials) {
      const trial: TrialInFlight = { number: asked.number, name: trialName(asked.number + 1, Math.max(this.settings.trials, asked.number + 1)), seeds: this.seeds, results: new Map() };
      this.inFlight.set(trial.number, trial);
      const made = await this.makeVariant(trial, asked.params);
      if (!made) continue;
      const tags = {
        [TAG_SEARCH]: 'optuna',
        [TAG_TRIAL]: String(trial.number + 1),
        [TAG_OPTUNA_TRIAL]: String(trial.number),
        [TAG_OPTUNA_STUDY]: this.settings.study,
        [TAG_OPTUNA_STORAGE]: this.settings.storageShown,
      };
      for (const seed of trial.seeds) {
        const name = this.jobName(trial, seed);
        this.byJob.set(name, trial);
        jobs.push({ name, variant: trial.name, seed, made, tags });
      }
      this.log(`optuna: ${trial.name} (#${trial.number}): ${Object.entries(made.variant.overrides).map(([path, value]) => `${path}=${shortValue(value)}`).join(' ')}`);
    }
    return jobs;
  }

  /** The trial's variant, checked; undefined (and the trial told failed) where it cannot run. */
  private async makeVariant(trial: TrialInFlight, drawn: Record<string, unknown>) {
    const { experiment } = this.checked;
    let issues: SpecIssue[];
    try {
      const { variant, issues: specIssues } = experiment.variantWith(trial.name, this.space.overridesOf(drawn));
      issues = specIssues;
      if (issues.length === 0) {
        const check = await checkVariant(variant, experiment.file);
        if (check.issues.length === 0) return { variant, check };
        issues = check.issues;
      }
    } catch (error) {
      issues = [{ path: 'sweep.optuna', message: (error as Error).message }];
    }
    this.log(`optuna: ${trial.name} (#${trial.number}) cannot run; told failed:\n${issues.map((issue) => formatIssue(issue, experiment.file)).join('\n')}`);
    this.tell(trial, 'fail');
    return undefined;
  }

  private jobName(trial: TrialInFlight, seed: number): string {
    return trial.seeds.length > 1 ? `${trial.name}_seed=${seed}` : trial.name;
  }

  /** What Optuna is told once every seed of the trial has ended. */
  private verdict(trial: TrialInFlight): { state: TellState; value?: number } {
    const results = [...trial.results.values()];
    if (results.some((r) => r.status === 'pruned')) return { state: 'pruned' };
    // A run below its accuracy threshold still measured its metric: only a run without one fails the trial.
    const values = results.map((r) => (r.status === 'passed' || r.status === 'failed' ? r.metrics[this.settings.metric] : undefined));
    if (values.some((v) => v === undefined || !Number.isFinite(v))) return { state: 'fail' };
    return { state: 'complete', value: (values as number[]).reduce((sum, v) => sum + v, 0) / values.length };
  }

  private tell(trial: TrialInFlight, state: TellState, value?: number, why?: string): void {
    this.inFlight.delete(trial.number);
    const told = this.bridge!.request({ op: 'tell', number: trial.number, state, value: value ?? null }).then(
      () => {
        const what = state === 'complete' ? `${this.settings.metric}=${value}` : `${state}${why ? ` (${why})` : ''}`;
        this.log(`optuna: told ${trial.name} (#${trial.number}): ${what}`);
      },
      (error: Error) => {
        this.tellFailure ??= error;
      },
    );
    this.tells.push(told);
  }

  /** Waits for the tells in flight; a tell Optuna refused ends the sweep (the study would no longer say what ran). */
  private async settled(): Promise<void> {
    const waiting = this.tells;
    this.tells = [];
    await Promise.all(waiting);
    if (this.tellFailure) throw this.tellFailure;
  }

  private async sayBest(): Promise<void> {
    const { best } = await this.bridge!.request<{ best: { number: number; value: number; params: Record<string, unknown> } | null }>({ op: 'best' });
    if (!best) {
      this.log(`optuna: no trial of study ${this.settings.study} completed`);
      return;
    }
    const name = trialName(best.number + 1, Math.max(this.settings.trials, best.number + 1));
    const params = Object.entries(best.params).map(([path, value]) => `${path}=${shortValue(value)}`).join(' ');
    this.log(`optuna: best trial of study ${this.settings.study}: ${name} (#${best.number}), ${this.settings.metric}=${best.value}, ${params}`);
    if (this.settings.storage.startsWith('sqlite:')) this.log(`optuna: to watch the study: optuna-dashboard ${this.settings.storage}`);
  }
}

function shortValue(value: unknown): string {
  if (typeof value === 'number' && !Number.isInteger(value)) return String(Number(value.toPrecision(4)));
  return typeof value === 'object' && value !== null ? '[…]' : String(value);
}
