// The orchestrator side of the bench protocol: starts one process per case (or, spell after spell,
// several in turn), warms each up, then asks them for samples in turn (A B C A B C ...) so that drift
// on a shared machine hits every case alike and the ratio of medians stays honest.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

const STDERR_KEEP = 40;

class Worker {
  constructor(spec) {
    this.spec = spec;
    this.stderr = [];
    this.proc = spawn(spec.command, spec.args, {
      env: spec.env ?? process.env,
      cwd: spec.cwd,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.lines = createInterface({ input: this.proc.stdout })[Symbol.asyncIterator]();
    createInterface({ input: this.proc.stderr }).on('line', (l) => {
      this.stderr.push(l);
      if (this.stderr.length > STDERR_KEEP) this.stderr.shift();
    });
    this.exited = new Promise((resolve) => this.proc.on('close', resolve));
  }

  async next(what) {
    const timeoutMs = this.spec.timeoutMs ?? 30 * 60 * 1000;
    let timer;
    const timeout = new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${this.spec.name}: no ${what} within ${timeoutMs / 1000} s`)), timeoutMs);
    });
    try {
      for (;;) {
        const { value, done } = await Promise.race([this.lines.next(), timeout]);
        if (done) {
          const code = await this.exited;
          throw new Error(`${this.spec.name}: exited (code ${code}) before its ${what}\n${this.stderr.join('\n')}`);
        }
        // Libraries sometimes print to stdout; only protocol lines start with '{"'.
        if (!value.startsWith('{"')) continue;
        const msg = JSON.parse(value);
        if (msg.error) throw new Error(`${this.spec.name}: ${msg.error}\n${this.stderr.join('\n')}`);
        return msg;
      }
    } finally {
      clearTimeout(timer);
    }
  }

  async ready() {
    return (await this.next('ready line')).ready;
  }

  async sample() {
    this.proc.stdin.write('run\n');
    return (await this.next('sample')).sample;
  }

  close() {
    if (this.proc.exitCode === null) {
      this.proc.stdin.end('exit\n');
      const kill = setTimeout(() => this.proc.kill('SIGKILL'), 5000);
      this.exited.then(() => clearTimeout(kill));
    }
    return this.exited;
  }
}

/**
 * Runs the cases of one group interleaved. Each spec: { name, command, args, env?, timeoutMs? }.
 * Workers start one after another (setup of one never overlaps a measurement of another) and all
 * stay alive for a spell of rounds; `processes` > 1 splits the rounds into that many spells, each
 * with fresh processes. Where a process's memory placement moves a case by more than the effect
 * measured (GPT-2 decoding streams 500 MB of weights per token, and one process reads up to 10%
 * faster or slower than the next for its whole life), one process per case would put a single draw
 * of that placement into the ratio. A case that fails to start or dies is reported with its error and
 * not started again; the others go on. Returns [{ name, info, samples, error? }] in spec order.
 */
export async function interleave(specs, { warmup, rounds, processes = 1, log }) {
  if (!(Number.isInteger(processes) && processes >= 1 && rounds % processes === 0)) {
    throw new Error(`interleave: processes (${processes}) must be a positive integer dividing rounds (${rounds})`);
  }
  const results = specs.map((spec) => ({ name: spec.name, info: null, samples: [], error: null }));
  for (let spell = 0; spell < processes; spell++) {
    const workers = await startWorkers(specs, results, warmup, log);
    for (let r = 0; r < rounds / processes; r++) {
      for (const [i, w] of workers.entries()) {
        if (!w) continue;
        try {
          results[i].samples.push(await w.sample());
        } catch (err) {
          results[i].error = String(err.message ?? err);
          log(`  ${specs[i].name}: failed: ${firstLine(results[i].error)}`);
          await w.close();
          workers[i] = null;
        }
      }
    }
    await Promise.all(workers.filter(Boolean).map((w) => w.close()));
  }
  return results;
}

/** Starts and warms up a worker for each case that has not failed yet; null for the others. */
async function startWorkers(specs, results, warmup, log) {
  const workers = [];
  for (const [i, spec] of specs.entries()) {
    workers[i] = null;
    if (results[i].error) continue;
    try {
      const w = new Worker(spec);
      workers[i] = w;
      const info = await w.ready();
      results[i].info ??= info;
      for (let k = 0; k < warmup; k++) await w.sample();
    } catch (err) {
      results[i].error = String(err.message ?? err);
      log(`  ${spec.name}: failed to start: ${firstLine(results[i].error)}`);
      await workers[i]?.close();
      workers[i] = null;
    }
  }
  return workers;
}

export function firstLine(text) {
  return String(text).split('\n')[0];
}
