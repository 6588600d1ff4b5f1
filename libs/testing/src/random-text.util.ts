import { randomInt } from 'node:crypto';

/** `count` random CJK ideographs (U+4E00..U+9FFF): 3 UTF-8 bytes each, and they do not compress. */
export function randomCjk(count: number): string {
  return Array.from({ length: count }, () => String.fromCodePoint(randomInt(0x4e00, 0xa000))).join('');
}

/** `count` random emoji (U+1F300..U+1F5FF): 2 UTF-16 units and 4 UTF-8 bytes each. */
export function randomEmoji(count: number): string {
  return Array.from({ length: count }, () => String.fromCodePoint(randomInt(0x1f300, 0x1f600))).join('');
}
