// The chronic ranking (`/ranking`): the demo's planted chronic issues are ranked, every issue
// can be followed to its items, and the page passes axe-core with no serious or critical
// violation. Skips, saying so, while the page answers 404 (not built yet).

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { axeViolations, browserMissing, missing, room, screenshots, signIn } from './lib.mjs';

const skip = browserMissing() ?? false;
let r;
let page;
let absent = false;

before(async () => {
  if (skip) return;
  r = await room();
  page = await signIn(r, 'viewer');
  absent = await missing(page, '/ranking');
  if (!absent) await page.goto(`${r.origin}/ranking`);
});
after(async () => {
  await r?.close();
});

const notYet = (t) => {
  if (absent) t.skip('/ranking answers 404: the ranking page is not built yet');
  return absent;
};

test("the ranking lists the demo's planted chronic issues, with links to their items", { skip }, async (t) => {
  if (notYet(t)) return;
  await screenshots(page, 'ranking');
  const text = await page.locator('main').innerText();
  for (const issue of r.planted) {
    assert.ok(text.includes(issue.name), `${issue.name} is on the ranking`);
  }
  const drills = await page.locator('main a[href^="/items?"]').count();
  assert.ok(drills >= r.planted.length, `numbers link to their items (${drills} links to /items)`);
});

test('the ranking has no serious or critical accessibility violation', { skip }, async (t) => {
  if (notYet(t)) return;
  assert.deepEqual(await axeViolations(page), []);
});
