// The Customer Room on the demo: every stage of the journey, left to right, and the demo's
// planted chronic issues each under its own stage; looked at on a laptop and a phone, and
// checked with axe-core (no serious or critical violation).

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { axeViolations, browserMissing, room, screenshots, signIn, stages } from './lib.mjs';

const skip = browserMissing() ?? false;
let r;
let page;

before(async () => {
  if (skip) return;
  r = await room();
  page = await signIn(r, 'viewer');
});
after(async () => {
  await r?.close();
});

/// The text of each stage's column: from the stage's heading up to the largest element that
/// holds no other stage's heading.
async function columns(names) {
  return page.evaluate((names) => {
    const headings = [...document.querySelectorAll('h1, h2, h3, h4')];
    const stageHeading = (name) => headings.find((h) => h.textContent.trim() === name);
    const isStageHeading = (el) => names.includes(el.textContent.trim());
    return names.map((name) => {
      const heading = stageHeading(name);
      if (!heading) return null;
      let column = heading;
      while (column.parentElement) {
        const parent = column.parentElement;
        const others = [...parent.querySelectorAll('h1, h2, h3, h4')].filter((h) => h !== heading && isStageHeading(h));
        if (others.length > 0) break;
        column = parent;
      }
      return { name, text: column.innerText, left: heading.getBoundingClientRect().left, top: heading.getBoundingClientRect().top };
    });
  }, names);
}

test('the room shows every stage, in the journey order', { skip }, async () => {
  const journey = stages(r.db);
  assert.ok(journey.length >= 5, `the demo journey has its stages: ${JSON.stringify(journey)}`);
  const found = await columns(journey.map((s) => s.name));
  found.forEach((column, i) => assert.ok(column, `stage ${journey[i].name} has a heading in the room`));
  for (let i = 1; i < found.length; i += 1) {
    const [a, b] = [found[i - 1], found[i]];
    assert.ok(a.left < b.left || a.top < b.top, `${a.name} comes before ${b.name}`);
  }
  await screenshots(page, 'room');
});

test("the demo's planted chronic issues are under their stages", { skip }, async () => {
  const journey = stages(r.db);
  assert.equal(r.planted.length, 3, `the demo prints its three planted chronic issues`);
  const found = await columns(journey.map((s) => s.name));
  for (const issue of r.planted) {
    const stage = journey.find((s) => s.id === issue.stage);
    assert.ok(stage, `stage ${issue.stage} of ${issue.id} is in the journey`);
    const column = found.find((c) => c?.name === stage.name);
    assert.ok(column.text.includes(issue.name), `${issue.name} is under ${stage.name}:\n${column.text}`);
    for (const other of found.filter((c) => c && c.name !== stage.name)) {
      assert.ok(!other.text.includes(issue.name), `${issue.name} is not under ${other.name} too`);
    }
  }
});

test('the room has no serious or critical accessibility violation', { skip }, async () => {
  assert.deepEqual(await axeViolations(page), []);
});
