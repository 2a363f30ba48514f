/** UTF-16 units to strings, in chunks that every engine's TextDecoder takes. */
const UTF16 = /* @__PURE__ */ new TextDecoder('utf-16le');
/** Units decoded at once: Node's TextDecoder refuses UTF-16 input of 2^27 units (256 MiB) or more
 *  ("The encoded data was not valid"), which a corpus of about 130 MB reaches. */
export const DECODE_CHUNK_UNITS = 1 << 24;

/** `units` as a string, decoded `chunk` units at a time (one more where a chunk would end between
 *  the two halves of a surrogate pair). */
export function decodeUtf16(units: Uint16Array, chunk = DECODE_CHUNK_UNITS): string {
  if (units.length <= chunk) return UTF16.decode(units);
  const parts: string[] = [];
  for (let start = 0; start < units.length;) {
    let end = Math.min(units.length, start + chunk);
    if (end < units.length && (units[end - 1]! & 0xfc00) === 0xd800) end++;
    parts.push(UTF16.decode(units.subarray(start, end)));
    start = end;
  }
  return parts.join('');
}
