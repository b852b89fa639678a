import type { Command } from 'commander';
import type { CliContext } from '../context.ts';
import { budgetText, loadAndCheck } from '../static-checks.ts';
import { resolveFromCwd, setOption, variantsOption } from '../options.ts';

export function register(program: Command, ctx: CliContext): void {
  program
    .command('plan')
    .description('List the variants a spec expands to, with their overrides, trainable parameter count and budget verdict. Runs nothing.')
    .argument('<spec>', 'experiment spec (YAML)')
    .option('--set <path=value>', 'override a field (repeatable)', setOption, [])
    .option('--max-variants <n>', 'refuse sweeps larger than this', variantsOption)
    .option('--json', 'print {"experiment", "variants": [{"name", "overrides", "params", "withinBudget"}]}')
    .action(async (spec: string, options: { set: string[]; maxVariants?: number; json?: boolean }) => {
      const { experiment, variants } = await loadAndCheck(resolveFromCwd(ctx, spec), { sets: options.set, maxVariants: options.maxVariants });
      if (options.json) {
        const plan = {
          experiment: experiment.spec.tracking?.experiment ?? experiment.spec.name,
          variants: variants.map(({ variant, check }) => ({
            name: variant.name,
            overrides: variant.overrides,
            params: check.params,
            withinBudget: check.withinBudget,
          })),
        };
        ctx.stdout(`${JSON.stringify(plan, null, 2)}\n`);
        return;
      }
      const width = Math.max(...variants.map(({ variant }) => variant.name.length), 7);
      ctx.stdout(`${experiment.spec.name} (${experiment.spec.kind}): ${variants.length} variant${variants.length === 1 ? '' : 's'}\n`);
      for (const { variant, check } of variants) {
        const overrides = Object.entries(variant.overrides)
          .map(([key, value]) => `${key}=${typeof value === 'object' ? '[…]' : String(value)}`)
          .join(' ');
        ctx.stdout(`  ${variant.name.padEnd(width)}  ${budgetText(check, variant.spec.constraints?.maxParams).padEnd(34)}  ${overrides}\n`);
      }
    });
}
