import { readBraceGroup } from './latex-scan.js';

/**
 * Removing units from the end of an answer, so `5 \text{ cm}`, `864 \mbox{ inches}^2`, `60 km/h` and
 * `18 dollars` compare equal to the bare numbers that the datasets' answer fields hold (minerva_math
 * and olympiadbench state units beside the value; models often repeat them).
 */

/**
 * Unit words recognised when written as plain text after a value. Single letters (m, s, g) are left
 * out on purpose: in plain text they are as likely to be variables (`\frac{37}{4} m` is a mass).
 * Inside \text{}/\mathrm{} any trailing word counts as a unit, since that markup already says so.
 */
const UNIT_WORDS = new Set(
  (
    'mm cm dm km meter meters metre metres centimeter centimeters millimeter millimeters kilometer kilometers ' +
    'in inch inches ft foot feet yd yard yards mi mile miles ' +
    'mg kg gram grams kilogram kilograms lb lbs pound pounds oz ounce ounces ton tons ' +
    'ms sec secs second seconds min mins minute minutes hr hrs hour hours day days week weeks month months year years ' +
    'deg degree degrees rad radian radians ' +
    'dollar dollars cent cents euro euros percent ' +
    'ml mL liter liters litre litres gallon gallons ' +
    'mph kmh kph ' +
    'unit units sq square cubic ' +
    'Hz kHz MHz GHz eV keV MeV GeV erg ergs Pa kPa atm mol ohm ohms Kelvin kelvin'
  ).split(' '),
);

/** A plain unit token: a unit word, optionally with a power (`cm^2`, `s^{-1}`). */
const UNIT_TOKEN = /^([a-zA-Z]+)(?:\^\{?-?\d+\}?)?$/;

/** SI symbols that count as units only inside a compound unit (`km/h`, `m/s`), never alone. */
const SINGLE_LETTER_UNITS = new Set(['m', 's', 'g', 'h', 'K', 'J', 'W', 'N', 'V', 'A', 'L']);

/** True when a plain-text tail (`km/h`, `square units`, `cm^2`, `m/s`) consists of unit words. */
function isPlainUnitTail(tail: string): boolean {
  const words = tail
    .split(/[\s/]+|\\cdot/)
    .filter((t) => t !== '')
    .map((t) => UNIT_TOKEN.exec(t)?.[1]);
  if (words.length === 0) return false;
  const known = words.every((w) => w !== undefined && (UNIT_WORDS.has(w) || SINGLE_LETTER_UNITS.has(w)));
  return known && (words.length > 1 || UNIT_WORDS.has(words[0] as string));
}

/** The value before a unit must end like a value does, not like an unfinished expression (`x +`). */
const ENDS_LIKE_VALUE = /[\w})\]!.%']$/;

/** Commands whose trailing group is a unit when it follows a value (`5 \text{ cm}`). */
const TEXT_COMMAND = /\\(?:text|textrm|textnormal|mathrm|mbox|rm)\s*(?=\{)/g;

/** What a unit inside \text{} looks like: words, powers, slashes (`~cm`, ` inches`, `km/h`). */
const TEXT_UNIT_CONTENT = /^[\s~]*[a-zA-Z][a-zA-Z\s~/.\-^{}\d]*$/;

/** What may follow a unit group: a power, as in `\mbox{ inches}^2`. */
const UNIT_POWER = /^\s*(?:\^\s*\{?-?\d+\}?)?\s*$/;

/** A plain-text tail: words with powers and slashes (`km/h`, `square units`, `cm^2`). */
const PLAIN_TAIL = /^[a-zA-Z][a-zA-Z/^{}\-\d\s]*$/;

/** A value written as a plain number, after which any trailing plain words are taken as units. */
const PLAIN_NUMBER = /^[+-]?(?:\d[\d,]*(?:\.\d*)?|\.\d+)%?$/;

/** Units are short: plain tails are looked for only in the last characters (keeps this linear). */
const MAX_TAIL_CHARS = 40;

/** A unit group is short: it is looked for only in the last characters (keeps this linear). */
const MAX_UNIT_GROUP_CHARS = 200;

/** `text` without a trailing \text{unit} group, or null when it does not end in one. */
function withoutTextUnit(text: string): string | null {
  const from = Math.max(0, text.length - MAX_UNIT_GROUP_CHARS);
  let last: RegExpExecArray | undefined;
  for (const m of text.slice(from).matchAll(TEXT_COMMAND)) last = m;
  if (last === undefined) return null;
  const at = from + (last.index ?? 0);
  if (at === 0) return null;
  const group = readBraceGroup(text, at + last[0].length);
  if (group === null || !TEXT_UNIT_CONTENT.test(group.content) || !UNIT_POWER.test(text.slice(group.end))) return null;
  const value = text.slice(0, at).trim();
  return ENDS_LIKE_VALUE.test(value) ? value : null;
}

/** Units stack at most a few deep (`\mathrm{ergs} \mathrm{s}^{-1}`); more is not a unit. */
const MAX_UNITS = 8;

/** `text` without a trailing plain-text unit (`60 km/h`, `18 dollars`), or null. */
function withoutPlainUnit(text: string): string | null {
  const from = Math.max(0, text.length - MAX_TAIL_CHARS);
  // Try the longest tail first: `12 square units` loses both words.
  for (const gap of text.slice(from).matchAll(/\s+(?=[a-zA-Z])/g)) {
    const at = from + (gap.index ?? 0);
    const value = text.slice(0, at).trim();
    const tail = text.slice(at).trim();
    if (value === '' || !ENDS_LIKE_VALUE.test(value) || !PLAIN_TAIL.test(tail)) continue;
    if (isPlainUnitTail(tail) || (PLAIN_NUMBER.test(value) && /^[a-zA-Z\s]+$/.test(tail))) return value;
  }
  return null;
}

/**
 * Removes units from the end of `text`, repeatedly (`\mathrm{ergs} \mathrm{s}^{-1}` loses both).
 * Never empties the text: a lone `\text{Evelyn}` is an answer, not a unit.
 */
export function stripTrailingUnits(text: string): string {
  let current = text.trim();
  for (let k = 0; k < MAX_UNITS; k++) {
    const stripped = withoutTextUnit(current) ?? withoutPlainUnit(current);
    if (stripped === null) return current;
    current = stripped;
  }
  return current;
}
