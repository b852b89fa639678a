import { annotatedYaml, filesSection, provenanceMap, setPath } from '@xp/core';
import type { Command } from 'commander';
import type { CliContext } from '../context.ts';
import { loadAndCheck } from '../../run/static-checks.ts';
import { commandLineOverrides, MULTIRUN_HELP, OVERRIDES_ARGUMENT_HELP, resolveFromCwd, setOption } from '../options.ts';

export function register(program: Command, ctx: CliContext): void {
  program
    .command('show')
    .description("Print the composed spec as YAML, each key annotated with where it came from: the file, line and column (with the defaults entry that included that file) or the command-line argument; with the files it was composed from and the config group options chosen. Runs nothing.")
    .argument('<spec>', 'experiment spec (YAML)')
    .argument('[overrides...]', OVERRIDES_ARGUMENT_HELP)
    .option('--set <path=value>', 'override a field (repeatable)', setOption, [])
    .option('-m, --multirun', MULTIRUN_HELP)
    .option('--resolved', "each variant's resolved spec: vars substituted, every schema default filled in (marked 'schema default')")
    .option('--json', 'print {"spec", "provenance": {"dotted.path": "file:line:col (included by …)"}, "files": [{"file", "sha256", "package", "choice", "includedBy"}], "choices", "variants"?}')
    .addHelpText('after', '\nExit codes: 0 shown; 2 invalid spec or usage (the spec is checked as xp validate checks it).')
    .action(async (spec: string, args: string[], options: { set: string[]; multirun?: boolean; resolved?: boolean; json?: boolean }) => {
      const { experiment } = await loadAndCheck(resolveFromCwd(ctx, spec), { ...commandLineOverrides(ctx, args, options) });
      const composed = experiment.composed;
      // --resolved: one document per variant; otherwise the spec as written (composed, the command line applied).
      const documents = options.resolved
        ? experiment.variants.map((variant) => {
            const written = structuredClone(experiment.written);
            for (const [path, value] of Object.entries(variant.overrides)) if (path.includes('.') || !(path in composed.choices)) setPath(written, path.split('.'), value);
            return { name: variant.name, value: variant.spec as unknown, locate: variant.locate, written, files: variant.composed.files, choices: variant.composed.choices };
          })
        : [{ name: experiment.spec.name, value: experiment.written as unknown, locate: experiment.locate, written: undefined, files: composed.files, choices: composed.choices }];
      if (options.json) {
        const shown = documents.map((d) => ({
          ...(options.resolved ? { variant: d.name } : {}),
          spec: d.value,
          provenance: provenanceMap(d.value, d.locate, d.written),
          files: d.files.map(({ file, sha256, package: pkg, choice, includedBy }) => ({ file, sha256, package: pkg, ...(choice ? { choice } : {}), includedBy })),
          choices: d.choices,
        }));
        ctx.stdout(`${JSON.stringify(options.resolved ? { variants: shown } : shown[0], null, 2)}\n`);
        return;
      }
      for (const [i, d] of documents.entries()) {
        if (i > 0) ctx.stdout('---\n');
        if (options.resolved && documents.length > 1) ctx.stdout(`# variant ${d.name}\n`);
        const choices = Object.entries(d.choices);
        if (choices.length > 0) ctx.stdout(`# config groups: ${choices.map(([group, option]) => `${group}=${option}`).join(', ')}\n`);
        ctx.stdout('# composed from, in merge order:\n');
        for (const line of filesSection(d.files)) ctx.stdout(`#   ${line}\n`);
        ctx.stdout(annotatedYaml(d.value, d.locate, d.written));
      }
    });
}
