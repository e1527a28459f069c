/**
 * Text as the columns hold it. A utf8mb4 VARCHAR(n) of MariaDB/MySQL holds n characters (code
 * points, not UTF-16 units), and case-insensitive keys are stored lower-cased beside the text they
 * match; lower-casing can lengthen text ('İ', U+0130, becomes 'i' + U+0307). Every door checks what
 * it stores with these, so that nothing too long reaches the database (SQLite would keep it, MariaDB
 * refuses it).
 */

/** Characters of `text` as a utf8mb4 column counts them. */
export function columnLength(text: string): number {
  let length = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    // A high surrogate followed by a low one is one character.
    if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) i++;
    }
    length++;
  }
  return length;
}

/** The case-insensitive key of a text, as stored in `*_key` columns and compared by filters. */
export function textKey(text: string): string {
  return text.toLowerCase();
}

/**
 * Why `text` does not fit a VARCHAR(`max`) column (and, when `keyed`, why its key does not fit a
 * key column of the same size), or null when it fits. The reason completes "<label> …".
 */
export function columnTextProblem(text: string, max: number, keyed = false): string | null {
  if (columnLength(text) > max) return `is longer than ${max} characters`;
  if (keyed && columnLength(textKey(text)) > max) {
    return `is longer than ${max} characters once lower-cased (it is stored lower-cased for case-insensitive matching)`;
  }
  return null;
}
