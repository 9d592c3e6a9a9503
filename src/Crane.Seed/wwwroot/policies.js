// Policies: list, view, upload or edit a Rego module (compile errors marked at their line), delete, and an admission
// dry run of a spec.
import { errorOf, get, request } from './api.js';
import { showAdmission } from './admission.js';
import { badge, confirmAction, fill, h, show, $ } from './dom.js';
import { Editor, errorPosition, positionLabel } from './editor.js';

let source, dryRunSpec;
let policies = [];

const policyPath = id => `/api/v1/policies/${encodeURIComponent(id)}`;

export function init() {
  source = new Editor($('[data-editor=policy-source]'));
  dryRunSpec = new Editor($('[data-editor=dryrun-spec]'));
  dryRunSpec.value = 'name: web\nimage: nginx:latest\nreplicas: 2\nresources: {cpu: 0.1, memory: 64Mi}\n';
  $('#policy-form').addEventListener('submit', upload);
  $('#policy-delete').addEventListener('click', remove);
  $('#policy-new').addEventListener('click', () => edit('', 'deny', ''));
  $('#policy-file').addEventListener('change', async e => {
    const file = e.target.files[0];
    if (!file) return;
    source.value = await file.text();
    if (!$('#policy-id').value) $('#policy-id').value = file.name.replace(/\.rego$/, '').replace(/[^A-Za-z0-9._-]/g, '-');
  });
  $('#dryrun-form').addEventListener('submit', dryRun);
}

export function shown() {
  load();
}

async function load() {
  const response = await get('/api/v1/policies');
  if (!response.ok) return show($('#policy-result'), 'error', errorOf(response));
  policies = response.data;
  const current = $('#policy-id').value;
  fill($('#policy-list'), policies.length
    ? policies.map(p => h('li', null, h('button', {
        type: 'button', class: p.id === current ? 'link selected' : 'link', dataset: { policy: p.id }, onclick: () => open(p),
      }, p.id, badge(p.enforcement, p.enforcement === 'Deny' ? 'warning' : 'muted'))))
    : h('li', { class: 'muted' }, 'No policies: everything is admitted.'));
}

async function open(policy) {
  const response = await get(policyPath(policy.id));
  if (!response.ok) return show($('#policy-result'), 'error', errorOf(response));
  edit(policy.id, String(policy.enforcement).toLowerCase(), response.data);
  load();
}

function edit(id, enforcement, text) {
  $('#policy-id').value = id;
  $('#policy-enforcement').value = enforcement;
  source.value = text;
  fill($('#policy-result'));
  $('#policy-result').className = 'result';
}

async function upload(e) {
  e.preventDefault();
  const id = $('#policy-id').value.trim();
  const enforcement = $('#policy-enforcement').value;
  const response = await request('PUT', `${policyPath(id)}?enforcement=${enforcement}`, source.value, 'text/plain');
  if (response.ok) {
    source.clearError();
    show($('#policy-result'), 'ok', `Loaded ${response.data.id} (${String(response.data.enforcement).toLowerCase()}).`);
    load();
    return;
  }
  const at = errorPosition(response.data);
  if (at) {
    source.markError(at.line, at.column);
    show($('#policy-result'), 'error', h('span', null, positionLabel(at), errorOf(response)));
  } else {
    show($('#policy-result'), 'error', errorOf(response));
  }
}

async function remove() {
  const id = $('#policy-id').value.trim();
  if (!id || !policies.some(p => p.id === id)) return show($('#policy-result'), 'error', 'Open a policy from the list first.');
  if (!await confirmAction(`Delete policy ${id}?`, 'Admission, scheduling and scaling stop evaluating it at once.', 'Delete')) return;
  const response = await request('DELETE', policyPath(id));
  if (!response.ok) return show($('#policy-result'), 'error', errorOf(response));
  edit('', 'deny', '');
  show($('#policy-result'), 'ok', `Deleted ${id}.`);
  load();
}

async function dryRun(e) {
  e.preventDefault();
  dryRunSpec.clearError();
  const response = await request('POST', '/api/v1/workloads?dryRun=true', dryRunSpec.value, 'application/yaml');
  showAdmission($('#dryrun-result'), response, dryRunSpec);
}
