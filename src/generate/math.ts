/**
 * exp and log built only from IEEE-754 +, -, *, / (each correctly rounded everywhere), so every runtime
 * computes the same bits: Math.exp and Math.log are allowed to differ in the last bit between engines,
 * which would let the same seed sample a different token in a browser than in Node.
 */

const LN2_HI = 6.93147180369123816490e-1; // trailing zero bits: k * LN2_HI is exact for |k| < 2^11
const LN2_LO = 1.90821492927058770002e-10;
const INV_LN2 = 1.44269504088896338700;

// The tables are built in pure calls so that a bundle that never samples drops them.
const bits = /* @__PURE__ */ new Float64Array(1);
const words = /* @__PURE__ */ (() => new Uint32Array(bits.buffer))();
const HIGH = /* @__PURE__ */ (() => (new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 1 : 0))(); // index of the high word

/** POW2[j] = 2^-j for j in [0, 1074], by exact halving (every power of two down to 2^-1074 is representable). */
const POW2 = /* @__PURE__ */ (() => {
  const table = new Float64Array(1075);
  table[0] = 1;
  for (let j = 1; j < table.length; j++) table[j] = table[j - 1]! / 2;
  return table;
})();

/** e^x for x <= 709 (the callers subtract the maximum first, so x <= 0); relative error about 1e-16. */
export function exp64(x: number): number {
  if (x < -745) return 0;
  if (x !== x) return NaN;
  const k = Math.round(x * INV_LN2);
  const r = (x - k * LN2_HI) - k * LN2_LO; // |r| <= ln2 / 2
  // Taylor series to degree 13: the remainder is below 1e-17 on |r| <= 0.347.
  let p = 1 / 6227020800;
  p = p * r + 1 / 479001600;
  p = p * r + 1 / 39916800;
  p = p * r + 1 / 3628800;
  p = p * r + 1 / 362880;
  p = p * r + 1 / 40320;
  p = p * r + 1 / 5040;
  p = p * r + 1 / 720;
  p = p * r + 1 / 120;
  p = p * r + 1 / 24;
  p = p * r + 1 / 6;
  p = p * r + 1 / 2;
  p = p * r + 1;
  p = p * r + 1;
  if (k > 0) return p / POW2[k]!;
  if (k < -1074) return p * POW2[1074]! * POW2[-k - 1074]!;
  return p * POW2[-k]!;
}

/** Natural logarithm of a positive finite x; relative error about 1e-16. */
export function log64(x: number): number {
  if (!(x > 0)) return x === 0 ? -Infinity : NaN;
  if (x === Infinity) return Infinity;
  let e = 0;
  let m = x;
  if (m < 2.2250738585072014e-308) {
    m *= 18014398509481984; // 2^54 lifts subnormals into the normal range
    e = -54;
  }
  bits[0] = m;
  e += ((words[HIGH]! >>> 20) & 0x7ff) - 1023;
  words[HIGH] = (words[HIGH]! & 0x000fffff) | 0x3ff00000; // mantissa in [1, 2)
  m = bits[0]!;
  if (m > Math.SQRT2) {
    m /= 2;
    e += 1;
  }
  // log(m) = 2 atanh(s) with s = (m - 1) / (m + 1), |s| <= 0.1716: the series to s^23 is exact to 1e-17.
  const s = (m - 1) / (m + 1);
  const s2 = s * s;
  let q = 1 / 23;
  for (let n = 21; n >= 1; n -= 2) q = q * s2 + 1 / n;
  return e * LN2_HI + (e * LN2_LO + 2 * s * q);
}
