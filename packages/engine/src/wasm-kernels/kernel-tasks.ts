/**
 * Loads every module that defines a kernel task (./threads.ts `defineTask`), so a helper thread
 * knows them all by name. A kernel module with a task is listed here.
 */
import './conv-direct.ts';
import './conv2d-backprop-filter.ts';
import './winograd.ts';
import './relu-batch-norm.ts';
import './sum.ts';
import './max-pool-grad.ts';
import './batch-norm.ts';
