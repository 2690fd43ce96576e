/**
 * A transfer's note: a short free text the sender attaches ("rent, March"), shown to both sides.
 * Pure: the wallet service and the route schema both check a note with `parseNote`.
 */
export const noteCodePointsMax = 140;

/**
 * Characters a note may not hold: C0/C1 controls (line breaks included), line and paragraph
 * separators, and the bidirectional embedding, override and isolate controls, which can make a
 * note display as something else than it says (the "Trojan Source" trick, CVE-2021-42574); and
 * unpaired surrogates (\p{Cs} under the u flag), which are no Unicode text and which the database
 * cannot store.
 */
const forbidden = /[\p{Cc}\p{Cs}\p{Zl}\p{Zp}\u202A-\u202E\u2066-\u2069]/u;

/** The note to store (trimmed; null when absent or blank), or "invalid". */
export function parseNote(raw: string | null | undefined): { ok: true; note: string | null } | { ok: false } {
  if (raw === undefined || raw === null) return { ok: true, note: null };
  const note = raw.trim();
  if (note === "") return { ok: true, note: null };
  // A code point takes one or two UTF-16 units: more than twice the maximum cannot fit.
  if (note.length > noteCodePointsMax * 2 || forbidden.test(note)) return { ok: false };
  let codePoints = 0;
  for (const _ of note) codePoints++;
  return codePoints <= noteCodePointsMax ? { ok: true, note } : { ok: false };
}
