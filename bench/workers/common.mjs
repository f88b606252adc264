// Shared by the Node workers: task decoding, a discarding sink, the result line.
// Each worker runs one task in its own process so that CPU time and peak RSS belong to one client.
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { Writable } from 'node:stream';

/** The task, passed as JSON in argv[2] by bench/run.ts. */
export function readTask() {
  const task = JSON.parse(process.argv[2] ?? '{}');
  task.ca = readFileSync(task.caFile);
  return task;
}

/** A Writable that counts and drops every byte: downloads are measured without any disk I/O, for every contender. */
export function discard() {
  const sink = new Writable({
    highWaterMark: 1024 * 1024,
    write(chunk, _encoding, callback) {
      sink.bytes += chunk.length;
      callback();
    },
  });
  sink.bytes = 0;
  return sink;
}

/**
 * Times `fn` (connect, transfer, close) and prints the single JSON result line the runner reads: wall ms and the
 * process's user + sys CPU ms inside that window (start-up and module loading excluded, unlike /usr/bin/time's).
 */
export async function timed(fn) {
  const cpu = process.cpuUsage();
  const started = performance.now();
  const result = await fn();
  const ms = performance.now() - started;
  const spent = process.cpuUsage(cpu);
  const cpuMs = (spent.user + spent.system) / 1000;
  process.stdout.write(`${JSON.stringify({ ms, cpuMs, ...result })}\n`);
}

/** Runs `worker` over `items` on `n` parallel lanes, each taking the next item when it is free. */
export async function lanes(items, n, worker) {
  let next = 0;
  await Promise.all(
    Array.from({ length: n }, async (_, lane) => {
      while (next < items.length) await worker(items[next++], lane);
    }),
  );
}
