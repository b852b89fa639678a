import type { Command } from 'commander';
import type { CliContext } from '../context.ts';
import { budgetDetails, budgetText, loadAndCheck } from '../../run/static-checks.ts';
import { commandLineOverrides, MULTIRUN_HELP, OVERRIDES_ARGUMENT_HELP, resolveFromCwd, setOption, variantsOption } from '../options.ts';

export function register(program: Command, ctx: CliContext): void {
  program
    .command('validate')
    .description('Check a spec: YAML syntax, schema, overrides, sweep expansion and each variant\'s static checks (shapes, required layers, parameter budget). Runs nothing.')
    .argument('<spec>', 'experiment spec (YAML)')
    .argument('[overrides...]', OVERRIDES_ARGUMENT_HELP)
    .option('--set <path=value>', 'override a field before validation (repeatable)', setOption, [])
    .option('-m, --multirun', MULTIRUN_HELP)
    .option('--max-variants <n>', 'refuse sweeps larger than this', variantsOption)
    .addHelpText('after', '\nExit codes: 0 the spec is valid and every variant is within its parameter budget; 1 a variant is over its budget (constraints.maxParams; xp plan exits 1 too); 2 invalid spec or usage.')
    .action(async (spec: string, args: string[], options: { set: string[]; multirun?: boolean; maxVariants?: number }) => {
      const { variants } = await loadAndCheck(resolveFromCwd(ctx, spec), { ...commandLineOverrides(ctx, args, options), maxVariants: options.maxVariants });
      for (const { variant, check } of variants) {
        const verdict = check.withinBudget ? 'OK  ' : 'FAIL';
        ctx.stdout(`${verdict} ${variant.name}: ${budgetText(check, variant.spec.constraints?.maxParams)}\n`);
        for (const line of budgetDetails(variant, check)) ctx.stdout(`       ${line}\n`);
        if (!check.withinBudget) ctx.exit(1);
      }
    });
}
