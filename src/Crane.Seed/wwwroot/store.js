// The cluster state the views render: polled from the API every two seconds (sooner after an action or an event),
// plus the per-workload history the charts draw, sampled while the page is open.
import { errorOf, get } from './api.js';

const PERIOD_MS = 2000;
const HISTORY = 900; // 30 minutes of 2 s samples

export const store = { workloads: [], nodes: [], cluster: null, error: null, updated: null, history: new Map() };

const listeners = new Set();
let timer = null, running = false, again = false, soon = null;

export function subscribe(listener) {
  listeners.add(listener);
}

export async function refresh() {
  if (running) { again = true; return; }
  running = true;
  clearTimeout(timer);
  try {
    const [workloads, nodes, cluster] = await Promise.all([get('/api/v1/workloads'), get('/api/v1/nodes'), get('/api/v1/cluster')]);
    const failed = [workloads, nodes, cluster].find(r => !r.ok);
    store.error = failed ? errorOf(failed) : null;
    if (workloads.ok) { store.workloads = workloads.data; sample(workloads.data); }
    if (nodes.ok) store.nodes = nodes.data;
    if (cluster.ok) store.cluster = cluster.data;
    store.updated = new Date();
    for (const listener of listeners) {
      try { listener(store); } catch (e) { console.error(e); }
    }
  } finally {
    running = false;
    timer = setTimeout(refresh, again ? 0 : PERIOD_MS);
    again = false;
  }
}

/** After an action or an event: refresh now-ish, coalescing bursts. */
export function refreshSoon() {
  clearTimeout(soon);
  soon = setTimeout(refresh, 200);
}

export const workload = name => store.workloads.find(w => w.name === name);

function sample(workloads) {
  const t = Date.now();
  for (const w of workloads) {
    const points = store.history.get(w.name) ?? [];
    const autoscaler = w.autoscaler;
    points.push({
      t,
      desired: w.desiredReplicas,
      ready: w.readyReplicas,
      metric: autoscaler?.currentValue ?? null,
      target: autoscaler?.target ?? null,
    });
    if (points.length > HISTORY) points.splice(0, points.length - HISTORY);
    store.history.set(w.name, points);
  }
  for (const name of store.history.keys())
    if (!workloads.some(w => w.name === name)) store.history.delete(name);
}
