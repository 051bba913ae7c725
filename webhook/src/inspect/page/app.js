// The request inspector's page: plain JavaScript, no build step, no network
// resource but this service's own API. Every element is built from text
// (textContent), never from HTML, so captured request text cannot run here.
'use strict';

const API = '/inspect/api/requests';
const POLL_MS = 2000;
const MAX_ROWS = 1000;
const TOKEN_KEY = 'webhook-inspector-token';

const STAGES = [
  ['webhook', 'webhook'],
  ['method', 'method'],
  ['body', 'body'],
  ['signature', 'signature'],
  ['limit', 'in-flight limit'],
  ['context', 'context'],
  ['activation', 'activation'],
  ['expressions', 'expressions'],
  ['delivery', 'delivery'],
  ['reply', 'reply'],
];

const state = {
  token: sessionStorage.getItem(TOKEN_KEY) || '',
  latest: 0,
  rows: [],
  selected: null,
  detail: null,
  timer: null,
  busy: false,
  again: null,
};

const $ = (id) => document.getElementById(id);

// el('div', {class: 'x', title: 'y'}, 'text', child, ...): an element
// whose strings become text nodes.
function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === 'class') node.className = value;
    else if (key === 'onclick') node.addEventListener('click', value);
    else node.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

class Unauthorized extends Error {}

async function api(path, options) {
  const headers = Object.assign({}, (options && options.headers) || {});
  if (state.token) headers.Authorization = 'Bearer ' + state.token;
  const response = await fetch(path, Object.assign({}, options, { headers, cache: 'no-store' }));
  if (response.status === 401) throw new Unauthorized();
  let body = null;
  try { body = await response.json(); } catch (_) { body = null; }
  if (!response.ok) {
    const reason = body && body.reason ? body.reason : response.status + ' ' + response.statusText;
    const error = new Error(reason);
    error.status = response.status;
    throw error;
  }
  return body;
}

function post(path, body) {
  return api(path, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body || {}),
  });
}

function showToken(message) {
  $('main').hidden = true;
  $('token-box').hidden = false;
  $('token-error').hidden = !message;
  $('token-error').textContent = message || '';
  $('token').focus();
  stopPolling();
  $('meta').textContent = 'locked';
}

function notice(text, bad) {
  const box = $('notice');
  box.hidden = !text;
  box.textContent = text || '';
  box.className = bad ? 'notice bad' : 'notice';
}

function filterParams() {
  const params = new URLSearchParams();
  const webhook = $('f-webhook').value;
  const outcome = $('f-outcome').value;
  const text = $('f-text').value.trim();
  if (webhook) params.set('webhook', webhook);
  if (outcome) params.set('outcome', outcome);
  if (text) params.set('q', text);
  return params;
}

function rowKind(r) {
  if (r.status < 200 || r.status >= 300) return 'failed';
  if (r.outcome === 'not_activated_consumed') return 'consumed';
  return 'ok';
}

function statusChip(status, kind) {
  const cls = kind === 'consumed' ? 'status consumed' : 'status s' + String(status).charAt(0);
  return el('span', { class: cls }, String(status));
}

function clock(iso) {
  const t = new Date(iso);
  if (isNaN(t)) return iso;
  const pad = (n, w) => String(n).padStart(w || 2, '0');
  return pad(t.getHours()) + ':' + pad(t.getMinutes()) + ':' + pad(t.getSeconds()) + '.' + pad(t.getMilliseconds(), 3);
}

function stageLabel(stage) {
  const found = STAGES.find(([name]) => name === stage);
  return found ? found[1] : stage;
}

function whyLine(r) {
  const kind = rowKind(r);
  if (kind === 'failed') return 'stopped at ' + stageLabel(r.stage) + ': ' + (r.reason || r.outcome);
  if (kind === 'consumed') return 'activation condition not met (consumed)';
  return r.outcome;
}

function renderRows() {
  const list = $('rows');
  list.replaceChildren();
  $('list-empty').hidden = state.rows.length > 0;
  for (const r of state.rows) {
    const kind = rowKind(r);
    const row = el('li', {
      class: 'row ' + kind + (state.selected === r.seq ? ' sel' : ''),
      'data-seq': r.seq,
      'data-outcome': r.outcome,
      'data-stage': r.stage,
      tabindex: 0,
      onclick: () => select(r.seq),
    },
      statusChip(r.status, kind),
      el('span', { class: 'hook' + (r.known ? '' : ' unknown') }, r.known ? r.webhook : 'unknown id “' + r.webhook + '”'),
      el('span', { class: 'when', title: r.time }, clock(r.time)),
      el('span', { class: 'why' }, whyLine(r)),
      r.preview ? el('span', { class: 'preview' }, r.preview) : null,
    );
    row.addEventListener('keydown', (e) => { if (e.key === 'Enter') select(r.seq); });
    list.append(row);
  }
}

function fillSelect(select, values, keep) {
  const current = select.value;
  const fixed = Array.from(select.options).slice(0, keep).map((o) => o.cloneNode(true));
  select.replaceChildren(...fixed);
  for (const value of values) select.append(el('option', { value }, value));
  select.value = current;
  if (select.value !== current) select.value = '';
}

function updateMeta(answer) {
  const live = $('live').checked;
  $('meta').replaceChildren(
    el('span', { class: 'dot' + (live ? '' : ' off') }),
    (live ? 'live · ' : 'paused · ') + state.rows.length + ' shown · keeps the latest ' + answer.capacity,
  );
}

async function loadList(fresh) {
  const params = filterParams();
  if (!fresh && state.latest) params.set('after', state.latest);
  params.set('limit', String(MAX_ROWS));
  const answer = await api(API + '?' + params.toString());
  // The service restarted (it numbers from 1 again): start over.
  if (!fresh && answer.latest < state.latest) return loadList(true);
  $('main').hidden = false;
  $('token-box').hidden = true;
  notice('');
  const incoming = answer.requests || [];
  if (fresh) {
    state.rows = incoming;
  } else if (incoming.length) {
    state.rows = incoming.concat(state.rows).slice(0, MAX_ROWS);
  }
  state.latest = answer.latest;
  fillSelect($('f-webhook'), answer.webhooks || [], 1);
  fillSelect($('f-outcome'), answer.outcomes || [], 2);
  renderRows();
  updateMeta(answer);
  if (state.selected === null && state.rows.length && !location.hash) select(state.rows[0].seq, true);
}

// One load at a time; a filter changed meanwhile loads again right after
// (a poll in flight must not swallow it).
async function refresh(fresh) {
  if (state.busy) {
    state.again = fresh || state.again === 'fresh' ? 'fresh' : 'poll';
    return;
  }
  state.busy = true;
  try {
    await loadList(fresh);
  } catch (e) {
    if (e instanceof Unauthorized) showToken(state.token ? 'That token was refused.' : '');
    else notice('Cannot read the requests: ' + e.message, true);
  } finally {
    state.busy = false;
    const again = state.again;
    state.again = null;
    if (again) refresh(again === 'fresh');
  }
}

function startPolling() {
  stopPolling();
  if ($('live').checked) state.timer = setInterval(() => { if (!document.hidden) refresh(false); }, POLL_MS);
}

function stopPolling() {
  if (state.timer) clearInterval(state.timer);
  state.timer = null;
}

// ---- one request ----------------------------------------------------------

function section(title, sub, open, failing, ...content) {
  return el('details', { class: 'card' + (failing ? ' failing' : ''), open: open },
    el('summary', {}, title, sub ? el('span', { class: 'sub' }, sub) : null),
    el('div', { class: 'body' }, ...content));
}

function kv(rows) {
  return el('table', { class: 'kv' }, el('tbody', {},
    rows.filter((r) => r && r[1] !== null && r[1] !== undefined && r[1] !== '').map(([k, v]) =>
      el('tr', {}, el('th', {}, k), el('td', {}, v instanceof Node ? v : String(v))))));
}

function code(text) { return el('code', { class: 'inline' }, text); }
function pre(text, cls) { return el('pre', { class: cls || null }, text); }

function copyButton(label, text) {
  const done = el('span', { class: 'copied', hidden: true }, 'copied');
  const button = el('button', {
    onclick: async () => {
      try {
        await navigator.clipboard.writeText(text);
        done.textContent = 'copied';
      } catch (_) {
        window.prompt('Copy this:', text);
        done.textContent = '';
      }
      done.hidden = false;
      setTimeout(() => { done.hidden = true; }, 1600);
    },
  }, label);
  return [button, done];
}

function stageStrip(d) {
  const kind = rowKind(d);
  const strip = el('div', { class: 'stages', id: 'stages' });
  const failedAt = kind === 'ok' ? null : d.stage;
  let passed = true;
  STAGES.forEach(([name, label], i) => {
    if (name === 'limit' && d.stage !== 'limit') return;
    let cls = 'ok';
    let mark = '✓';
    if (!passed) { cls = 'skip'; mark = '–'; }
    if (name === failedAt) {
      cls = kind === 'consumed' ? 'warn' : 'bad';
      mark = kind === 'consumed' ? '○' : '✗';
      passed = false;
    }
    if (name === 'reply') { cls = kind === 'failed' ? 'bad' : 'ok'; mark = String(d.status); }
    if (i > 0) strip.append(el('span', { class: 'arrow' }, '→'));
    strip.append(el('span', { class: 'stage ' + cls, 'data-stage': name }, mark + ' ' + label));
  });
  return strip;
}

function valueCell(step) {
  if (step.error) return el('div', { class: 'err' }, step.error);
  if (step.value) return el('code', { class: 'value' }, step.value.feel);
  if (step.note) return el('span', { class: 'note' }, step.note);
  return el('span', { class: 'note' }, '—');
}

function warningsBlock(warnings) {
  return (warnings || []).map((w) => el('div', { class: 'warning' },
    el('span', { class: 'kind' }, w.kind), ' ', w.message,
    pre(w.excerpt, 'caret')));
}

function expressionsTable(steps) {
  const rows = steps.filter((s) => s.state !== 'absent').map((s) => el('tr', { class: s.state, 'data-label': s.label },
    el('td', {}, el('b', {}, s.label), s.property ? el('div', { class: 'note' }, s.property) : null),
    el('td', {}, el('code', {}, s.source || '')),
    el('td', {}, valueCell(s), s.value && s.note ? el('div', { class: 'note' }, s.note) : null, warningsBlock(s.warnings)),
    el('td', {}, el('span', { class: 'chip ' + (s.state === 'failed' ? 'bad' : s.state === 'ok' ? 'ok' : '') }, s.state))));
  const absent = steps.filter((s) => s.state === 'absent').map((s) => s.label);
  return [
    el('table', { class: 'grid steps' },
      el('colgroup', {}, el('col', { class: 'c1' }), el('col', { class: 'c2' }), el('col', { class: 'c3' }), el('col', { class: 'c4' })),
      el('thead', {}, el('tr', {}, el('th', {}, 'step'), el('th', {}, 'expression'), el('th', {}, 'value (FEEL)'), el('th', {}, ''))),
      el('tbody', {}, rows)),
    absent.length ? el('p', { class: 'note' }, 'Not set in this webhook: ' + absent.join(', ') + '.') : null,
  ];
}

function signatureBlock(sig) {
  if (!sig) return [el('p', { class: 'note' }, 'No webhook: nothing was checked.')];
  if (!sig.checked) return [el('p', { class: 'note' }, sig.verdict)];
  const out = [];
  out.push(el('div', { class: 'callout ' + (sig.passed ? 'ok' : 'bad') }, el('b', {}, sig.passed ? 'Signature ' : 'Signature '), sig.verdict || sig.note || ''));
  const rows = [
    ['header', code(sig.header)],
    ['algorithm', sig.algorithm],
    ['URL signed', sig.url ? code(sig.url) : null],
    ['URL taken from', sig.urlFrom],
    ['then signed', sig.signedBody],
    ['parameter string', sig.parameters ? code(sig.parameters) : null],
    ['body SHA-256', sig.bodySha256 ? code(sig.bodySha256) : null],
  ];
  out.push(kv(rows));
  if (sig.candidates && sig.candidates.length) {
    const variants = '(the URL as rebuilt, without its port, with the default port, with \' as %27)';
    out.push(el('p', { class: 'note' }, sig.tried ? 'URLs tried ' + variants + ':' : 'No signature came, so nothing was tried; a signature would be checked against ' + variants + ':'));
    out.push(el('ul', { class: 'cands', id: 'candidates' }, sig.candidates.map((c) => {
      const mark = !sig.tried ? ['skip', '· '] : c.matched ? ['yes', '✓ '] : ['no', '✗ '];
      return el('li', {}, el('span', { class: mark[0] }, mark[1]), c.url);
    })));
  }
  out.push(el('p', { class: 'note' }, 'The signature the request should have carried is never shown: it would let whoever sees this page forge requests.'));
  return out;
}

// The line beside the closed section: the verdict in a word, and the URL.
function signatureSummary(sig) {
  if (!sig || !sig.checked) return 'not checked';
  if (sig.passed === undefined) return sig.note || '';
  return (sig.passed ? 'passed' : 'failed') + (sig.url ? ' · ' + sig.url : '');
}

function decisionBlock(decision) {
  if (!decision) return [];
  if (decision.result === 'dispatch') return [el('p', {}, 'Command:'), pre(JSON.stringify(decision.command, null, 2))];
  if (decision.result === 'consumed') return [el('div', { class: 'callout warn' }, decision.reason)];
  return [el('div', { class: 'callout bad' }, el('b', {}, 'Refused (' + decision.status + '): '), decision.reason,
    decision.expression ? el('div', {}, 'expression: ', code(decision.expression)) : null)];
}

function dedupKeys(keys) {
  const shown = (keys || []).length
    ? el('div', {}, keys.map((k) => el('div', {}, code(k))))
    : el('span', { class: 'note' }, 'none: no I-Twilio-Idempotency-Token header and no MessageSid (or --dedup-key gave null), so a retry of this request would not be recognised');
  return kv([['deduplication keys', shown]]);
}

function dispatchBlock(d) {
  const out = decisionBlock(d.decision);
  if (d.dedup) {
    if (!d.dedup.enabled) out.push(el('p', { class: 'note' }, d.dedup.note));
    else if (d.dedup.error) out.push(el('p', { class: 'err' }, 'deduplication key: ' + d.dedup.error));
    else out.push(dedupKeys(d.dedup.keys));
  }
  const dispatch = d.dispatch;
  if (dispatch) {
    if (dispatch.duplicate) out.push(el('div', { class: 'callout warn' }, 'A duplicate of an accepted request: answered the same, nothing sent.'));
    if (dispatch.correlation) out.push(kv([['what became of it', code(JSON.stringify(dispatch.correlation))]]));
    if (dispatch.outbox) {
      const o = dispatch.outbox;
      out.push(kv([
        ['outbox entry', String(o.id)],
        ['state', o.state],
        ['attempts', o.attempts],
        ['last error', o.lastError],
        ['Zeebe answered', o.zeebe ? code(JSON.stringify(o.zeebe)) : null],
        ['note', o.note || o.error],
      ]));
    }
    if (dispatch.error) out.push(el('div', { class: 'callout bad' }, el('b', {}, 'Delivery failed: '), dispatch.error));
  }
  return out;
}

function replyBlock(reply) {
  if (!reply) return [];
  return [kv([['status', String(reply.status)], ['content type', reply.contentType]]),
    reply.body ? pre(reply.body) : el('p', { class: 'note' }, '(empty body)')];
}

function requestBlock(req) {
  const headers = el('table', { class: 'grid' }, el('tbody', {}, req.headers.map((h) => el('tr', {},
    el('td', { class: 'mono' }, h.name),
    el('td', { class: 'mono' }, h.hidden !== undefined ? el('span', { class: 'hidden-value' }, 'hidden (' + h.hidden + ' bytes)') : h.value)))));
  const out = [kv([
    ['client', req.client],
    ['query', req.query ? code(req.query) : null],
    ['body', !req.bodyRead ? 'not read (the request was refused before it)' : req.bodyBytes + ' bytes' + (req.bodyKept < req.bodyBytes ? ' (the first ' + req.bodyKept + ' kept)' : '')],
  ]), el('p', { class: 'note' }, 'Headers'), headers];
  if (req.form) {
    out.push(el('p', { class: 'note' }, 'Form parameters'));
    out.push(el('table', { class: 'grid' }, el('tbody', {}, req.form.map(([n, v]) => el('tr', {}, el('td', { class: 'mono' }, n), el('td', { class: 'mono' }, v))))));
  } else if (req.body) {
    out.push(el('p', { class: 'note' }, 'Body'), pre(req.body));
  }
  return out;
}

function tryBlock(seq) {
  const input = el('textarea', { id: 'try-input', spellcheck: 'false', placeholder: 'request.body.Body' }, 'request.body');
  const result = el('div', { id: 'try-result' });
  const run = async () => {
    result.replaceChildren(el('p', { class: 'note' }, 'evaluating…'));
    try {
      const answer = await post(API + '/' + seq + '/evaluate', { expression: input.value });
      result.replaceChildren(...tryResult(answer));
    } catch (e) {
      if (e instanceof Unauthorized) return showToken('');
      result.replaceChildren(el('p', { class: 'err' }, e.message));
    }
  };
  input.addEventListener('keydown', (e) => { if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) { e.preventDefault(); run(); } });
  return [el('div', { class: 'try' },
    el('p', { class: 'note' }, 'Any FEEL expression, against this request\'s context (the service\'s fuel and depth limits apply; now() is the request\'s arrival). Ctrl+Enter evaluates.'),
    input,
    el('div', { class: 'row2' }, el('button', { class: 'primary', onclick: run }, 'Evaluate')),
    result)];
}

function tryResult(answer) {
  if (answer.parseError) {
    const p = answer.parseError;
    return [el('div', { class: 'callout bad' }, el('b', {}, 'Parse error'), ' at line ' + p.line + ', column ' + p.column + ': ' + p.message),
      pre(p.excerpt, 'caret')];
  }
  if (answer.error) return [el('div', { class: 'callout bad' }, answer.error)];
  return [kv([['value', el('code', { class: 'value' }, answer.value.feel)], ['kind', answer.value.kind]]),
    ...warningsBlock(answer.warnings)];
}

function dryRunBlock(run) {
  const out = [];
  if (!run.served) {
    out.push(el('div', { class: 'callout bad' }, run.verdict));
    return out;
  }
  out.push(el('p', { class: 'note' }, (run.definition.changed ? 'The definition changed since this request: ' : 'The same definition as then: ') + run.definition.origin));
  if (!run.methodAllowed) out.push(el('div', { class: 'callout bad' }, 'The webhook does not take this method now.'));
  if (run.signature) out.push(...signatureBlock(run.signature));
  if (run.context && run.context.error) out.push(el('div', { class: 'callout bad' }, run.context.error));
  if (run.expressions) out.push(...expressionsTable(run.expressions));
  out.push(...decisionBlock(run.decision));
  if (run.dedup && run.dedup.keys) out.push(dedupKeys(run.dedup.keys));
  if (run.reply) out.push(el('p', { class: 'note' }, 'Reply it would send:'), ...replyBlock(run.reply));
  out.push(el('p', { class: 'note' }, 'A dry run: nothing was sent and no deduplication key was claimed.'));
  return out;
}

// `webhook check`'s line for a definition, its tabs as separators.
function describe(definition) {
  return definition.description.split('\t').filter((part) => part).join(' · ');
}

function renderDetail(d) {
  const kind = rowKind(d);
  const target = d.path + (d.query ? '?' + d.query : '');
  const box = $('detail');
  const dry = el('div', { id: 'dry-run' });
  const actions = el('div', { class: 'actions' },
    copyButton('Copy as curl', d.curl),
    d.sign ? copyButton('Copy `webhook sign` command', d.sign) : null,
    d.known ? el('button', {
      class: 'primary',
      onclick: async () => {
        dry.replaceChildren(el('p', { class: 'note' }, 'running…'));
        try {
          const run = await post(API + '/' + d.seq + '/dry-run');
          dry.replaceChildren(section('Dry run against the definition served now', run.served ? describe(run.definition) : '', true, false, ...dryRunBlock(run)));
        } catch (e) {
          if (e instanceof Unauthorized) return showToken('');
          dry.replaceChildren(el('p', { class: 'err' }, e.message));
        }
      },
    }, 'Dry run against the current definition') : null);
  const head = el('div', { class: 'head' },
    el('h1', {}, d.method + ' ' + target),
    el('div', { class: 'facts' },
      statusChip(d.status, kind),
      el('span', { class: 'chip ' + (kind === 'failed' ? 'bad' : kind === 'consumed' ? 'warn' : 'ok') }, d.outcome),
      el('span', {}, d.known ? 'webhook ' + d.webhook : 'unknown id “' + d.webhook + '”'),
      el('span', { title: d.time }, new Date(d.time).toLocaleString()),
      d.client ? el('span', {}, 'from ' + d.client) : null,
      el('span', {}, d.elapsedMs + ' ms'),
      el('span', { class: 'note' }, '#' + d.seq)));
  const parts = [head, stageStrip(d)];
  if (d.failure) {
    parts.push(el('div', { class: 'callout bad', id: 'failure' }, el('b', {}, 'Stopped at ' + stageLabel(d.failure.stage) + ': '), d.failure.reason,
      d.failure.expression ? el('div', {}, 'expression: ', code(d.failure.expression)) : null));
  } else if (kind === 'consumed') {
    parts.push(el('div', { class: 'callout warn' }, 'The activation condition was not met; the webhook consumes unmatched events, so Twilio got a 2xx and nothing was dispatched.'));
  }
  parts.push(actions, dry);
  if (d.definition) parts.push(el('p', { class: 'note' }, describe(d.definition)));
  const sigFailing = d.stage === 'signature';
  parts.push(section('Signature', signatureSummary(d.signature), sigFailing, sigFailing, ...signatureBlock(d.signature)));
  const exprFailing = ['activation', 'expressions', 'context'].includes(d.stage) && kind !== 'ok';
  if (d.expressions) {
    parts.push(section('Expressions', 'in the order the pipeline runs them; values recomputed from the captured request, now() at its arrival', true, exprFailing, ...expressionsTable(d.expressions)));
  } else if (d.expressionsNote) {
    parts.push(section('Expressions', d.expressionsNote, false, false, el('p', { class: 'note' }, d.expressionsNote + '.')));
  }
  if (d.decision) parts.push(section('Command and delivery', d.decision.result, d.decision.result === 'dispatch', d.stage === 'delivery', ...dispatchBlock(d)));
  parts.push(section('Reply', String(d.reply ? d.reply.status : d.status), kind !== 'failed', false, ...replyBlock(d.reply)));
  const bodyLine = d.request.bodyRead ? d.request.bodyBytes + ' bytes of body' : 'body not read';
  parts.push(section('Request as received', d.request.headers.length + ' headers, ' + bodyLine, false, false, ...requestBlock(d.request)));
  if (d.context) {
    parts.push(section('Context (what FEEL sees)', d.context.error ? d.context.error : 'request, connectorData, documents', false, !!d.context.error,
      d.context.error ? el('p', { class: 'err' }, d.context.error) : pre(d.context.feel)));
  }
  if (d.context && !d.context.error) parts.push(section('Try an expression', 'against this request\'s context', false, false, ...tryBlock(d.seq)));
  box.replaceChildren(...parts);
}

async function select(seq, quiet) {
  state.selected = seq;
  if (!quiet || location.hash !== '#req=' + seq) history.replaceState(null, '', '#req=' + seq);
  renderRows();
  try {
    const detail = await api(API + '/' + seq);
    if (state.selected !== seq) return;
    state.detail = detail;
    renderDetail(detail);
  } catch (e) {
    if (e instanceof Unauthorized) return showToken('');
    $('detail').replaceChildren(el('div', { class: 'placeholder err' }, e.message));
  }
}

// ---- start ------------------------------------------------------------------

$('token-form').addEventListener('submit', (e) => {
  e.preventDefault();
  state.token = $('token').value.trim();
  sessionStorage.setItem(TOKEN_KEY, state.token);
  $('token').value = '';
  refresh(true).then(() => {
    if (!$('main').hidden) {
      startPolling();
      const m = location.hash.match(/^#req=(\d+)$/);
      if (m) select(Number(m[1]));
    }
  });
});
$('filters').addEventListener('submit', (e) => e.preventDefault());
$('f-webhook').addEventListener('change', () => refresh(true));
$('f-outcome').addEventListener('change', () => refresh(true));
let typing = null;
$('f-text').addEventListener('input', () => {
  clearTimeout(typing);
  typing = setTimeout(() => refresh(true), 250);
});
$('live').addEventListener('change', () => { startPolling(); if ($('live').checked) refresh(false); });

(async function start() {
  await refresh(true);
  startPolling();
  const m = location.hash.match(/^#req=(\d+)$/);
  if (m && $('token-box').hidden) select(Number(m[1]));
})();
