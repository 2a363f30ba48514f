/**
 * Strings that outlive the text they were cut from. V8 returns a slice of 13 characters or more
 * (substring, split, a regex match) as a view that keeps the whole source string alive, and other
 * engines do the same above their own lengths; a piece kept long after the call (a cache key, a
 * vocabulary entry) would then hold on to every document it was cut from.
 */

/** Characters copied per String.fromCharCode call: far below any engine's argument limit. */
const CHUNK = 8192;

/** text[from, to) in storage of its own: built from its char codes, so that it refers to nothing else. */
export function ownString(text: string, from = 0, to = text.length): string {
  let out = '';
  const codes: number[] = [];
  for (let at = from; at < to; at += CHUNK) {
    const end = Math.min(to, at + CHUNK);
    codes.length = end - at;
    for (let i = at; i < end; i++) codes[i - at] = text.charCodeAt(i);
    out += String.fromCharCode(...codes);
  }
  return out;
}
