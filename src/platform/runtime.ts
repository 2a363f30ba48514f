/**
 * Which JavaScript runtime we are in. Everything that differs between Node, Deno and browsers is
 * decided from this one answer, here in src/platform/, so the rest of the library is runtime-agnostic.
 */

export type RuntimeName = 'node' | 'deno' | 'browser' | 'worker';

interface RuntimeGlobals {
  Deno?: { version?: { deno?: string }; env?: { get(name: string): string | undefined } };
  process?: { versions?: { node?: string }; env?: Record<string, string | undefined> };
  window?: unknown;
  document?: unknown;
  importScripts?: unknown;
}

const globals = globalThis as unknown as RuntimeGlobals;

/** The runtime this code runs in: 'deno', 'node', 'browser' (a window with a document), else 'worker' (Web Workers and the rest). */
export function detectRuntime(): RuntimeName {
  if (typeof globals.Deno?.version?.deno === 'string') return 'deno';
  if (typeof globals.process?.versions?.node === 'string') return 'node';
  if (globals.window !== undefined && globals.document !== undefined) return 'browser';
  return 'worker';
}

/** Node and Deno give access to a file system (Deno through its node: compatibility layer). */
export function hasFileSystem(): boolean {
  const name = detectRuntime();
  return name === 'node' || name === 'deno';
}

/** An environment variable, or undefined where the runtime has none (browsers) or denies access. */
export function environmentVariable(name: string): string | undefined {
  try {
    if (detectRuntime() === 'deno') return globals.Deno?.env?.get(name);
    return globals.process?.env?.[name];
  } catch {
    return undefined;
  }
}

/**
 * Lets pending events run (timers, input, rendering). Node's setImmediate and a MessageChannel in
 * browsers avoid the 4 ms clamp that nested setTimeout(0) gets.
 */
export function yieldToEventLoop(): Promise<void> {
  const setImmediateFn = (globalThis as { setImmediate?: (fn: () => void) => unknown }).setImmediate;
  if (typeof setImmediateFn === 'function') {
    return new Promise((resolve) => setImmediateFn(resolve));
  }
  if (typeof MessageChannel === 'function') {
    return new Promise((resolve) => {
      const channel = new MessageChannel();
      channel.port1.onmessage = () => {
        channel.port1.close();
        resolve();
      };
      channel.port2.postMessage(null);
    });
  }
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/** Milliseconds from a monotonic clock. */
export function now(): number {
  return typeof performance !== 'undefined' ? performance.now() : Date.now();
}
