/**
 * Whether the native tests can run here: only where `xp setup native` has installed the backend.
 * Elsewhere they are skipped and say so, except where XP_REQUIRE_NATIVE=1 (CI's native step, after
 * the setup): there a missing backend fails the run instead of passing it silently.
 */
import { nativeInstalled } from '@xp/engine';

export const NATIVE_READY = nativeInstalled('tensorflow');

export const SKIP_REASON = "skipped: the native backend is not set up here (npx xp setup native)";

if (!NATIVE_READY && process.env.XP_REQUIRE_NATIVE === '1') {
  throw new Error("XP_REQUIRE_NATIVE=1 but @tensorflow/tfjs-node is not installed: run `npx xp setup native` before these tests");
}

// A skipped describe's title shows only in a verbose report; the reason is said once per file, in any.
if (!NATIVE_READY) process.stderr.write(`native backend tests ${SKIP_REASON}\n`);

/** A describe title that says why it was skipped. */
export function nativeTitle(title: string): string {
  return NATIVE_READY ? title : `${title} (${SKIP_REASON})`;
}
