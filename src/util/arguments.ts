/**
 * Checks of the objects that public functions take as arguments: a model, a tokenizer, a pipeline.
 * Plain JavaScript gets no type check, and its usual slips (a model from RNNModel.create or loadGpt2
 * used without `await`, two arguments swapped, one left out) would otherwise fail deep inside with
 * "cannot read properties of undefined", which names neither the argument nor the fix.
 */

/** A short description of a value for error messages. */
export function describe(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? value.slice(0, 40) + '...' : value);
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${String(value)}`;
}

/**
 * describe() for an argument that is not what was expected, naming what it was mistaken for: a Promise
 * (with its fix) or an instance of another class.
 */
export function describeArgument(value: unknown): string {
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    if (typeof (value as { then?: unknown }).then === 'function') return 'a Promise: await it first';
    const name = (value as { constructor?: { name?: unknown } }).constructor?.name;
    if (typeof name === 'string' && name !== '' && name !== 'Object') return `an instance of ${name}`;
  }
  return describe(value);
}

/**
 * Throws a TypeError unless `value` is an object with every method in `methods`. `where` names the
 * function, `label` the argument, `expected` what it must be and where it comes from.
 */
export function requireArgument(where: string, label: string, value: unknown, expected: string, methods: readonly string[]): void {
  const v = value as Record<string, unknown> | null;
  if (v !== null && typeof v === 'object' && methods.every((m) => typeof v[m] === 'function')) return;
  throw new TypeError(`${where}: ${label} must be ${expected}, got ${describeArgument(value)}`);
}

/** An option's value in an error: as it reads in code, so that the string "1" does not show as the number 1. */
export function optionValue(value: unknown): string {
  return typeof value === 'string' || Array.isArray(value) ? JSON.stringify(value) : String(value);
}
