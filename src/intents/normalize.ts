/** Longest text the parser looks at; anything longer is not a home command. */
export const MAX_INTENT_TEXT = 300;

const CONTRACTIONS: [RegExp, string][] = [
  [/\bwhat's\b/g, 'what is'],
  [/\bhow's\b/g, 'how is'],
  [/\bwhere's\b/g, 'where is'],
  [/\bit's\b/g, 'it is'],
  [/\bthat's\b/g, 'that is'],
  [/\bthere's\b/g, 'there is'],
  [/\bisn't\b/g, 'is not'],
  [/\baren't\b/g, 'are not'],
  [/\bwasn't\b/g, 'was not'],
  [/\bdon't\b/g, 'do not'],
  [/\bdoesn't\b/g, 'does not'],
  [/\bcan't\b/g, 'cannot'],
  [/\bi'd\b/g, 'i would'],
  [/\bwon't\b/g, 'will not'],
  [/'s\b/g, ''],
];

/** Politeness and address at the start, which carry no meaning for the home. */
const LEADING =
  /^(?:(?:hey|hi|hello|ok|okay|yo|so|um|uh)\s+|hearth\s+|please\s+|kindly\s+|(?:could|can|would|will)\s+you\s+(?:please\s+)?|i\s+(?:want|need)\s+you\s+to\s+|i\s+would\s+like\s+(?:you\s+)?to\s+|go\s+ahead\s+and\s+|just\s+|quickly\s+)+/;
const TRAILING = /(?:\s+(?:please|pls|thanks|thank\s+you|thx|for\s+me|now|right\s+now|asap|immediately|again|hearth))+$/;

export interface Normalized {
  text: string;
  tokens: string[];
  /** The person ended with a question mark. */
  asked: boolean;
}

/** Lower case, contractions expanded, punctuation and politeness removed, numbers kept. */
export function normalize(raw: string): Normalized {
  const cut = raw.slice(0, MAX_INTENT_TEXT);
  const asked = /\?\s*$/.test(cut.trim());
  let text = cut
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[\u2018\u2019\u02bc`]/g, "'");
  for (const [re, to] of CONTRACTIONS) text = text.replace(re, to);
  text = text
    .replace(/(\d)\s*%/g, '$1 percent')
    .replace(/(\d)\s*°\s*[cf]?/g, '$1 degrees')
    .replace(/(\d),(\d)/g, '$1.$2')
    .replace(/[^a-z0-9.\s]/g, ' ')
    .replace(/\.(?!\d)/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  let prev: string;
  do {
    prev = text;
    text = text.replace(LEADING, '').replace(TRAILING, '').trim();
  } while (text !== prev);
  return { text, tokens: text ? text.split(' ') : [], asked };
}
