// Cluster: Akka members (roles, status, reachability, leader, singletons, shards) and node capacity against allocation.
import { badge, fill, formatBytes, formatCpu, h, plural, $ } from './dom.js';
import { subscribe } from './store.js';

export function init() {
  subscribe(render);
}

/** akka.tcp://crane@127.0.0.1:4053 → 127.0.0.1:4053, the form nodes register with. */
const hostPort = address => address.replace(/^[^/]*:\/\/[^@]*@/, '');

function render({ cluster, nodes }) {
  if (!cluster) return;
  const nodesAt = new Map();
  for (const node of nodes) nodesAt.set(node.address, [...(nodesAt.get(node.address) ?? []), node]);
  // A region reports itself under its local address (no host), which is this seed's.
  const shards = new Map(Object.entries(cluster.sharding?.workload ?? {}).map(([address, s]) => [address.includes('@') ? address : cluster.self, s]));

  const up = cluster.members.filter(m => m.status === 'Up').length;
  fill($('#cluster-summary'),
    `${plural(cluster.members.length, 'member')} (${up} up), ${plural(cluster.unreachable.length, 'unreachable member')}; leader `,
    h('code', null, cluster.leader ? hostPort(cluster.leader) : 'none'), '; this seed ', h('code', null, hostPort(cluster.self)));

  fill($('#members tbody'), cluster.members.map(member => {
    const singletons = Object.entries(cluster.singletons ?? {}).filter(([, at]) => at === member.address).map(([name]) => name);
    const stats = shards.get(member.address);
    return h('tr', { dataset: { member: member.address } },
      h('td', null, h('code', null, hostPort(member.address)),
        member.address === cluster.leader ? badge('leader', 'info') : null,
        member.address === cluster.self ? badge('this seed', 'muted') : null),
      h('td', { class: 'node' }, (nodesAt.get(hostPort(member.address)) ?? []).map(n => h('span', { class: 'chip' }, n.name))),
      h('td', null, member.roles.map(role => badge(role, 'role'))),
      h('td', null, badge(member.status)),
      h('td', null, member.reachable ? badge('reachable', 'ok') : badge('unreachable', 'warning')),
      h('td', null, singletons.length ? singletons.join(', ') : '–'),
      h('td', { class: 'num' }, stats?.shards ?? '–'),
      h('td', { class: 'num' }, stats?.entities ?? '–'));
  }));

  fill($('#nodes'), nodes.map(node => h('article', { class: 'card', dataset: { node: node.name } },
    h('header', null, h('strong', null, node.name), badge(node.status)),
    h('div', { class: 'muted' }, h('code', null, node.address), ` · ${node.runtimes.join(', ')} · ${plural(node.replicas, 'replica')}`),
    Object.keys(node.labels ?? {}).length
      ? h('div', null, Object.entries(node.labels).map(([k, v]) => h('span', { class: 'chip' }, `${k}=${v}`)))
      : null,
    meter('CPU', node.allocated.cpu, node.capacity.cpu, v => `${formatCpu(v)}`, 'cores'),
    meter('Memory', node.allocated.memory, node.capacity.memory, formatBytes, ''))));
  if (!nodes.length) fill($('#nodes'), h('p', { class: 'muted' }, 'No node has registered yet.'));
}

function meter(title, used, capacity, format, unit) {
  const percent = capacity > 0 ? Math.min(100, (used / capacity) * 100) : 0;
  const level = percent >= 90 ? 'high' : percent >= 70 ? 'mid' : 'low';
  return h('div', { class: 'meter' },
    h('div', { class: 'meter-label' }, h('span', null, title),
      h('span', null, `${format(used)} / ${format(capacity)}${unit ? ` ${unit}` : ''} allocated (${Math.round(percent)}%)`)),
    h('div', { class: `bar ${level}`, role: 'meter', 'aria-valuenow': Math.round(percent), 'aria-valuemin': 0, 'aria-valuemax': 100, 'aria-label': title },
      h('div', { class: 'fill', style: `width: ${percent.toFixed(1)}%` })));
}
