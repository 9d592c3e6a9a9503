// Workloads: ready/desired, replicas per node, restarts, pending reasons, autoscaler status, and a chart of replicas
// and the scaling metric sampled while the page is open.
import { lineChart } from './chart.js';
import { badge, fill, formatBytes, formatCpu, formatTime, h, plural, $ } from './dom.js';
import { store, subscribe, workload } from './store.js';

let selected = null;

export function init() {
  subscribe(render);
}

export function shown(name) {
  selected = name;
  render(store);
}

function render({ workloads }) {
  $('#workloads-empty').hidden = workloads.length > 0;
  fill($('#workloads tbody'), workloads.map(w => {
    const restarts = w.replicas.reduce((sum, r) => sum + r.restarts, 0);
    const pending = [...new Set(w.replicas.map(r => r.pendingReason).filter(Boolean))];
    return h('tr', { dataset: { workload: w.name }, class: w.name === selected ? 'selected' : null },
      h('td', { class: 'name' }, h('a', { href: `#workloads/${encodeURIComponent(w.name)}` }, w.name)),
      h('td', { class: `ready ${w.readyReplicas >= w.desiredReplicas ? 'ok' : 'warning'}` }, `${w.readyReplicas}/${w.desiredReplicas}`),
      h('td', { class: 'per-node' }, perNode(w.replicas).map(([node, count]) => h('span', { class: 'chip' }, `${node} ×${count}`))),
      h('td', { class: 'restarts num' }, restarts),
      h('td', { class: 'pending' }, pending.map(reason => h('div', { class: 'reason' }, reason))),
      h('td', { class: 'autoscaler' }, autoscalerSummary(w.autoscaler)),
      h('td', { class: 'num' }, w.generation));
  }));
  renderDetail(selected ? workload(selected) : null);
}

function perNode(replicas) {
  const counts = new Map();
  for (const r of replicas) counts.set(r.node ?? 'unplaced', (counts.get(r.node ?? 'unplaced') ?? 0) + 1);
  return [...counts].sort(([a], [b]) => a.localeCompare(b));
}

const metricValue = (a, v) => v == null ? '–' : `${+v.toFixed(1)}${['cpu', 'memory'].includes(a.metric) ? '%' : ''}`;

function autoscalerSummary(a) {
  if (!a) return '–';
  return `${a.metric} ${metricValue(a, a.currentValue)} / ${metricValue(a, a.target)} → ${a.desiredReplicas}`;
}

function renderDetail(w) {
  const detail = $('#workload-detail');
  if (!w) {
    fill(detail, selected ? h('p', { class: 'muted' }, `Workload ${selected} does not exist (any more).`) : null);
    return;
  }
  const spec = w.spec;
  const resources = spec.resources ? `${formatCpu(spec.resources.cpu)} cpu, ${formatBytes(spec.resources.memory)}` : 'no limits';
  fill(detail, h('article', { class: 'card wide', dataset: { workload: w.name } },
    h('header', null, h('h3', null, w.name), badge(`${w.readyReplicas}/${w.desiredReplicas} ready`, w.readyReplicas >= w.desiredReplicas ? 'ok' : 'warning'),
      h('a', { href: `#controls/${encodeURIComponent(w.name)}`, class: 'button' }, 'Scale, restart, delete…')),
    h('div', { class: 'muted' }, h('code', null, spec.image), ` · ${resources}`, spec.port ? ` · port ${spec.port}` : '',
      ` · generation ${w.generation}`),
    w.loadBalancer ? h('div', null, 'Load balancer: ', h('code', null, `${w.loadBalancer.url.replace(/\/$/, '')}${w.loadBalancer.pathPrefix}`),
      ` (Host: ${w.loadBalancer.host}, ${plural(w.loadBalancer.endpoints, 'endpoint')})`) : null,
    autoscalerDetail(w.autoscaler),
    chart(w),
    h('table', { class: 'replicas' },
      h('thead', null, h('tr', null, ['Replica', 'Node', 'State', 'Ready', 'Port', 'Restarts', 'Why'].map(t => h('th', null, t)))),
      h('tbody', null, w.replicas.map(r => h('tr', { dataset: { replica: r.id } },
        h('td', null, h('code', null, r.id)),
        h('td', null, r.node ?? '–'),
        h('td', { class: 'state' }, badge(r.state)),
        h('td', { class: 'ready' }, r.ready ? badge('ready', 'ok') : badge('not ready', 'warning')),
        h('td', { class: 'num' }, r.hostPort ?? '–'),
        h('td', { class: 'num' }, r.restarts),
        h('td', { class: 'reason' }, r.pendingReason ?? r.message ?? '')))))));
}

function autoscalerDetail(a) {
  if (!a) return null;
  return h('div', { class: 'autoscaler-detail' },
    h('div', null, h('strong', null, 'Autoscaler: '),
      `${a.metric} at ${metricValue(a, a.currentValue)} for a target of ${metricValue(a, a.target)}; `,
      `${a.currentReplicas} → ${a.desiredReplicas} replicas`,
      a.lastScaleTime ? `; last scaled ${formatTime(a.lastScaleTime)}` : '', `; synced ${formatTime(a.lastSyncTime)}`),
    a.message ? h('div', { class: 'muted' }, a.message) : null,
    h('table', { class: 'conditions' },
      h('tbody', null, a.conditions.map(c => h('tr', null,
        h('td', null, c.type), h('td', null, badge(c.status ? 'True' : 'False', c.status ? 'ok' : 'muted')),
        h('td', null, c.reason), h('td', { class: 'muted' }, c.message))))));
}

function chart(w) {
  const points = store.history.get(w.name) ?? [];
  if (points.length < 2) return h('p', { class: 'muted chart-note' }, 'The chart fills in while this page is open (a sample every 2 s).');
  const series = [
    { name: 'ready replicas', color: '#2f9e5b', axis: 'left', step: true, points: points.map(p => ({ t: p.t, v: p.ready })) },
    { name: 'desired replicas', color: '#3b6fd8', axis: 'left', step: true, dashed: true, points: points.map(p => ({ t: p.t, v: p.desired })) },
  ];
  const metric = w.autoscaler?.metric;
  if (points.some(p => p.metric != null || p.target != null)) {
    series.push({ name: `${metric} (current)`, color: '#e8590c', axis: 'right', points: points.map(p => ({ t: p.t, v: p.metric })) });
    series.push({ name: `${metric} (target)`, color: '#e8590c', axis: 'right', dashed: true, step: true, points: points.map(p => ({ t: p.t, v: p.target })) });
  }
  return h('figure', { class: 'chart-box', dataset: { samples: points.length } },
    lineChart(series, { leftTitle: 'replicas', rightTitle: ['cpu', 'memory'].includes(metric) ? `${metric} % of request` : metric ?? '' }),
    h('figcaption', null, series.map(s => h('span', { class: 'legend' },
      h('i', { style: `border-color: ${s.color}; border-style: ${s.dashed ? 'dashed' : 'solid'}` }), s.name))));
}
