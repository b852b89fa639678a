#!/usr/bin/env node
// The xp command. Sources are TypeScript; tsx compiles them on load, so an install needs no build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
// The command is over and its code set: the process ends once nothing is left open. Where a library
// leaves a handle behind (a Redis client still reconnecting after an outage, a socket kept alive), the
// process must not outlive its command and keep whoever waits for it (a script, a queue's follower)
// waiting: it leaves after a grace. The timer itself keeps nothing alive.
setTimeout(() => process.exit(), 10_000).unref();
