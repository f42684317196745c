// The terminal screen: a clerk at the counter (operator card + PIN, then residents' cards), or, with
// ?mode=kiosk, a resident alone. Everything it does goes through the terminal API as JSON
// (/api/<Method>, the methods of terminal.proto); the terminal decides, the screen shows.
import { words, operationName, fieldName, resultName, roleName } from './i18n.js';

const kiosk = new URLSearchParams(location.search).get('mode') === 'kiosk';
const STATUS_EVERY_MS = 3000;
const KIOSK_IDLE_MS = 90_000;
// After the reader stream (re)connects, its first events are the current state: judge the readers after them.
const READERS_SETTLE_MS = 300;

const state = {
  lang: localStorage.getItem('cardap-lang') === 'en' ? 'en' : 'ja',
  readers: new Map(),       // reader name -> { card: boolean, insertion: number }
  insertions: 0,
  settling: true,
  session: null,            // { token, operatorId, role, reader, training }
  signIn: null,             // { reader, insertion } while the keypad is up
  signedOutInsertion: null, // the operator card still in after a sign-out: no new sign-in until it leaves
  services: [],
  resident: null,           // { reader, insertion, identity }
  doneInsertion: null,      // kiosk: the card of a resident who has finished, until it is taken
  operation: null,          // { service, op, requestId, retry }
  status: null,
  view: 'waiting',
  busy: false,
};
let generation = 0;

// ---- Language ------------------------------------------------------------------------------------

const $ = (testId) => document.querySelector(`[data-testid="${testId}"]`);

/** Sets a node's text in both languages; it shows the current one (data-other: the other one). */
function say(node, both) {
  node.dataset.ja = both.ja ?? '';
  node.dataset.en = both.en ?? '';
  showLanguage(node);
}

function showLanguage(node) {
  const lang = 'other' in node.dataset ? (state.lang === 'ja' ? 'en' : 'ja') : state.lang;
  node.textContent = node.dataset[lang];
}

function applyLanguage() {
  document.documentElement.lang = state.lang;
  document.title = words('title')[state.lang];
  for (const node of document.querySelectorAll('[data-i18n]')) {
    const both = words(node.dataset.i18n);
    node.dataset.ja = both.ja;
    node.dataset.en = both.en;
  }
  for (const node of document.querySelectorAll('[data-ja]')) {
    showLanguage(node);
  }
  renderStatus();
}

// ---- The terminal API ----------------------------------------------------------------------------

class Refusal extends Error {
  constructor(body, httpStatus) {
    super(body.messageEn);
    this.body = body;
    this.httpStatus = httpStatus;
  }

  /**
   * The outcome is not known: no answer, a failure inside the terminal, or an online-only operation the
   * terminal recorded and the centre has not decided (AwaitingHub). Retried with the same request id.
   * Every other refusal came before anything was recorded.
   */
  get unsettled() {
    return this.httpStatus === 0 || this.httpStatus === 500 || this.body.reason === 'AwaitingHub';
  }

  get sessionEnded() {
    return this.body.reason === 'NotSignedIn' || this.body.reason === 'SessionTimedOut';
  }
}

async function call(method, request = {}) {
  let response;
  try {
    response = await fetch(`/api/${method}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(request),
    });
  } catch {
    const both = words('host.unreachable');
    throw new Refusal({ reason: 'HostUnreachable', messageJa: both.ja, messageEn: both.en }, 0);
  }
  const body = await response.json().catch(() => null);
  if (!response.ok) {
    throw new Refusal(body ?? { reason: `Http${response.status}`, messageJa: `HTTP ${response.status}`, messageEn: `HTTP ${response.status}` }, response.status);
  }
  return body;
}

function newRequestId() {
  const bytes = crypto.getRandomValues(new Uint8Array(12));
  return 'scr-' + Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

// ---- Views, refusals, notices --------------------------------------------------------------------

function show(view) {
  state.view = view;
  for (const section of document.querySelectorAll('main > [data-view]')) {
    section.hidden = section.dataset.view !== view;
  }
  document.body.dataset.current = view;
}

function showRefusal(body) {
  say($('refusal-message'), { ja: body.messageJa, en: body.messageEn });
  say($('refusal-message-other'), { ja: body.messageJa, en: body.messageEn });
  $('refusal-reason').textContent = body.reason ?? '';
  $('refusal').dataset.reason = body.reason ?? '';
  $('refusal').hidden = false;
  $('refusal').scrollIntoView({ block: 'nearest' });
}

function clearRefusal() {
  $('refusal').hidden = true;
  $('refusal').dataset.reason = '';
}

let noticeTimer;
function notice(both) {
  const node = $('notice');
  say(node, both);
  node.hidden = false;
  clearTimeout(noticeTimer);
  noticeTimer = setTimeout(() => { node.hidden = true; }, 8000);
}

// ---- Keypads -------------------------------------------------------------------------------------

class Keypad {
  constructor(name, dots, onChange, onSubmit) {
    this.pin = '';
    this.dots = dots;
    this.onChange = onChange;
    this.onSubmit = onSubmit;
    const pad = document.querySelector(`[data-keypad="${name}"]`);
    const keys = ['1', '2', '3', '4', '5', '6', '7', '8', '9', 'clear', '0', 'back'];
    for (const key of keys) {
      const button = document.createElement('button');
      button.type = 'button';
      button.dataset.testid = `${name}-key-${key}`;
      if (key === 'clear' || key === 'back') {
        button.classList.add('key-edit');
        button.dataset.i18n = `keypad.${key}`;
      } else {
        button.textContent = key;
      }
      button.addEventListener('click', () => this.press(key));
      pad.append(button);
    }
    this.render();
  }

  press(key) {
    if (key === 'clear') {
      this.pin = '';
    } else if (key === 'back') {
      this.pin = this.pin.slice(0, -1);
    } else if (key === 'enter') {
      if (this.pin.length === 4) {
        this.onSubmit();
      }
      return;
    } else if (this.pin.length < 4) {
      this.pin += key;
    }
    this.render();
  }

  reset() {
    this.pin = '';
    this.render();
  }

  render() {
    // Dots only: the PIN is never in the page's text.
    this.dots.replaceChildren(...[0, 1, 2, 3].map((i) => {
      const dot = document.createElement('span');
      dot.className = i < this.pin.length ? 'dot filled' : 'dot';
      return dot;
    }));
    this.dots.dataset.length = String(this.pin.length);
    this.onChange(this);
  }
}

const signInPad = new Keypad('signin', $('signin-pin'), (pad) => { $('signin-submit').disabled = pad.pin.length !== 4 || state.busy; }, () => signIn());
const pinPad = new Keypad('pin', $('pin-dots'), () => {}, () => execute());

document.addEventListener('keydown', (event) => {
  const typing = event.target instanceof HTMLInputElement;
  const pad = state.view === 'sign-in' ? signInPad
    : state.view === 'operation' && !$('operation-pin').hidden && !typing ? pinPad : null;
  if (pad && /^[0-9]$/.test(event.key)) {
    pad.press(event.key);
  } else if (pad && event.key === 'Backspace') {
    pad.press('back');
  } else if (pad && event.key === 'Escape') {
    pad.press('clear');
  } else if (pad && event.key === 'Enter' && !(event.target instanceof HTMLButtonElement)) {
    pad.press('enter');
  } else {
    return;
  }
  event.preventDefault();
});

// ---- Status bar ----------------------------------------------------------------------------------

const timeFormat = new Intl.DateTimeFormat('ja-JP', { timeZone: 'Asia/Tokyo', hour: '2-digit', minute: '2-digit' });

async function refreshStatus() {
  try {
    state.status = await call('GetStatus');
    $('host-banner').hidden = true;
  } catch (e) {
    state.status = null;
    $('host-banner').hidden = e.httpStatus !== 0;
  }
  renderStatus();
}

function renderStatus() {
  const status = state.status;
  const text = (key) => words(key)[state.lang];
  $('status-terminal').textContent = status ? `${text('status.terminal')} ${status.terminalId}` : text('status.terminal');
  const configured = status?.sync?.configured ?? false;
  const online = status?.online ?? false;
  const pill = $('status-online');
  pill.dataset.state = !status ? 'unknown' : !configured ? 'standalone' : online ? 'online' : 'offline';
  pill.textContent = !status ? '…' : text(!configured ? 'status.standalone' : online ? 'status.online' : 'status.offline');
  const backlog = Number(status?.sync?.backlog ?? 0);
  const backlogNode = $('status-backlog');
  backlogNode.dataset.count = status ? String(backlog) : '';
  backlogNode.textContent = `${text('status.backlog')} ${status ? backlog : '…'}${text('status.backlog.unit')}`;
  const awaiting = Number(status?.sync?.awaitingHub ?? 0);
  $('status-awaiting').hidden = awaiting === 0;
  $('status-awaiting').textContent = `${text('status.awaiting')} ${awaiting}${text('status.backlog.unit')}`;
  const last = status?.sync?.lastSuccess ?? status?.lastSync;
  $('status-last-sync').textContent = `${text('status.lastSync')} ${last ? timeFormat.format(new Date(last)) : text('status.never')}`;
  const training = Boolean(status?.training || state.session?.training);
  $('status-training').hidden = !training;
  $('status-training').textContent = text('status.training');
  document.body.classList.toggle('training', training);
  $('offline-banner').hidden = !status || !configured || online;
  $('sync-now').hidden = kiosk || !configured;

  const session = state.session;
  $('status-operator').hidden = !session;
  $('sign-out').hidden = !session;
  $('training-toggle').hidden = !session;
  if (session) {
    const role = roleName(session.role)[state.lang];
    $('status-operator').textContent = state.lang === 'ja' ? `${session.operatorId}（${role}）` : `${session.operatorId} (${role})`;
    $('training-toggle').textContent = text(session.training ? 'status.trainingOff' : 'status.trainingOn');
  }
}

$('sync-now').addEventListener('click', async () => {
  const button = $('sync-now');
  button.disabled = true;
  say(button, words('status.syncing'));
  try {
    const reply = await call('SyncNow');
    notice({ ja: reply.messageJa, en: reply.messageEn });
  } catch (e) {
    notice({ ja: e.body.messageJa, en: e.body.messageEn });
  } finally {
    button.disabled = false;
    say(button, words('status.sync'));
    await refreshStatus();
  }
});

$('lang-toggle').addEventListener('click', () => {
  state.lang = state.lang === 'ja' ? 'en' : 'ja';
  localStorage.setItem('cardap-lang', state.lang);
  applyLanguage();
});

$('sign-out').addEventListener('click', async () => {
  const session = state.session;
  if (!session) {
    return;
  }
  try {
    await call('SignOut', { session: session.token });
  } catch {
    // Signed out either way: the session ends with the card too.
  }
  state.signedOutInsertion = state.readers.get(session.reader)?.insertion ?? null;
  endSession(words('notice.signedOut'));
});

$('training-toggle').addEventListener('click', async () => {
  const session = state.session;
  if (!session) {
    return;
  }
  try {
    const reply = await call('SetTrainingMode', { session: session.token, terminalWide: false, enabled: !session.training });
    session.training = reply.sessionTraining;
    clearRefusal();
  } catch (e) {
    handleFailure(e);
  }
  renderStatus();
});

// ---- Readers -------------------------------------------------------------------------------------

function watchReaders() {
  const source = new EventSource('/api/WatchReaders');
  source.addEventListener('open', () => {
    $('readers-banner').hidden = true;
    state.readers.clear();
    state.settling = true;
    setTimeout(() => { state.settling = false; judgeReaders(); }, READERS_SETTLE_MS);
  });
  source.addEventListener('message', (message) => {
    const e = JSON.parse(message.data);
    switch (e.kind) {
      case 'ReaderAdded':
        if (!state.readers.has(e.reader)) {
          state.readers.set(e.reader, { card: false, insertion: 0 });
        }
        break;
      case 'ReaderRemoved':
        state.readers.delete(e.reader);
        break;
      case 'CardInserted':
        state.readers.set(e.reader, { card: true, insertion: ++state.insertions });
        break;
      case 'CardRemoved':
        state.readers.set(e.reader, { card: false, insertion: 0 });
        break;
      case 'ServiceLost':
        $('readers-banner').hidden = false;
        for (const reader of state.readers.values()) {
          reader.card = false;
        }
        break;
      case 'ServiceRestored':
        $('readers-banner').hidden = true;
        break;
    }
    if (!state.settling) {
      judgeReaders();
    }
  });
  source.addEventListener('error', () => {
    // EventSource reconnects by itself; until then nothing about the readers is known.
    $('readers-banner').hidden = false;
  });
}

/** Readers holding a card, the most recently inserted first. */
function cards() {
  return [...state.readers].filter(([, r]) => r.card).sort((a, b) => b[1].insertion - a[1].insertion).map(([name, r]) => ({ name, insertion: r.insertion }));
}

function judgeReaders() {
  const present = cards();
  if (kiosk) {
    judgeResident(present[0] ?? null);
    return;
  }
  if (state.session) {
    if (!present.some((c) => c.name === state.session.reader)) {
      endSession(words('notice.cardRemoved'));
      return;
    }
    judgeResident(present.find((c) => c.name !== state.session.reader) ?? null);
    return;
  }
  if (state.signedOutInsertion !== null && !present.some((c) => c.insertion === state.signedOutInsertion)) {
    state.signedOutInsertion = null;
  }
  const operatorCard = present.find((c) => c.insertion !== state.signedOutInsertion);
  if (state.signIn && !present.some((c) => c.name === state.signIn.reader && c.insertion === state.signIn.insertion)) {
    state.signIn = null;
    clearRefusal();
  }
  if (!state.signIn && operatorCard) {
    startSignIn(operatorCard);
  } else if (!state.signIn) {
    showWaiting();
  }
}

function showWaiting() {
  const cardLeftIn = kiosk ? cards().some((c) => c.insertion === state.doneInsertion) : state.signedOutInsertion !== null;
  say($('waiting-title'), words(cardLeftIn ? (kiosk ? 'result.takeCard' : 'waiting.removeCard') : kiosk ? 'waiting.kiosk.title' : 'waiting.counter.title'));
  say($('waiting-hint'), words(kiosk ? 'waiting.kiosk.hint' : 'waiting.counter.hint'));
  show('waiting');
}

// ---- Sign-in -------------------------------------------------------------------------------------

function startSignIn(card) {
  state.signIn = card;
  clearRefusal();
  signInPad.reset();
  $('signin-reader').textContent = card.name;
  show('sign-in');
}

async function signIn() {
  if (!state.signIn || state.busy || signInPad.pin.length !== 4) {
    return;
  }
  const attempt = state.signIn;
  state.busy = true;
  $('signin-submit').disabled = true;
  try {
    const reply = await call('SignIn', { reader: attempt.name, pin: signInPad.pin });
    state.session = { token: reply.session, operatorId: reply.operatorId, role: reply.role, reader: attempt.name, training: reply.training };
    state.signIn = null;
    clearRefusal();
    await loadServices();
    renderStatus();
    judgeReaders();
  } catch (e) {
    showRefusal(e.body);
  } finally {
    state.busy = false;
    signInPad.reset();
  }
}

$('signin-submit').addEventListener('click', () => signIn());

function endSession(why) {
  state.session = null;
  state.signIn = null;
  state.resident = null;
  state.operation = null;
  generation++;
  clearRefusal();
  notice(why);
  renderStatus();
  judgeReaders();
}

/** A refusal that ended the session signs the screen out; any other is shown where the clerk is. */
function handleFailure(e) {
  if (!kiosk && e.sessionEnded && state.session) {
    endSession({ ja: e.body.messageJa, en: e.body.messageEn });
    showRefusal(e.body);
    return;
  }
  showRefusal(e.body);
}

async function loadServices() {
  state.services = (await call('ListServices')).services ?? [];
}

// ---- Resident ------------------------------------------------------------------------------------

function judgeResident(card) {
  if (kiosk && card && card.insertion === state.doneInsertion) {
    card = null;
  }
  const resident = state.resident;
  if (resident && card && resident.reader === card.name && resident.insertion === card.insertion) {
    return;
  }
  if (!card) {
    const hadResident = resident !== null;
    state.resident = null;
    state.operation = null;
    generation++;
    if (hadResident) {
      clearRefusal();
    }
    if (kiosk) {
      showWaiting();
    } else {
      show('resident-waiting');
    }
    return;
  }
  identify(card);
}

async function identify(card) {
  const mine = ++generation;
  state.resident = { reader: card.name, insertion: card.insertion, identity: null };
  state.operation = null;
  clearRefusal();
  $('resident-reading').hidden = false;
  $('resident').hidden = true;
  show('resident');
  try {
    const [identity] = await Promise.all([
      call('Identify', { session: state.session?.token ?? '', reader: card.name }),
      loadServices(),
    ]);
    if (mine !== generation) {
      return;
    }
    state.resident.identity = identity;
    renderResident();
  } catch (e) {
    if (mine !== generation) {
      return;
    }
    $('resident-reading').hidden = true;
    handleFailure(e);
  }
}

function renderResident() {
  const identity = state.resident.identity;
  $('resident-reading').hidden = true;
  $('resident').hidden = false;
  $('resident-card').textContent = identity.cardRef;
  $('resident-municipality').textContent = identity.municipality;
  say($('resident-method'), words(identity.method === 'jpki' ? 'resident.method.jpki' : 'resident.method.cardap'));

  const list = $('resident-memberships');
  list.replaceChildren();
  for (const membership of identity.memberships ?? []) {
    const service = state.services.find((s) => s.id === membership.service);
    const item = document.createElement('li');
    item.dataset.testid = `membership-${membership.service}`;
    const name = document.createElement('span');
    say(name, service ? { ja: service.nameJa, en: service.nameEn } : { ja: membership.service, en: membership.service });
    const member = document.createElement('span');
    member.className = 'member';
    member.textContent = membership.member;
    const standing = document.createElement('span');
    standing.className = membership.active ? 'standing active' : 'standing stopped';
    say(standing, words(membership.active ? 'resident.active' : 'resident.stopped'));
    item.append(name, member, standing);
    list.append(item);
  }
  if (list.children.length === 0) {
    const item = document.createElement('li');
    say(item, words('resident.none'));
    list.append(item);
  }

  const operations = $('operations');
  operations.replaceChildren();
  const offline = state.status ? !state.status.online : false;
  for (const service of state.services) {
    const membership = (identity.memberships ?? []).find((m) => m.service === service.id);
    for (const op of service.operations ?? []) {
      const registered = membership?.active === true;
      if (kiosk && (!op.kioskAllowed || (op.needsMembership && !registered))) {
        continue;
      }
      const permitted = kiosk || (op.roles ?? []).includes(state.session?.role);
      const button = document.createElement('button');
      button.type = 'button';
      button.className = 'operation';
      button.dataset.testid = `op-${service.id}-${op.name}`;
      const title = document.createElement('span');
      title.className = 'op-title';
      say(title, operationName(service.id, op.name));
      const serviceName = document.createElement('span');
      serviceName.className = 'op-service';
      say(serviceName, { ja: service.nameJa, en: service.nameEn });
      button.append(title, serviceName);
      const notes = [];
      if (!permitted) {
        notes.push(words('op.role'));
      }
      if (!service.openNow) {
        notes.push({ ja: service.hoursMessageJa || words('op.closed').ja, en: service.hoursMessageEn || words('op.closed').en });
      }
      if (offline && op.offlinePolicy === 'OnlineOnly') {
        notes.push(words('op.onlineOnly'));
      }
      if (!kiosk && op.needsMembership && !registered) {
        notes.push(words('op.notRegistered'));
      }
      if (op.pinRequired) {
        notes.push(words('op.pin'));
      }
      for (const note of notes) {
        const line = document.createElement('span');
        line.className = 'op-note';
        say(line, note);
        button.append(line);
      }
      // Not the clerk's to do: greyed out. Everything else stays possible and the terminal says why not.
      button.disabled = !permitted;
      button.addEventListener('click', () => openOperation(service, op));
      operations.append(button);
    }
  }
  if (operations.children.length === 0) {
    const none = document.createElement('p');
    none.className = 'hint';
    say(none, words('resident.noOperations'));
    operations.append(none);
  }
  show('resident');
}

// ---- Operation -----------------------------------------------------------------------------------

function openOperation(service, op) {
  state.operation = { service, op, requestId: newRequestId(), retry: false };
  clearRefusal();
  say($('operation-title'), operationName(service.id, op.name));
  say($('operation-service'), { ja: service.nameJa, en: service.nameEn });
  const form = $('operation-form');
  form.replaceChildren();
  const details = op.fieldDetails?.length ? op.fieldDetails : (op.fields ?? []).map((name) => ({ name, type: 'Text', required: true, maxLength: 64 }));
  for (const field of details) {
    const label = document.createElement('label');
    const caption = document.createElement('span');
    caption.className = 'label';
    say(caption, fieldName(field.name));
    label.append(caption);
    if (field.required) {
      const required = document.createElement('span');
      required.className = 'required';
      required.dataset.i18n = 'operation.required';
      say(required, words('operation.required'));
      label.append(required);
    }
    const input = document.createElement('input');
    input.name = field.name;
    input.dataset.testid = `field-${field.name}`;
    input.autocomplete = 'off';
    input.required = field.required;
    if (field.maxLength) {
      input.maxLength = field.maxLength;
    }
    if (field.type === 'Integer') {
      input.inputMode = 'numeric';
      input.pattern = '-?[0-9]*';
      if (field.min !== undefined) {
        input.dataset.min = field.min;
      }
      if (field.max !== undefined) {
        input.dataset.max = field.max;
      }
    }
    label.append(input);
    form.append(label);
  }
  const pinNeeded = kiosk || op.pinRequired;
  $('operation-pin').hidden = !pinNeeded;
  say($('operation-pin-label'), words(kiosk ? 'operation.pin.kiosk' : 'operation.pin'));
  pinPad.reset();
  renderExecute();
  show('operation');
  form.querySelector('input')?.focus();
  touch();
}

function renderExecute() {
  const button = $('execute');
  button.disabled = state.busy;
  say(button, words(state.busy ? 'operation.running' : state.operation?.retry ? 'operation.retry' : 'operation.execute'));
}

$('operation-form').addEventListener('submit', (event) => {
  event.preventDefault();
  execute();
});
$('execute').addEventListener('click', () => execute());
$('operation-back').addEventListener('click', () => {
  state.operation = null;
  clearRefusal();
  if (state.resident?.identity) {
    renderResident();
  }
});

async function execute() {
  const operation = state.operation;
  if (!operation || state.busy || !state.resident) {
    return;
  }
  const fields = {};
  for (const input of $('operation-form').querySelectorAll('input')) {
    if (input.value.trim() !== '') {
      fields[input.name] = input.value.trim();
    }
  }
  state.busy = true;
  renderExecute();
  try {
    const reply = await call('Execute', {
      requestId: operation.requestId,
      session: state.session?.token ?? '',
      service: operation.service.id,
      operation: operation.op.name,
      reader: state.resident.reader,
      pin: $('operation-pin').hidden ? '' : pinPad.pin,
      fields,
    });
    if (state.operation === operation) {
      state.operation = null;
      showResult(reply);
    }
  } catch (e) {
    if (state.operation === operation) {
      // Unsettled: the same request again only asks for its outcome. Settled: a new attempt is a new request.
      operation.retry = e.unsettled;
      if (!e.unsettled) {
        operation.requestId = newRequestId();
      }
      pinPad.reset();
    }
    handleFailure(e);
  } finally {
    state.busy = false;
    renderExecute();
    refreshStatus();
  }
}

function showResult(reply) {
  clearRefusal();
  say($('result-message'), { ja: reply.messageJa, en: reply.messageEn });
  say($('result-message-other'), { ja: reply.messageJa, en: reply.messageEn });
  $('result-training').hidden = !reply.training;
  $('result-duplicate').hidden = !reply.duplicate;
  const details = $('result-details');
  details.replaceChildren();
  const rows = [[words('result.sequence'), reply.sequence], ...Object.entries(reply.result ?? {}).map(([key, value]) => [resultName(key), value])];
  for (const [name, value] of rows) {
    const term = document.createElement('dt');
    say(term, name);
    const data = document.createElement('dd');
    data.textContent = value;
    details.append(term, data);
  }
  $('result-take-card').hidden = !kiosk;
  say($('result-next'), words(kiosk ? 'result.finish' : 'result.next'));
  show('result');
}

$('result-next').addEventListener('click', () => {
  if (kiosk) {
    resetKiosk();
  } else if (state.resident?.identity) {
    identify({ name: state.resident.reader, insertion: state.resident.insertion });
  } else {
    judgeReaders();
  }
});

// ---- Kiosk: a resident alone ---------------------------------------------------------------------

let idleTimer;
function touch() {
  if (!kiosk) {
    return;
  }
  clearTimeout(idleTimer);
  idleTimer = setTimeout(resetKiosk, KIOSK_IDLE_MS);
}

/** Back to the start: nothing the last resident typed stays on the screen, and their card is not read again. */
function resetKiosk() {
  state.doneInsertion = state.resident?.insertion ?? state.doneInsertion;
  state.resident = null;
  state.operation = null;
  generation++;
  pinPad.reset();
  clearRefusal();
  judgeReaders();
}

if (kiosk) {
  document.body.classList.add('kiosk');
  for (const type of ['pointerdown', 'keydown']) {
    document.addEventListener(type, touch);
  }
}

// ---- Start ---------------------------------------------------------------------------------------

applyLanguage();
showWaiting();
refreshStatus();
setInterval(refreshStatus, STATUS_EVERY_MS);
watchReaders();
