/**
 * One error type for everything that stops a native setup, each with a code a caller can branch on
 * and a hint that says what to do about it. The CLI prints `message` and `hint` and exits 1.
 */

export type NativeSetupErrorCode =
  | 'unsupported-platform'
  | 'no-python'
  | 'no-pip'
  | 'no-compiler'
  | 'no-node-headers'
  | 'no-nvidia-driver'
  | 'pip-download-failed'
  | 'bad-wheel'
  | 'npm-install-failed'
  | 'build-failed'
  | 'self-test-failed';

export class NativeSetupError extends Error {
  readonly code: NativeSetupErrorCode;
  /** What to do about it, in one or two sentences. */
  readonly hint?: string;
  /** The last lines of the failing tool's output, when there was one. */
  readonly detail?: string;

  constructor(code: NativeSetupErrorCode, message: string, options: { hint?: string; detail?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'NativeSetupError';
    this.code = code;
    this.hint = options.hint;
    this.detail = options.detail;
  }
}
