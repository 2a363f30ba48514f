/**
 * Small DOM helpers for the demo page. Text from models and files only ever reaches the page through
 * textContent, never as HTML.
 */

/** The element with this id; a missing one is a bug in index.html, reported by name. */
export function byId<T extends HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`the page has no element #${id}`);
  return el as T;
}

/**
 * The value of a number input, checked against its own min/max (and integrality unless step="any").
 * A bad value throws an error that names the field, e.g. "hidden must be an integer from 4 to 2048".
 */
export function numberField(id: string): number {
  const input = byId<HTMLInputElement>(id);
  const label = input.closest('label')?.firstChild?.textContent?.trim() || id;
  const value = Number(input.value);
  const min = input.min === '' ? -Infinity : Number(input.min);
  const max = input.max === '' ? Infinity : Number(input.max);
  const integer = input.step !== 'any';
  const valid = input.value.trim() !== '' && Number.isFinite(value) && value >= min && value <= max && (!integer || Number.isInteger(value));
  if (!valid) {
    const range = Number.isFinite(min) && Number.isFinite(max) ? ` from ${min} to ${max}` : '';
    throw new RangeError(`${label} must be ${integer ? 'an integer' : 'a number'}${range}, got "${input.value}"`);
  }
  return value;
}

export function setStatus(el: HTMLElement, text: string, isError = false): void {
  el.textContent = text;
  el.classList.toggle('error', isError);
}

export function enable(enabled: boolean, ...elements: Array<HTMLButtonElement | HTMLInputElement>): void {
  for (const el of elements) el.disabled = !enabled;
}

/** Offers bytes as a file download. */
export function download(bytes: Uint8Array, filename: string): void {
  const url = URL.createObjectURL(new Blob([bytes as Uint8Array<ArrayBuffer>], { type: 'application/octet-stream' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
