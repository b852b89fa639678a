import type { Command } from 'commander';
import { kindOf } from '../../kinds/registry.ts';
import { UsageError, type CliContext } from '../context.ts';
import { loadAndCheck } from '../../run/static-checks.ts';
import { commandLineOverrides, MULTIRUN_HELP, OVERRIDES_ARGUMENT_HELP, resolveFromCwd, setOption } from '../options.ts';

export function register(program: Command, ctx: CliContext): void {
  program
    .command('summary')
    .description('Print the model of a spec layer by layer (output shape, trainable parameters, receptive field, multiply-adds), before any weights exist.')
    .argument('<spec>', 'experiment spec (YAML)')
    .argument('[overrides...]', OVERRIDES_ARGUMENT_HELP)
    .option('--variant <name>', 'which variant of a sweep (default: the first)')
    .option('--set <path=value>', 'override a field (repeatable)', setOption, [])
    .option('-m, --multirun', MULTIRUN_HELP)
    .action(async (spec: string, args: string[], options: { variant?: string; set: string[]; multirun?: boolean }) => {
      const { variants } = await loadAndCheck(resolveFromCwd(ctx, spec), commandLineOverrides(ctx, args, options));
      const chosen = options.variant === undefined ? variants[0] : variants.find(({ variant }) => variant.name === options.variant);
      if (!chosen) {
        throw new UsageError(`no variant named '${options.variant}'; the variants are: ${variants.map(({ variant }) => variant.name).join(', ')}`);
      }
      const text = kindOf(chosen.variant.spec).summary?.(chosen.variant.spec) ?? null;
      if (text === null) throw new UsageError(`a ${chosen.variant.spec.kind} spec has no layer summary`);
      ctx.stdout(`${chosen.variant.name}\n${text}\n`);
    });
}
