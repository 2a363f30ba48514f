// Medians and ratios: the only statistics the tables report.

export function median(values) {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  const mid = v.length >> 1;
  return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

/** Median of one metric over a case's samples. */
export function medianOf(result, key) {
  return median((result?.samples ?? []).map((s) => s[key]));
}

export function maxOf(result, key) {
  const v = (result?.samples ?? []).map((s) => s[key]).filter(Number.isFinite);
  return v.length ? Math.max(...v) : NaN;
}

export function ratio(a, b) {
  return Number.isFinite(a) && Number.isFinite(b) && b !== 0 ? a / b : NaN;
}
