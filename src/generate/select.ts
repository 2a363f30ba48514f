/**
 * Partial selection: the m best entries of a long array without sorting all of it (a bounded heap,
 * O(n log m)). The order is total, so the result equals the first m entries of a full sort: value
 * descending, and among equal values the lower index first (beam search's tie rule: earlier beam, lower
 * token id, older finished hypothesis).
 */

/** True when entry a comes before entry b in the order. */
function ahead(values: ArrayLike<number>, a: number, b: number): boolean {
  const va = values[a]!;
  const vb = values[b]!;
  return va > vb || (va === vb && a < b);
}

/**
 * Indices of the `m` first entries of `values` in the order above, sorted in that order (m is clamped to
 * values.length). Values must not be NaN.
 */
export function topIndices(values: ArrayLike<number>, m: number): Int32Array {
  const n = values.length;
  const size = Math.max(0, Math.min(m, n));
  const heap = new Int32Array(size); // heap[0] is the entry that comes last among those kept
  const siftDown = (start: number, length: number): void => {
    let i = start;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= length) return;
      const right = left + 1;
      let worst = left;
      if (right < length && ahead(values, heap[left]!, heap[right]!)) worst = right;
      if (!ahead(values, heap[i]!, heap[worst]!)) return;
      const t = heap[i]!;
      heap[i] = heap[worst]!;
      heap[worst] = t;
      i = worst;
    }
  };
  for (let i = 0; i < size; i++) heap[i] = i;
  for (let i = (size >> 1) - 1; i >= 0; i--) siftDown(i, size);
  if (size > 0) {
    // Entries are visited in index order, so one equal to the root comes after it: one comparison rejects.
    for (let i = size; i < n; i++) {
      if (values[i]! > values[heap[0]!]!) {
        heap[0] = i;
        siftDown(0, size);
      }
    }
  }
  // Heap sort in place: repeatedly move the last-ranked entry to the end.
  for (let end = size - 1; end > 0; end--) {
    const t = heap[0]!;
    heap[0] = heap[end]!;
    heap[end] = t;
    siftDown(0, end);
  }
  return heap;
}
