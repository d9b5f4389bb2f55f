// The room's artifacts and voices: a letter attached to a touchpoint shows as an image under
// its stage in the room, and a call recording uploaded through the item page's form plays
// there (the browser reads its duration); a viewer's browser is refused the recording. The
// pages pass axe-core with no serious or critical violation.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';

import { axeViolations, browserMissing, emailOf, room, screenshots, signIn, trove } from './lib.mjs';

const skip = browserMissing() ?? false;
let r;
let dir;

before(async () => {
  if (skip) return;
  r = await room();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trove-artifacts-'));
});
after(async () => {
  await r?.close();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

/// Half a second of a 440 Hz tone as a 16-bit mono WAV at 8 kHz.
function toneWav() {
  const rate = 8000;
  const samples = rate / 2;
  const wav = Buffer.alloc(44 + samples * 2);
  wav.write('RIFF', 0);
  wav.writeUInt32LE(36 + samples * 2, 4);
  wav.write('WAVEfmt ', 8);
  wav.writeUInt32LE(16, 16);
  wav.writeUInt16LE(1, 20);
  wav.writeUInt16LE(1, 22);
  wav.writeUInt32LE(rate, 24);
  wav.writeUInt32LE(rate * 2, 28);
  wav.writeUInt16LE(2, 32);
  wav.writeUInt16LE(16, 34);
  wav.write('data', 36);
  wav.writeUInt32LE(samples * 2, 40);
  for (let n = 0; n < samples; n++) {
    wav.writeInt16LE(Math.round(Math.sin((2 * Math.PI * 440 * n) / rate) * 8000), 44 + n * 2);
  }
  return wav;
}

test('a letter shows under its stage and a recording plays on its item', { skip }, async () => {
  const analyst = await signIn(r, 'analyst');
  // The letter: a page of text rendered to PNG by the browser itself.
  await analyst.setContent('<main style="font:16px serif;padding:24px;width:360px"><h1>Welcome to Northwind</h1><p>Your policy documents are enclosed.</p></main>');
  const letter = path.join(dir, 'welcome-letter.png');
  fs.writeFileSync(letter, await analyst.screenshot({ clip: { x: 0, y: 0, width: 420, height: 200 } }));
  const printed = trove(['artifact', 'add', letter, '--touchpoint', 'welcome-pack', '--note', 'The welcome letter', '--db', r.db, '--as', emailOf(r, 'analyst')]);
  assert.match(printed, /attached file 1 \(welcome-letter\.png, image\/png/);

  await analyst.goto(`${r.origin}/items/1`);
  await analyst.getByLabel(/Attach a file to this item/).setInputFiles({ name: 'call.wav', mimeType: 'audio/wav', buffer: toneWav() });
  await analyst.getByLabel('What it is').fill('The customer calls about the payout');
  await Promise.all([analyst.waitForURL(`${r.origin}/items/1`), analyst.getByRole('button', { name: 'Attach', exact: true }).click()]);
  const duration = await analyst.locator('audio').evaluate(
    (audio) => new Promise((resolve, reject) => {
      if (audio.readyState >= 1) return resolve(audio.duration);
      audio.addEventListener('loadedmetadata', () => resolve(audio.duration), { once: true });
      audio.addEventListener('error', () => reject(new Error('the recording did not load')), { once: true });
      audio.load();
    }),
  );
  assert.ok(Math.abs(duration - 0.5) < 0.01, `the recording lasts half a second, read ${duration}`);
  assert.deepEqual(await axeViolations(analyst), []);
  await screenshots(analyst, 'item');

  await analyst.goto(`${r.origin}/`);
  const image = analyst.locator('.stage .artifact img').first();
  await image.scrollIntoViewIfNeeded();
  assert.equal(await image.getAttribute('alt'), 'The welcome letter');
  assert.equal(await image.evaluate((img) => img.complete && img.naturalWidth), 420);

  await analyst.goto(`${r.origin}/artifacts`);
  assert.deepEqual(await axeViolations(analyst), []);
  await screenshots(analyst, 'artifacts');

  const viewer = await signIn(r, 'viewer');
  const refused = await viewer.request.get(`${r.origin}/artifacts/2`);
  assert.equal(refused.status(), 403);
  const shown = await viewer.request.get(`${r.origin}/artifacts/1`);
  assert.equal(shown.status(), 200);
  assert.equal(shown.headers()['content-type'], 'image/png');
});
