import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { readFencedBlocks, walkthroughs } from "../support/markdown-blocks.js";

describe("readFencedBlocks (CommonMark fenced code blocks)", () => {
  test("reads blocks with their info string, line and walkthrough marker", () => {
    const { blocks, problems } = readFencedBlocks("# t\n\n<!-- walkthrough: curl -->\n```sh\necho 1\n```\n\n~~~\nplain\n~~~\n<!-- walkthrough: curl background -->\n\n````sh\nserve\n```\nstill inside\n````\n");
    assert.deepEqual(problems, []);
    assert.deepEqual(blocks.map((b) => [b.line, b.info, b.text, b.walkthrough]), [
      [4, "sh", "echo 1", { name: "curl", background: false }],
      [8, "", "plain", undefined],
      [13, "sh", "serve\n```\nstill inside", { name: "curl", background: true }],
    ]);
    assert.deepEqual([...walkthroughs(blocks).keys()], ["curl"]);
    assert.equal(walkthroughs(blocks).get("curl")!.length, 2);
  });

  test("an unclosed fence is a problem at its opening line (it swallows the rest of the document)", () => {
    const { problems } = readFencedBlocks("a\n```sh\ncurl x\n\n### Try e-cash\n");
    assert.deepEqual(problems.map((p) => p.line), [2]);
  });

  test("an opening fence with a language inside a block means the block before it was left open", () => {
    const { problems } = readFencedBlocks("```sh\ncurl x\n\n### Try e-cash\n\n```sh\nnpx obol\n```\n");
    assert.deepEqual(problems.map((p) => p.line), [1]);
  });

  test("a shorter or other-character fence does not close a block", () => {
    assert.equal(readFencedBlocks("````\n```\n~~~~\n").problems.length, 1);
    assert.equal(readFencedBlocks("~~~\n```\n~~~\n").problems.length, 0);
  });

  test("a walkthrough marker must be followed by a code block", () => {
    assert.equal(readFencedBlocks("<!-- walkthrough: x -->\ntext\n```\n```\n").problems.length, 1);
    assert.equal(readFencedBlocks("<!-- walkthrough: x -->\n").problems.length, 1);
  });
});
