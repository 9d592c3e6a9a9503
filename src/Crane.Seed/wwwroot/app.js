// CraneUI: tabs by location.hash (#view or #view/argument), one polled store, one live event stream.
import { $ } from './dom.js';
import { refresh, subscribe } from './store.js';
import { hasToken, onUnauthorized, setToken } from './api.js';
import * as cluster from './cluster.js';
import * as workloads from './workloads.js';
import * as events from './events.js';
import * as policies from './policies.js';
import * as rules from './rules.js';
import * as controls from './controls.js';

const views = { cluster, workloads, events, policies, rules, controls };

function route() {
  const [name, ...rest] = location.hash.slice(1).split('/');
  const view = Object.hasOwn(views, name) ? name : 'cluster';
  const argument = rest.length ? decodeURIComponent(rest.join('/')) : null;
  for (const section of document.querySelectorAll('.view')) section.hidden = section.id !== `view-${view}`;
  for (const tab of document.querySelectorAll('#tabs a')) {
    if (tab.dataset.view === view) tab.setAttribute('aria-current', 'page');
    else tab.removeAttribute('aria-current');
  }
  document.title = `CraneUI · ${view}`;
  views[view].shown?.(argument);
}

for (const view of Object.values(views)) view.init();
subscribe(({ error }) => {
  const banner = $('#banner');
  banner.hidden = !error;
  banner.textContent = error ? `The API answered with an error: ${error}` : '';
});
// Without a token (or with a wrong one) the API answers 401: ask for a token, then load everything again.
function signIn(message) {
  const dialog = $('#signin');
  $('#signin-error').textContent = message ?? '';
  if (!dialog.open) dialog.showModal();
}
// First visit: no token yet, nothing went wrong. A token the API refused is worth saying so.
onUnauthorized(message => signIn(hasToken() ? `That token was refused: ${message}` : ''));
$('#signin-form').addEventListener('submit', () => {
  setToken($('#signin-token').value);
  $('#signin-token').value = '';
  refresh();
});
if (!hasToken()) signIn();
window.addEventListener('hashchange', route);
route();
refresh();
document.documentElement.dataset.craneUi = 'started';
