// Nx executor for `runner:exp`: `npx nx run runner:exp SPEC [overrides...] [options]` is `xp run` with the
// same arguments. Every option is forwarded under its own name (nx hands them over camelCased or as typed),
// so `xp run` itself accepts it or refuses it by name (exit 2), and no option can be dropped on the way.
const { spawnSync } = require('node:child_process');
const path = require('node:path');

/** Nx's own flags never reach an executor; these are its bookkeeping keys in `options`. */
const NOT_OPTIONS = new Set(['spec', '_', '__unparsed__', '__overrides_unparsed__']);

const kebab = (name) => name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/** The `xp run` command line for the target's options (exported for the test of the mapping). */
function xpRunArgs(options) {
  if (typeof options.spec !== 'string' || options.spec === '') return { error: 'runner:exp needs a spec: npx nx run runner:exp SPEC [overrides...] [options]' };
  const args = ['run', options.spec];
  for (const positional of [].concat(options._ ?? [])) args.push(String(positional));
  for (const [key, value] of Object.entries(options)) {
    if (NOT_OPTIONS.has(key) || value === undefined) continue;
    if (key === 'm' || key === 'multirun') {
      // `-m train.lr=0.1,0.3`: the parser takes the override as the flag's value; it is an override.
      args.push('--multirun');
      if (typeof value === 'string') args.push(value);
      continue;
    }
    const flag = key.length === 1 ? `-${key}` : `--${kebab(key)}`;
    for (const one of [].concat(value)) {
      if (one === true) args.push(flag);
      else if (one === false) args.push(`--no-${kebab(key)}`);
      else args.push(flag, String(one));
    }
  }
  return { args };
}

const MEANING = { 1: 'a variant failed its constraints or a run crashed', 2: 'invalid spec or usage, nothing ran', 130: 'interrupted' };

async function runExp(options, context) {
  const { args, error } = xpRunArgs(options);
  if (error) {
    process.stderr.write(`xp: ${error}\n`);
    return { success: false };
  }
  const bin = path.join(__dirname, '..', '..', 'bin', 'xp.js');
  // Paths resolve from where the user typed the command: npx records it in INIT_CWD.
  const typedIn = process.env.INIT_CWD;
  const cwd = typedIn && path.resolve(typedIn).startsWith(context.root) ? typedIn : context.root;
  const result = spawnSync(process.execPath, [bin, ...args], { stdio: 'inherit', cwd });
  const code = result.status ?? (result.signal === 'SIGINT' ? 130 : 1);
  if (code !== 0) {
    // Nx ends every failed target with its own exit code 1; xp's code, which tells the failures apart, is said here.
    process.stderr.write(`xp run exited with code ${code} (${MEANING[code] ?? 'failed'}); nx reports any failed target as exit code 1\n`);
  }
  return { success: code === 0 };
}

module.exports = runExp;
module.exports.default = runExp;
module.exports.xpRunArgs = xpRunArgs;
