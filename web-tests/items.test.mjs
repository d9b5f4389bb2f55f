// The drill-down (`/items`): a number of the room or the ranking that links to its items leads
// to a page that says exactly that many items, and whose CSV export has exactly that many rows
// (one per item); the page passes axe-core with no serious or critical violation. Skips,
// saying so, while the page answers 404 (not built yet).

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { axeViolations, browserMissing, csvRecords, missing, room, screenshots, signIn } from './lib.mjs';

const skip = browserMissing() ?? false;
let r;
let page;
let absent = false;

before(async () => {
  if (skip) return;
  r = await room();
  page = await signIn(r, 'analyst');
  absent = await missing(page, '/items');
});
after(async () => {
  await r?.close();
});

const notYet = (t) => {
  if (absent) t.skip('/items answers 404: the drill-down page is not built yet');
  return absent;
};

/// Links to /items whose text is a count ("1,144" or "1,144 items"), from the pages given
/// (those that answer 200): [{ from, href, count }].
async function countLinks(paths) {
  const links = [];
  for (const path of paths) {
    const reply = await page.goto(`${r.origin}${path}`);
    if (reply.status() !== 200) continue;
    const found = await page.locator('a[href^="/items?"]').evaluateAll((els) =>
      els.map((a) => ({ href: a.getAttribute('href'), text: a.textContent.trim().replace(/\s+/g, ' ') })),
    );
    for (const { href, text } of found) {
      const count = text.match(/^(\d[\d,]*)( items?)?$/);
      if (count) links.push({ from: path, href, count: Number(count[1].replaceAll(',', '')) });
    }
  }
  return links;
}

/// A few of the links: the three largest and the three smallest counts, each once.
function sample(links) {
  const sorted = [...links].sort((a, b) => a.count - b.count);
  const picked = [...sorted.slice(0, 3), ...sorted.slice(-3)];
  return picked.filter((link, i) => picked.findIndex((l) => l.href === link.href) === i);
}

test("a number's drill-down shows exactly that many items", { skip }, async (t) => {
  if (notYet(t)) return;
  const links = await countLinks(['/', '/ranking']);
  if (links.length === 0) {
    t.skip('no count on the room or the ranking links to /items yet');
    return;
  }
  for (const link of sample(links)) {
    await page.goto(`${r.origin}${link.href}`);
    const text = await page.locator('main').innerText();
    const shown = link.count.toLocaleString('en-US');
    assert.ok(text.includes(shown), `the drill-down of ${link.href} (a count of ${link.from}) says ${shown}`);
    const csv = page.locator('main a[href*="csv" i]').first();
    assert.ok((await csv.count()) > 0, `the drill-down of ${link.href} offers its CSV export`);
    const reply = await page.request.get(new URL(await csv.getAttribute('href'), page.url()).href);
    assert.equal(reply.status(), 200);
    const rows = csvRecords(await reply.text()) - 1;
    assert.equal(rows, link.count, `the CSV of ${link.href} has one row per item`);
  }
});

test('the drill-down has no serious or critical accessibility violation', { skip }, async (t) => {
  if (notYet(t)) return;
  await page.goto(`${r.origin}/items?theme=claim-payout-delay`);
  await screenshots(page, 'items');
  assert.deepEqual(await axeViolations(page), []);
});
