// Events: the live stream of /api/v1/events/stream, filtered in the page by workload, type and reason.
// The stream names each message after its reason (event: ScaledUp), and EventSource only delivers named messages to
// listeners registered for that exact name, so the stream is read with fetch and parsed here; a reconnect sends
// Last-Event-ID as EventSource would, so nothing is missed or repeated.
import { badge, fill, formatTime, h, $ } from './dom.js';
import { refreshSoon, subscribe } from './store.js';
import { withToken } from './api.js';

const KEEP = 2000;
const SHOW = 500;
const received = [];
const reasons = new Set();
let lastId = null;

export function init() {
  const form = $('#event-filters');
  form.addEventListener('input', renderAll);
  form.addEventListener('reset', () => setTimeout(renderAll));
  form.addEventListener('submit', e => e.preventDefault());
  subscribe(({ workloads }) => {
    const names = workloads.map(w => w.name).join('\n');
    const list = $('#workload-names');
    if (list.dataset.names !== names) {
      list.dataset.names = names;
      fill(list, workloads.map(w => h('option', { value: w.name })));
    }
  });
  follow();
}

export function shown(workload) {
  if (workload) {
    $('#filter-workload').value = workload;
    renderAll();
  }
}

function filters() {
  return {
    workload: $('#filter-workload').value.trim(),
    type: $('#filter-type').value,
    reason: $('#filter-reason').value.trim().toLowerCase(),
  };
}

/** Replica events name their workload in details, as the API's ?workload= filter reads them. */
const workloadOf = e => (e.object?.kind === 'Workload' ? e.object.name : e.details?.workload) ?? '';

function matches(e, f) {
  return (!f.workload || workloadOf(e).includes(f.workload))
    && (!f.type || e.type === f.type)
    && (!f.reason || e.reason.toLowerCase().includes(f.reason));
}

function row(e) {
  return h('tr', { class: e.type === 'Warning' ? 'warning' : null, dataset: { id: e.id, reason: e.reason, workload: workloadOf(e) } },
    h('td', { class: 'time', title: e.time }, formatTime(e.time)),
    h('td', null, badge(e.type)),
    h('td', { class: 'reason' }, e.reason),
    h('td', null, e.object ? `${e.object.kind}/${e.object.name}` : '',
      e.object?.kind !== 'Workload' && workloadOf(e) ? h('span', { class: 'muted' }, ` · ${workloadOf(e)}`) : null),
    h('td', null, e.node ?? ''),
    h('td', { class: 'message' }, e.message));
}

function renderAll() {
  const f = filters();
  const shown = [];
  for (let i = received.length - 1; i >= 0 && shown.length < SHOW; i--)
    if (matches(received[i], f)) shown.push(row(received[i]));
  fill($('#events tbody'), shown);
  count(shown.length);
}

function count(shownCount) {
  $('#event-count').textContent = `${shownCount} shown of ${received.length} received`;
}

function add(e) {
  received.push(e);
  if (received.length > KEEP) received.splice(0, received.length - KEEP);
  if (!reasons.has(e.reason)) {
    reasons.add(e.reason);
    fill($('#event-reasons'), [...reasons].sort().map(r => h('option', { value: r })));
  }
  const body = $('#events tbody');
  if (matches(e, filters())) {
    body.prepend(row(e));
    while (body.rows.length > SHOW) body.lastElementChild.remove();
  }
  count(body.rows.length);
  if (workloadOf(e) || e.node) refreshSoon();
}

function setLive(live, text) {
  const pill = $('#live');
  pill.className = `pill ${live ? 'on' : 'off'}`;
  pill.textContent = text;
}

async function follow() {
  let delay = 500;
  for (;;) {
    try {
      const headers = withToken({ Accept: 'text/event-stream' });
      if (lastId) headers['Last-Event-ID'] = lastId;
      const response = await fetch('/api/v1/events/stream', { headers, cache: 'no-store' });
      if (!response.ok || !response.body) throw new Error(`the event stream answered ${response.status}`);
      setLive(true, 'live');
      delay = 500;
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value.replace(/\r\n?/g, '\n');
        let end;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          dispatch(buffer.slice(0, end));
          buffer = buffer.slice(end + 2);
        }
      }
    } catch (e) {
      console.warn('event stream:', e.message);
    }
    setLive(false, 'reconnecting…');
    await new Promise(resolve => setTimeout(resolve, delay));
    delay = Math.min(delay * 2, 10_000);
  }
}

/** One SSE message: "id:", "event:" and "data:" lines; comments (":") are keep-alives. */
function dispatch(block) {
  let id = null;
  const data = [];
  for (const line of block.split('\n')) {
    if (line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'id') id = value;
    else if (field === 'data') data.push(value);
  }
  if (id) lastId = id;
  if (!data.length) return;
  try {
    add(JSON.parse(data.join('\n')));
  } catch (e) {
    console.warn('event stream: not JSON', e);
  }
}
