/**
 * The Python side of the optuna sweeper: packages/runner/python/optuna_bridge.py, started once per
 * sweep, answering JSON lines in the order asked (Optuna is a Python library; its study lives in its
 * storage, so nothing but the trials in flight is held here). Which interpreter: $XP_PYTHON, else
 * python3 — the one `pip install optuna` installed into.
 */
import { execFile, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import type { Socket } from 'node:net';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export const BRIDGE_SCRIPT = fileURLToPath(new URL('../../../python/optuna_bridge.py', import.meta.url));

/** The Python that runs Optuna. */
export function pythonCommand(env: NodeJS.ProcessEnv): string {
  return env.XP_PYTHON?.trim() || 'python3';
}

/** A request the bridge refused or could not answer; `op` says which. */
export class OptunaBridgeError extends Error {
  constructor(
    readonly op: string,
    message: string,
  ) {
    super(`optuna (${op}): ${message}`);
    this.name = 'OptunaBridgeError';
  }
}

export type OptunaAvailability = { ok: true; version: string } | { ok: false; python: string; reason: string };

/** Whether `python` can import Optuna, and which version; never throws. */
export function optunaAvailability(env: NodeJS.ProcessEnv): Promise<OptunaAvailability> {
  const python = pythonCommand(env);
  return new Promise((resolve) => {
    execFile(python, ['-c', 'import optuna; print(optuna.__version__)'], { env, timeout: 120_000 }, (error, stdout, stderr) => {
      if (!error) return resolve({ ok: true, version: stdout.trim() });
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return resolve({ ok: false, python, reason: `${python} was not found` });
      const last = stderr.trim().split('\n').pop() ?? error.message;
      resolve({ ok: false, python, reason: `${python} cannot import optuna (${last})` });
    });
  });
}

interface Pending {
  op: string;
  resolve: (answer: Record<string, unknown>) => void;
  reject: (error: Error) => void;
}

export class OptunaBridge {
  private readonly pending: Pending[] = [];
  private readonly stderrTail: string[] = [];
  private exited: Error | undefined;
  private readonly ended: Promise<void>;

  private constructor(
    private readonly child: ChildProcessWithoutNullStreams,
    log: (line: string) => void,
  ) {
    createInterface({ input: child.stdout }).on('line', (line) => this.answer(line));
    createInterface({ input: child.stderr }).on('line', (line) => {
      this.stderrTail.push(line);
      if (this.stderrTail.length > 20) this.stderrTail.shift();
      if (line.trim()) log(`optuna: ${line}`);
    });
    this.ended = new Promise((resolve) => {
      const fail = (error: Error) => {
        this.exited ??= error;
        for (const waiting of this.pending.splice(0)) waiting.reject(new OptunaBridgeError(waiting.op, this.exited.message));
        resolve();
      };
      child.on('error', (error) => fail(error));
      child.on('exit', (code, signal) => fail(new Error(`the bridge (${BRIDGE_SCRIPT}) exited with ${signal ?? `code ${code}`}${this.stderrTail.length ? `: ${this.stderrTail.slice(-5).join(' | ')}` : ''}`)));
    });
    this.idle();
  }

  static start(env: NodeJS.ProcessEnv, log: (line: string) => void): OptunaBridge {
    const child = spawn(pythonCommand(env), ['-u', BRIDGE_SCRIPT], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    return new OptunaBridge(child, log);
  }

  /** Sends one request; resolves with its answer (without `ok`), rejects with OptunaBridgeError. */
  request<Answer extends Record<string, unknown> = Record<string, unknown>>(message: { op: string } & Record<string, unknown>): Promise<Answer> {
    if (this.exited) return Promise.reject(new OptunaBridgeError(message.op, this.exited.message));
    return new Promise<Answer>((resolve, reject) => {
      if (this.pending.length === 0) this.busy();
      this.pending.push({ op: message.op, resolve: resolve as Pending['resolve'], reject });
      this.child.stdin.write(`${JSON.stringify(message)}\n`);
    });
  }

  /** Asks the bridge to exit and waits until it has (at most `timeoutMs`, then it is killed). */
  async close(timeoutMs = 30_000): Promise<void> {
    if (!this.exited) {
      await this.request({ op: 'close' }).catch(() => undefined);
      this.child.stdin.end();
    }
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    await this.ended;
    clearTimeout(timer);
  }

  private answer(line: string): void {
    const waiting = this.pending.shift();
    if (this.pending.length === 0) this.idle();
    if (!waiting) return;
    let parsed: { ok?: boolean; error?: string } & Record<string, unknown>;
    try {
      parsed = JSON.parse(line);
    } catch {
      waiting.reject(new OptunaBridgeError(waiting.op, `not an answer: ${line.slice(0, 200)}`));
      return;
    }
    if (parsed.ok === true) waiting.resolve(parsed);
    else waiting.reject(new OptunaBridgeError(waiting.op, parsed.error ?? 'failed without saying why'));
  }

  // The bridge keeps this process alive only while an answer is awaited: a sweep that ends without
  // closing it (an exception) still lets node exit, and the bridge then ends at its stdin's EOF.
  private busy(): void {
    this.child.ref();
    (this.child.stdout as unknown as Socket).ref?.();
  }

  private idle(): void {
    this.child.unref();
    for (const stream of [this.child.stdout, this.child.stderr, this.child.stdin]) (stream as unknown as Socket).unref?.();
  }
}
