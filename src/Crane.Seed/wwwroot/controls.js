// Controls: apply a spec, scale, rolling restart, delete, break a demo replica, cordon/uncordon/drain a node.
import { errorOf, request, workloadPath } from './api.js';
import { showAdmission } from './admission.js';
import { confirmAction, fill, h, plural, show, $ } from './dom.js';
import { Editor } from './editor.js';
import { refreshSoon, store, subscribe, workload } from './store.js';

const EXAMPLE = `name: hello
image: crane/demo:latest
replicas: 2
port: 8080
resources: {cpu: 0.1, memory: 32Mi}
health:
  readiness: {type: http, path: /ready, periodSeconds: 1}
`;

let spec;

export function init() {
  spec = new Editor($('[data-editor=apply-spec]'));
  spec.value = EXAMPLE;
  $('#apply-form').addEventListener('submit', e => { e.preventDefault(); apply(false); });
  $('#apply-dryrun').addEventListener('click', () => apply(true));
  $('#action-workload').addEventListener('change', syncReplicas);
  $('#workload-actions').addEventListener('submit', scale);
  $('#restart-run').addEventListener('click', restart);
  $('#delete-run').addEventListener('click', remove);
  $('#break-form').addEventListener('submit', breakReplica);
  $('#cordon-run').addEventListener('click', () => node('cordon'));
  $('#uncordon-run').addEventListener('click', () => node('uncordon'));
  $('#drain-run').addEventListener('click', () => node('drain'));
  subscribe(render);
}

/** #controls/NAME preselects that workload, now or once it is listed. */
export function shown(name) {
  if (!name) return;
  $('#action-workload').dataset.pick = name;
  render(store);
}

/** Rebuilds a select's options only when they change, so a choice in progress survives the refresh. */
function options(select, items) {
  const key = JSON.stringify(items);
  if (select.dataset.items === key) return;
  select.dataset.items = key;
  const keep = select.value;
  fill(select, items.length ? items.map(([value, label]) => h('option', { value }, label)) : h('option', { value: '' }, '—'));
  if (items.some(([value]) => value === keep)) select.value = keep;
}

function render({ workloads, nodes }) {
  const workloadSelect = $('#action-workload');
  const before = workloadSelect.value;
  options(workloadSelect, workloads.map(w => [w.name, w.name]));
  // The workload just applied, or named in #controls/NAME, becomes the one to act on once it is listed.
  const pick = workloadSelect.dataset.pick;
  if (pick && workloads.some(w => w.name === pick)) {
    workloadSelect.value = pick;
    delete workloadSelect.dataset.pick;
  }
  if (workloadSelect.value !== before) syncReplicas();
  options($('#break-replica'), workloads.flatMap(w => w.replicas.filter(r => r.hostPort).map(r =>
    [`${w.name}/${r.id}`, `${w.name} · ${r.id} (${r.node ?? 'unplaced'}, ${r.state}${r.ready ? ', ready' : ', not ready'})`])));
  options($('#action-node'), nodes.map(n => [n.name, `${n.name} (${n.status}, ${plural(n.replicas, 'replica')})`]));
}

function syncReplicas() {
  const w = workload($('#action-workload').value);
  if (w) $('#scale-replicas').value = w.desiredReplicas;
}

async function apply(dryRun) {
  spec.clearError();
  const response = await request('POST', `/api/v1/workloads${dryRun ? '?dryRun=true' : ''}`, spec.value, 'application/yaml');
  showAdmission($('#apply-result'), response, spec);
  if (response.ok && !dryRun) {
    refreshSoon();
    $('#action-workload').dataset.pick = response.data.name;
  }
}

function selectedWorkload() {
  const name = $('#action-workload').value;
  if (!name) show($('#action-result'), 'error', 'No workload to act on: apply one first.');
  return name;
}

async function scale(e) {
  e.preventDefault();
  const name = selectedWorkload();
  if (!name) return;
  const replicas = Number($('#scale-replicas').value);
  const response = await request('POST', `${workloadPath(name)}/scale`, { replicas });
  if (!response.ok) return show($('#action-result'), 'error', errorOf(response));
  const { replicas: allowed, limitedBy } = response.data;
  show($('#action-result'), 'ok', allowed === replicas
    ? `Scaling ${name} to ${plural(allowed, 'replica')}.`
    : `Scaling ${name} to ${allowed}, not ${replicas}: limited by ${limitedBy.join('; ')}.`);
  refreshSoon();
}

async function restart() {
  const name = selectedWorkload();
  if (!name) return;
  if (!await confirmAction(`Restart ${name}?`, 'Replaces every replica, one at a time, waiting for each new one to be ready.', 'Restart')) return;
  const response = await request('POST', `${workloadPath(name)}/restart`);
  if (!response.ok) return show($('#action-result'), 'error', errorOf(response));
  show($('#action-result'), 'ok', `Rolling restart of ${name} started (generation ${response.data.generation}).`);
  refreshSoon();
}

async function remove() {
  const name = selectedWorkload();
  if (!name) return;
  const count = workload(name)?.replicas.length ?? 0;
  if (!await confirmAction(`Delete ${name}?`, `Stops and removes its ${plural(count, 'replica')}. This cannot be undone.`, 'Delete')) return;
  const response = await request('DELETE', workloadPath(name));
  if (!response.ok) return show($('#action-result'), 'error', errorOf(response));
  show($('#action-result'), 'ok', `Deleted ${name}.`);
  refreshSoon();
}

async function breakReplica(e) {
  e.preventDefault();
  const choice = $('#break-replica').value;
  if (!choice) return show($('#break-result'), 'error', 'No replica with a published port to break.');
  const [name, id] = choice.split('/');
  const flip = $('#break-switch').value;
  const response = await request('POST', `${workloadPath(name)}/replicas/${encodeURIComponent(id)}/break`, { switch: flip });
  if (!response.ok) return show($('#break-result'), 'error', errorOf(response));
  show($('#break-result'), 'ok', `${name} · ${id}: ${flip === 'recover' ? 'switches cleared' : `switch '${flip}' set`} (${response.data.path} answered ${response.data.status}).`);
  refreshSoon();
}

async function node(action) {
  const name = $('#action-node').value;
  if (!name) return show($('#node-result'), 'error', 'No node has registered.');
  if (action === 'drain' && !await confirmAction(`Drain ${name}?`,
    `Cordons it and moves its ${plural(store.nodes.find(n => n.name === name)?.replicas ?? 0, 'replica')} to other nodes.`, 'Drain')) return;
  const response = await request('POST', `/api/v1/nodes/${encodeURIComponent(name)}/${action}`);
  if (!response.ok) return show($('#node-result'), 'error', errorOf(response));
  show($('#node-result'), 'ok', `${name} is ${response.data.status}.`);
  refreshSoon();
}
