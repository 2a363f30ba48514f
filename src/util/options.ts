/**
 * Options objects from plain JavaScript get no type check, so a misspelt key would be dropped without a
 * word and the call would run with a default the caller never chose. The public functions that take
 * options objects (training, generation, chat, tokenizers, loadGpt2, checkpoints) check their keys here first.
 */

/** An options type's keys, written as an object so that the compiler flags a key missing or misspelt. */
/* #__NO_SIDE_EFFECTS__ */ export function optionKeys<T>(keys: { readonly [K in keyof Required<T>]: true }): readonly (keyof T & string)[] {
  return Object.keys(keys) as (keyof T & string)[];
}

export interface KeyCheck {
  /** Keys that look right but are refused here, each with its reason (e.g. a feature of another engine). */
  refused?: Readonly<Record<string, string>>;
  /** A note after a snake_case key (where such configs should go instead). */
  snakeCase?: string;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j]!;
      row[j] = Math.min(above + 1, row[j - 1]! + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length]!;
}

/** The known key that `key` most likely meant: the same up to case and underscores, or within two edits. */
function closest(key: string, known: readonly string[]): string | undefined {
  const folded = key.toLowerCase().replace(/_/g, '');
  return known.find((k) => k.toLowerCase() === folded) ?? known.find((k) => editDistance(k, key) <= 2);
}

/**
 * Throws unless `options` is an object whose every own key is in `known`. `where` names the function in
 * the error, which also names the key and the option it most likely meant.
 */
export function checkOptionKeys(where: string, options: unknown, known: readonly string[], check: KeyCheck = {}): void {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    const got = options === null ? 'null' : Array.isArray(options) ? 'an array' : typeof options;
    throw new TypeError(`${where}: options must be an object, got ${got}`);
  }
  for (const key of Object.keys(options)) {
    if (known.includes(key)) continue;
    const reason = check.refused?.[key];
    if (reason !== undefined) throw new RangeError(`${where}: ${key} ${reason}`);
    const guess = closest(key, known);
    const hint = guess ? `did you mean ${guess}?` : `known options: ${known.join(', ')}`;
    const snake = check.snakeCase && key.includes('_') ? ` (${check.snakeCase})` : '';
    throw new RangeError(`${where}: unknown option ${JSON.stringify(key)}${snake}; ${hint}`);
  }
}

/**
 * The options without the keys whose value is undefined: an explicit `{ key: undefined }` means "not
 * given", so it must not override a default when options are spread over defaults.
 */
export function givenOptions<T extends object>(options: T): Partial<T> {
  return Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined)) as Partial<T>;
}
