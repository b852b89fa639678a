import type { Command } from 'commander';
import type { CliContext } from '../context.ts';
import { budgetDetails, budgetText, loadAndCheck } from '../static-checks.ts';
import { commandLineOverrides, MULTIRUN_HELP, OVERRIDES_ARGUMENT_HELP, resolveFromCwd, seedsOption, setOption, variantsOption } from '../options.ts';
import { planRuns } from '../../run/run-sweep.ts';

export function register(program: Command, ctx: CliContext): void {
  program
    .command('plan')
    .description('List the variants a spec expands to, with their overrides, trainable parameter count and budget verdict. Runs nothing.')
    .argument('<spec>', 'experiment spec (YAML)')
    .argument('[overrides...]', OVERRIDES_ARGUMENT_HELP)
    .option('--set <path=value>', 'override a field (repeatable)', setOption, [])
    .option('-m, --multirun', MULTIRUN_HELP)
    .option('--max-variants <n>', 'refuse sweeps larger than this', variantsOption)
    .option('--seeds <n|list>', "each variant once per seed: '5' is seeds 1..5, '3,7,11' those seeds", seedsOption)
    .option('--json', 'print {"experiment", "variants": [{"name", "overrides", "params", "withinBudget"}], "seeds": [..], "runs": [{"name", "variant", "seed"}]}')
    .addHelpText('after', '\nExit codes: 0 every variant is within its parameter budget; 1 a variant is over it (constraints.maxParams), as with xp validate (the plan is printed all the same); 2 invalid spec or usage.')
    .action(async (spec: string, args: string[], options: { set: string[]; multirun?: boolean; maxVariants?: number; json?: boolean; seeds?: number[] }) => {
      const { experiment, variants } = await loadAndCheck(resolveFromCwd(ctx, spec), { ...commandLineOverrides(ctx, args, options), maxVariants: options.maxVariants, seeds: options.seeds });
      // Over budget is a failed check, as in `xp validate`: both exit 1.
      if (variants.some(({ check }) => !check.withinBudget)) ctx.exit(1);
      if (options.json) {
        const plan = {
          experiment: experiment.spec.tracking?.experiment ?? experiment.spec.name,
          variants: variants.map(({ variant, check }) => ({
            name: variant.name,
            overrides: variant.overrides,
            params: check.params,
            withinBudget: check.withinBudget,
          })),
          seeds: experiment.seeds,
          // One run per variant and seed, named as xp run names them.
          runs: planRuns({ experiment, variants }).map((run) => ({ name: run.name, variant: run.variantName, seed: run.seed })),
        };
        ctx.stdout(`${JSON.stringify(plan, null, 2)}\n`);
        return;
      }
      const width = Math.max(...variants.map(({ variant }) => variant.name.length), 7);
      const seeds = experiment.seeds.length > 1 ? ` × ${experiment.seeds.length} seeds (${experiment.seeds.join(', ')}) = ${variants.length * experiment.seeds.length} runs` : '';
      ctx.stdout(`${experiment.spec.name} (${experiment.spec.kind}): ${variants.length} variant${variants.length === 1 ? '' : 's'}${seeds}\n`);
      for (const { variant, check } of variants) {
        const overrides = Object.entries(variant.overrides)
          .map(([key, value]) => `${key}=${typeof value === 'object' ? '[…]' : String(value)}`)
          .join(' ');
        ctx.stdout(`  ${variant.name.padEnd(width)}  ${budgetText(check, variant.spec.constraints?.maxParams).padEnd(34)}  ${overrides}\n`);
        for (const line of budgetDetails(variant, check)) ctx.stdout(`  ${' '.repeat(width)}    ${line}\n`);
      }
    });
}
