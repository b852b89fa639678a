// Nx executor for `runner:exp`: turns the target's options (schema.json) into an `xp run` command line.
const { spawnSync } = require('node:child_process');
const path = require('node:path');

module.exports = async function runExp(options, context) {
  const bin = path.join(__dirname, '..', '..', 'bin', 'xp.js');
  const args = ['run', options.spec];
  const sets = options.set === undefined ? [] : [].concat(options.set);
  for (const s of sets) args.push('--set', String(s));
  if (options.backend) args.push('--backend', options.backend);
  if (options.trackingUri) args.push('--tracking-uri', options.trackingUri);
  if (options.maxVariants) args.push('--max-variants', String(options.maxVariants));
  if (options.resume) args.push('--resume', options.resume);
  if (options.json) args.push('--json');
  // Paths resolve from where the user typed the command: npx records it in INIT_CWD.
  const typedIn = process.env.INIT_CWD;
  const cwd = typedIn && path.resolve(typedIn).startsWith(context.root) ? typedIn : context.root;
  const result = spawnSync(process.execPath, [bin, ...args], { stdio: 'inherit', cwd });
  return { success: result.status === 0 };
};
