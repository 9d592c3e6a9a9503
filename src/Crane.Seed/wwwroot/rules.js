// Rules: view, validate and upload Prometheus alerting rules; promtool's error is shown (and marked at its line) on 400.
import { errorOf, get, request } from './api.js';
import { h, show, $ } from './dom.js';
import { Editor, errorPosition, positionLabel } from './editor.js';

let yaml;
let loaded = false;

export function init() {
  yaml = new Editor($('[data-editor=rules-yaml]'));
  $('#rules-form').addEventListener('submit', upload);
  $('#rules-reload').addEventListener('click', load);
  $('#rules-file').addEventListener('change', async e => {
    const file = e.target.files[0];
    if (file) yaml.value = await file.text();
  });
}

export function shown() {
  if (!loaded) load();
}

async function load() {
  const response = await get('/api/v1/rules');
  if (!response.ok) return show($('#rules-result'), 'error', errorOf(response));
  loaded = true;
  yaml.value = response.data;
  show($('#rules-result'), 'info', 'These are the rules Crane serves to Prometheus now.');
}

async function upload(e) {
  e.preventDefault();
  yaml.clearError();
  const response = await request('PUT', '/api/v1/rules', yaml.value, 'application/yaml');
  if (response.ok) {
    const { reloaded, note } = response.data;
    show($('#rules-result'), 'ok', `Valid; written${reloaded ? ' and Prometheus reloaded' : ''}.`, note ?? '');
    return;
  }
  const at = response.status === 400 ? errorPosition(response.data) : null;
  if (at) yaml.markError(at.line, at.column);
  show($('#rules-result'), 'error', h('span', null, at ? positionLabel(at) : null, errorOf(response)));
}
