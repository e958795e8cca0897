/* global document, window */
// The operator console: tabs by URL hash (#live, #rejections, #webinar/<id>, #contract) and the token form.
import { getToken, setToken } from './api.js';
import { $ } from './dom.js';
import { ContractView } from './contract.js';
import { LiveView } from './live.js';
import { RejectionsView } from './rejections.js';
import { WebinarView } from './webinar.js';

const views = {
  live: new LiveView($('#view-live')),
  rejections: new RejectionsView($('#view-rejections')),
  webinar: new WebinarView($('#view-webinar')),
  contract: new ContractView($('#view-contract')),
};
let current = null;

function route() {
  const [name, ...rest] = window.location.hash.slice(1).split('/');
  const tab = Object.hasOwn(views, name) ? name : 'live';
  const argument = rest.length > 0 ? decodeURIComponent(rest.join('/')) : undefined;
  for (const link of document.querySelectorAll('#tabs a')) {
    const active = link.dataset.tab === tab;
    link.classList.toggle('active', active);
    if (active) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  for (const [key, view] of Object.entries(views)) view.root.hidden = key !== tab;
  if (current !== null && current !== tab) views[current].hide();
  current = tab;
  document.body.dataset.view = tab;
  views[tab].show(argument);
}

function showMode() {
  const token = getToken();
  const mode = $('#mode');
  mode.textContent = token ? 'token in use' : 'read-only';
  mode.title = token
    ? 'Requests carry this token; admin actions (Evaluate) are offered and the server checks its scope'
    : 'Without a token the console only reads (and only where the server is open)';
  mode.className = `mode ${token ? 'admin' : 'read'}`;
  $('#token-clear').hidden = !token;
  document.body.classList.toggle('has-token', Boolean(token));
}

function tokenChanged() {
  showMode();
  for (const view of Object.values(views)) view.tokenChanged();
  views[current].show();
}

// The token goes to sessionStorage (this tab only) and into Authorization headers; never into a URL.
$('#token-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const input = $('#token');
  const token = input.value.trim();
  input.value = '';
  if (token === '') return;
  setToken(token);
  tokenChanged();
});
$('#token-clear').addEventListener('click', () => {
  setToken('');
  tokenChanged();
});

window.addEventListener('hashchange', route);
showMode();
route();
