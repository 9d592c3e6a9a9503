// Shows the answer of POST /api/v1/workloads (apply or ?dryRun=true): applied/admitted, policy violations and
// warnings, or a spec error marked at its line.
import { errorOf } from './api.js';
import { fill, h } from './dom.js';
import { errorPosition, positionLabel } from './editor.js';

export function showAdmission(el, response, editor) {
  const data = response.data ?? {};
  const warnings = Array.isArray(data.warnings) ? data.warnings : [];
  const parts = [];
  let kind;
  if (response.ok && data.dryRun) {
    kind = 'ok';
    parts.push(h('div', { class: 'headline' }, `Admitted: the dry run would ${data.operation} ${data.name}; nothing was applied.`));
  } else if (response.ok) {
    kind = 'ok';
    const what = data.created ? 'Created' : data.changed ? 'Updated' : 'Unchanged:';
    parts.push(h('div', { class: 'headline' }, `${what} ${data.name} (generation ${data.generation}).`));
  } else if (response.status === 403 && Array.isArray(data.violations)) {
    kind = 'error';
    parts.push(h('div', { class: 'headline' }, 'Denied by policy:'),
      h('ul', { class: 'violations' }, data.violations.map(v => h('li', null, h('strong', null, v.policy), `: ${v.message}`))));
  } else {
    kind = 'error';
    const at = errorPosition(data);
    parts.push(h('div', null, at ? positionLabel(at) : null, errorOf(response)));
    if (data.field) parts.push(h('div', { class: 'muted' }, `field: ${data.field}`));
    if (at) editor?.markError(at.line, at.column);
  }
  if (warnings.length)
    parts.push(h('div', { class: 'headline' }, 'Warnings:'), h('ul', { class: 'warnings' }, warnings.map(w => h('li', null, w))));
  el.className = `result ${kind}`;
  fill(el, parts);
}
