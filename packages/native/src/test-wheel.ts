/** Test helper: a small fake wheel (a zip made with Python's zipfile, as pip's wheels are read). */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

/** Writes a zip at dir/name with the given members (text; names ending in .so* get mode 755). */
export function makeWheel(dir: string, name: string, members: Record<string, string>): string {
  const path = join(dir, name);
  const script = [
    'import json, sys, zipfile',
    'members = json.loads(sys.argv[2])',
    "with zipfile.ZipFile(sys.argv[1], 'w', zipfile.ZIP_DEFLATED) as z:",
    '    for name, text in members.items():',
    '        info = zipfile.ZipInfo(name)',
    "        info.external_attr = (0o755 if '.so' in name else 0o644) << 16",
    '        z.writestr(info, text)',
  ].join('\n');
  execFileSync(process.env.XP_PYTHON ?? 'python3', ['-c', script, path, JSON.stringify(members)]);
  return path;
}
