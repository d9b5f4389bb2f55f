// The labelling page's keys: n, u, p and s press the negative, neutral, positive and skip
// buttons (each button names its key in `data-key`). Without this script the buttons work
// alone. One key per item: the page that follows the post shows the next one.
'use strict';
let sent = false;
document.addEventListener('keydown', (event) => {
  if (sent || event.ctrlKey || event.metaKey || event.altKey || event.repeat) return;
  const target = event.target;
  if (target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName))) {
    return;
  }
  const button = document.querySelector(`button[data-key="${event.key.toLowerCase()}"]`);
  if (!button) return;
  event.preventDefault();
  sent = true;
  button.click();
});
