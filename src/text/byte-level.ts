/**
 * GPT-2's byte-level alphabet: every byte has a printable stand-in character, so that vocabulary
 * entries are strings of these characters. Printable Latin-1 bytes stand for themselves; the other
 * 68 bytes (controls, space, 0x7F..0xA0, 0xAD) map to U+0100 upwards, in byte order.
 */

/** Stand-in character of each byte. */
export const BYTE_TO_CHAR: readonly string[] = /* @__PURE__ */ (() => {
  const chars = new Array<string>(256);
  let next = 0x100;
  for (let b = 0; b < 256; b++) {
    const printable = (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
    chars[b] = String.fromCharCode(printable ? b : next++);
  }
  return chars;
})();

/** (0x144) byte of each stand-in character's code, -1 for characters outside the alphabet. */
const CHAR_TO_BYTE = /* @__PURE__ */ (() => {
  const table = new Int16Array(0x144).fill(-1);
  BYTE_TO_CHAR.forEach((c, b) => (table[c.charCodeAt(0)] = b));
  return table;
})();

/**
 * Writes the bytes of a vocabulary entry at out[at...] and returns how many, or -1 when the entry
 * has a character outside the byte-level alphabet. out needs room for token.length bytes.
 */
export function tokenBytesInto(token: string, out: Uint8Array, at: number): number {
  for (let i = 0; i < token.length; i++) {
    const c = token.charCodeAt(i);
    const b = c < CHAR_TO_BYTE.length ? CHAR_TO_BYTE[c] : -1;
    if (b < 0) return -1;
    out[at + i] = b;
  }
  return token.length;
}

/**
 * Writes the UTF-8 bytes of s[start, end) into out (which must hold 3 bytes per UTF-16 unit) and
 * returns the byte count. A lone surrogate becomes U+FFFD, as TextEncoder does.
 */
export function utf8Into(s: string, start: number, end: number, out: Uint8Array): number {
  let n = 0;
  for (let i = start; i < end; i++) {
    let c = s.charCodeAt(i);
    if (c < 0x80) {
      out[n++] = c;
      continue;
    }
    if (c < 0x800) {
      out[n++] = 0xc0 | (c >> 6);
      out[n++] = 0x80 | (c & 0x3f);
      continue;
    }
    if (c >= 0xd800 && c <= 0xdfff) {
      const d = i + 1 < end ? s.charCodeAt(i + 1) : 0;
      if (c <= 0xdbff && d >= 0xdc00 && d <= 0xdfff) {
        const cp = ((c - 0xd800) << 10) + (d - 0xdc00) + 0x10000;
        out[n++] = 0xf0 | (cp >> 18);
        out[n++] = 0x80 | ((cp >> 12) & 0x3f);
        out[n++] = 0x80 | ((cp >> 6) & 0x3f);
        out[n++] = 0x80 | (cp & 0x3f);
        i++;
        continue;
      }
      c = 0xfffd;
    }
    out[n++] = 0xe0 | (c >> 12);
    out[n++] = 0x80 | ((c >> 6) & 0x3f);
    out[n++] = 0x80 | (c & 0x3f);
  }
  return n;
}
