// The orchestrator side of the bench protocol: starts one process per case, warms each up, then
// asks them for samples in turn (A B C A B C ...) so that drift on a shared machine hits every
// case alike and the ratio of medians stays honest.
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
 * stay alive for the group. A case that fails to start or dies is reported with its error; the
 * others go on. Returns [{ name, info, samples, error? }] in spec order.
 */
export async function interleave(specs, { warmup, rounds, log }) {
  const results = specs.map((spec) => ({ name: spec.name, info: null, samples: [], error: null }));
  const workers = [];
  for (const [i, spec] of specs.entries()) {
    try {
      const w = new Worker(spec);
      workers[i] = w;
      results[i].info = await w.ready();
      for (let k = 0; k < warmup; k++) await w.sample();
    } catch (err) {
      results[i].error = String(err.message ?? err);
      log(`  ${spec.name}: failed to start: ${firstLine(results[i].error)}`);
      await workers[i]?.close();
      workers[i] = null;
    }
  }
  for (let r = 0; r < rounds; r++) {
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
  return results;
}

export function firstLine(text) {
  return String(text).split('\n')[0];
}
