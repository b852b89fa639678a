/**
 * Where downloaded wheels are kept between setups (and between CI steps): XP_NATIVE_CACHE, else
 * $XDG_CACHE_HOME/xp/native, else ~/.cache/xp/native. Outside the repository, so a wheel is never
 * committed and a fresh clone or `npm ci` does not fetch it again.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';

export function nativeCacheDir(env: NodeJS.ProcessEnv): string {
  if (env.XP_NATIVE_CACHE) return env.XP_NATIVE_CACHE;
  return join(env.XDG_CACHE_HOME || join(env.HOME || homedir(), '.cache'), 'xp', 'native');
}

export function wheelCacheDir(env: NodeJS.ProcessEnv): string {
  return join(nativeCacheDir(env), 'wheels');
}
