import type { Command } from 'commander';
import type { CliContext } from '../context.ts';
import { budgetText, loadAndCheck } from '../static-checks.ts';
import { resolveFromCwd, setOption, variantsOption } from '../options.ts';

export function register(program: Command, ctx: CliContext): void {
  program
    .command('validate')
    .description('Check a spec: YAML syntax, schema, overrides, sweep expansion and each variant\'s static checks (shapes, required layers, parameter budget). Runs nothing.')
    .argument('<spec>', 'experiment spec (YAML)')
    .option('--set <path=value>', 'override a field before validation (repeatable)', setOption, [])
    .option('--max-variants <n>', 'refuse sweeps larger than this', variantsOption)
    .action(async (spec: string, options: { set: string[]; maxVariants?: number }) => {
      const { variants } = await loadAndCheck(resolveFromCwd(ctx, spec), { sets: options.set, maxVariants: options.maxVariants });
      for (const { variant, check } of variants) {
        const verdict = check.withinBudget ? 'OK  ' : 'FAIL';
        ctx.stdout(`${verdict} ${variant.name}: ${budgetText(check, variant.spec.constraints?.maxParams)}\n`);
        if (!check.withinBudget) ctx.exit(1);
      }
    });
}
