/**
 * Reads a Markdown document's fenced code blocks (CommonMark 0.31 §4.5) and the walkthrough markers in front
 * of them, so a test can check that the README parses and can run its walkthroughs as written.
 *
 * A walkthrough block is a fenced block preceded (blank lines aside) by an HTML comment
 *   <!-- walkthrough: NAME -->             run in order with the walkthrough's other blocks, in one shell
 *   <!-- walkthrough: NAME background -->  started in the background (a server "in a second terminal")
 */

export type FencedBlock = {
  /** 1-based line of the opening fence. */
  line: number;
  info: string;
  text: string;
  walkthrough?: { name: string; background: boolean };
};

export type FenceProblem = { line: number; message: string };

const markerPattern = /^<!--\s*walkthrough:\s*([a-z0-9-]+)(\s+background)?\s*-->$/;

/** The fenced blocks, and any fence left open at the end of the document (which swallows what follows it). */
export function readFencedBlocks(markdown: string): { blocks: FencedBlock[]; problems: FenceProblem[] } {
  const lines = markdown.split("\n");
  const blocks: FencedBlock[] = [];
  const problems: FenceProblem[] = [];
  let pendingMarker: FencedBlock["walkthrough"] | undefined;
  let pendingMarkerLine = 0;
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index]!;
    const marker = markerPattern.exec(line.trim());
    if (marker !== null) {
      if (pendingMarker !== undefined) problems.push({ line: pendingMarkerLine, message: "a walkthrough marker with no code block after it" });
      pendingMarker = { name: marker[1]!, background: marker[2] !== undefined };
      pendingMarkerLine = index + 1;
      continue;
    }
    // An opening fence: up to 3 spaces of indentation, then at least 3 backticks or tildes (§4.5).
    const opening = /^( {0,3})(`{3,}|~{3,})(.*)$/.exec(line);
    if (opening === null) {
      if (line.trim() !== "" && pendingMarker !== undefined) {
        problems.push({ line: pendingMarkerLine, message: "a walkthrough marker must be followed by a code block" });
        pendingMarker = undefined;
      }
      continue;
    }
    const fence = opening[2]!;
    const info = opening[3]!.trim();
    if (fence[0] === "`" && info.includes("`")) continue; // not a fence: an info string may not contain backticks
    const body: string[] = [];
    let closed = false;
    let cursor = index + 1;
    for (; cursor < lines.length; cursor++) {
      const closing = /^ {0,3}(`{3,}|~{3,})\s*$/.exec(lines[cursor]!);
      if (closing !== null && closing[1]![0] === fence[0] && closing[1]!.length >= fence.length) {
        closed = true;
        break;
      }
      // Legal CommonMark, but in a README always a mistake: an opening fence (with its language) inside a block
      // means the block before it was left open and the two have run together.
      if (/^ {0,3}(`{3,}|~{3,})\s*[A-Za-z]/.test(lines[cursor]!)) {
        problems.push({ line: index + 1, message: `the code fence opened here runs into another fence at line ${cursor + 1}: it is not closed where it should be` });
      }
      body.push(lines[cursor]!);
    }
    if (!closed) problems.push({ line: index + 1, message: `the code fence opened here is never closed: it swallows the rest of the document` });
    blocks.push({ line: index + 1, info, text: body.join("\n"), ...(pendingMarker !== undefined ? { walkthrough: pendingMarker } : {}) });
    pendingMarker = undefined;
    index = cursor;
  }
  if (pendingMarker !== undefined) problems.push({ line: pendingMarkerLine, message: "a walkthrough marker with no code block after it" });
  return { blocks, problems };
}

/** The walkthroughs by name, each with its blocks in document order. */
export function walkthroughs(blocks: FencedBlock[]): Map<string, FencedBlock[]> {
  const byName = new Map<string, FencedBlock[]>();
  for (const block of blocks) {
    if (block.walkthrough === undefined) continue;
    const list = byName.get(block.walkthrough.name) ?? [];
    list.push(block);
    byName.set(block.walkthrough.name, list);
  }
  return byName;
}
