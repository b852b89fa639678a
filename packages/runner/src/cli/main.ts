/**
 * The `xp` command line: one subcommand per module in ./commands. Errors are mapped to exit codes here
 * and nowhere else: 2 for a bad spec or usage, 1 for a run that failed, 130 for an interrupted run.
 */
import { Command, CommanderError } from 'commander';
import { redactSecrets, secretsFromEnv, SpecError, terminalSafe, urlCredentials } from '@xp/core';
import { TrackingError } from '@xp/tracking';
import { UsageError, type CliContext } from './context.ts';
import { OptunaBridgeError } from '../run/sweepers/optuna-bridge.ts';
import { register as registerValidate } from './commands/validate.ts';
import { register as registerPlan } from './commands/plan.ts';
import { register as registerSummary } from './commands/summary.ts';
import { register as registerRun } from './commands/run.ts';
import { register as registerBench } from './commands/bench.ts';
import { register as registerCompare } from './commands/compare.ts';
import { register as registerSync } from './commands/sync.ts';
import { register as registerWorker } from './commands/worker.ts';
import { register as registerStatus } from './commands/status.ts';
import { register as registerSetup } from './commands/setup.ts';
import { register as registerShow } from './commands/show.ts';
import { register as registerGc } from './commands/gc.ts';
import { register as registerPredict } from './commands/predict.ts';
import { register as registerExport } from './commands/export.ts';
import { XP_VERSION } from '../version.ts';

export function buildProgram(ctx: CliContext): Command {
  const program = new Command('xp')
    .description('Declarative deep-learning experiments: a YAML spec is validated, expanded into its sweep, trained with TensorFlow.js and tracked in MLflow.')
    .version(XP_VERSION)
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ writeOut: ctx.stdout, writeErr: ctx.stderr })
    .exitOverride();
  for (const register of [registerValidate, registerPlan, registerSummary, registerRun, registerBench, registerCompare, registerSync, registerWorker, registerStatus, registerSetup, registerShow, registerPredict, registerExport, registerGc]) {
    register(program, ctx);
  }
  for (const command of program.commands) command.exitOverride().configureOutput({ writeOut: ctx.stdout, writeErr: ctx.stderr });
  program.addHelpText(
    'after',
    '\nExamples:\n  xp validate experiments/cnn-19816.yaml\n  xp plan experiments/cnn-variants.yaml\n  xp run experiments/toy-eta-sweep.yaml --set train.steps=20\n  xp compare --experiment toy-eta-sweep --format html --out report.html\n\nExit codes: 0 all runs passed, 1 a run failed its constraints or crashed, 2 invalid spec or usage, 130 interrupted.',
  );
  return program;
}

export async function main(argv: string[], overrides: Partial<CliContext> = {}): Promise<number> {
  let code = 0;
  // Whatever a command prints, no secret in it (#26.4): the commands redact the URLs they print, and
  // this catches the rest (a library's message quoting a URL, a stack): every URL's userinfo, MLflow's
  // secret variables and the passwords of the URLs on this command line.
  const secrets = [...secretsFromEnv(process.env), ...argv.map((arg) => urlCredentials(arg.slice(arg.indexOf('=') + 1))?.password ?? '').filter(Boolean)];
  const safe = (text: string): string => terminalSafe(redactSecrets(text, secrets));
  const ctx: CliContext = {
    cwd: process.cwd(),
    env: process.env,
    // User data (names, messages, values read back from a store) reaches the terminal escaped (#26.8).
    stdout: (text) => process.stdout.write(safe(text)),
    stderr: (text) => process.stderr.write(safe(text)),
    exit: (c) => {
      code = Math.max(code, c);
    },
    ...overrides,
  };
  if (overrides.exit) {
    const outer = overrides.exit;
    ctx.exit = (c) => {
      code = Math.max(code, c);
      outer(c);
    };
  }
  try {
    await buildProgram(ctx).parseAsync(argv, { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end here with code 0; usage mistakes with commander's code 1, which is ours 2.
      return error.exitCode === 0 ? code : 2;
    }
    if (error instanceof SpecError) {
      ctx.stderr(`${error.message}\n`);
      return 2;
    }
    if (error instanceof UsageError) {
      ctx.stderr(`xp: ${error.message}\n`);
      return 2;
    }
    // @xp/engine's EnvironmentVariableError, matched by name: main.ts does not load the engine (start-up).
    if ((error as Error).name === 'EnvironmentVariableError') {
      ctx.stderr(`xp: ${(error as Error).message}\n`);
      return 2;
    }
    if (error instanceof TrackingError) {
      // A store that refuses or cannot answer: what it said, in one line (a stack says nothing more).
      ctx.stderr(`xp: ${error.message}\n`);
      return 1;
    }
    if (error instanceof OptunaBridgeError) {
      // Optuna's own words (a storage it cannot open, a study made the other way round) say enough.
      ctx.stderr(`xp: ${error.message}\n`);
      return 1;
    }
    ctx.stderr(`xp: ${(error as Error).stack ?? String(error)}\n`);
    return 1;
  }
  return code;
}
