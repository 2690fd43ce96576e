import { test } from "node:test";
import assert from "node:assert/strict";
import { Mutex } from "../../src/db/mutex.js";

test("mutex hands out the lock one holder at a time, in request order", async () => {
  const mutex = new Mutex();
  const events: string[] = [];
  const holders = ["a", "b", "c"].map(async (name) => {
    const release = await mutex.acquire();
    events.push(`${name}+`);
    await new Promise((resolve) => setImmediate(resolve));
    events.push(`${name}-`);
    release();
  });
  await Promise.all(holders);
  assert.deepEqual(events, ["a+", "a-", "b+", "b-", "c+", "c-"]);
  assert.equal(mutex.waitingCount, 0);
});

test("releasing twice does not free someone else's lock", async () => {
  const mutex = new Mutex();
  const releaseFirst = await mutex.acquire();
  const second = mutex.acquire();
  releaseFirst();
  const releaseSecond = await second;
  releaseFirst(); // stale release: must be a no-op
  let thirdAcquired = false;
  const third = mutex.acquire().then((release) => {
    thirdAcquired = true;
    return release;
  });
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(thirdAcquired, false);
  releaseSecond();
  (await third)();
  assert.equal(thirdAcquired, true);
});
