// The worker side of the bench protocol (one JSON object per line on stdout, commands on stdin):
// a worker prints {"ready": info} once set up, then answers each "run" line with {"sample": ...}.
// Keeping each case in its own long-lived process lets the orchestrator interleave cases that live
// in different runtimes (Node, Python) and read each one's peak memory on its own.
import { createInterface } from 'node:readline';

export function peakRssBytes() {
  return process.resourceUsage().maxRSS * 1024;
}

/** `setup()` resolves to { info, run }; `run()` resolves to one sample (an object of numbers). */
export async function serve(setup) {
  const send = (msg) => process.stdout.write(JSON.stringify(msg) + '\n');
  let harness;
  try {
    harness = await setup();
  } catch (err) {
    send({ error: String(err?.stack ?? err) });
    process.exit(1);
  }
  send({ ready: harness.info ?? {} });
  for await (const line of createInterface({ input: process.stdin })) {
    if (line === 'exit') break;
    try {
      const sample = await harness.run();
      send({ sample: { ...sample, peakRssBytes: peakRssBytes() } });
    } catch (err) {
      send({ error: String(err?.stack ?? err) });
      process.exit(1);
    }
  }
  process.exit(0);
}

/** Worker options arrive as one JSON argument so that every worker parses them the same way. */
export function workerOptions() {
  const raw = process.argv[2];
  if (!raw) throw new Error('bench worker: expected one JSON argument with the case options, got none');
  return JSON.parse(raw);
}
