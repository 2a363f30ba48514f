/**
 * Base64 to bytes with nothing but the language itself (no Buffer, no atob), so the inlined
 * kernels decode the same way in Node, Deno and browsers.
 */
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const LOOKUP = /* @__PURE__ */ (() => {
  const table = new Int16Array(128).fill(-1);
  for (let i = 0; i < ALPHABET.length; i++) table[ALPHABET.charCodeAt(i)] = i;
  return table;
})();

export function decodeBase64(text: string): Uint8Array<ArrayBuffer> {
  const padding = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0;
  const chars = text.length - padding;
  if (text.length % 4 !== 0) {
    throw new Error(`decodeBase64: length must be a multiple of 4, got ${text.length}`);
  }
  const out = new Uint8Array((chars * 3) >> 2);
  let bits = 0;
  let count = 0;
  let o = 0;
  for (let i = 0; i < chars; i++) {
    const code = text.charCodeAt(i);
    const v = code < 128 ? LOOKUP[code] : -1;
    if (v < 0) throw new Error(`decodeBase64: invalid character ${JSON.stringify(text[i])} at offset ${i}`);
    bits = (bits << 6) | v;
    count += 6;
    if (count >= 8) {
      count -= 8;
      out[o++] = (bits >> count) & 0xff;
    }
  }
  return out;
}
