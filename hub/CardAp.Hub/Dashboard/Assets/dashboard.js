// The hub dashboard's page: reads the hub's JSON under api/ and draws tables; charts are the hub's
// own PNG charts (the report API's rendering). Everything it shows was checked by the hub against
// the administrator's certificate; the pickers only offer what the certificate allows anyway.
// Text from the hub (site names, reasons) goes in with textContent only, never as HTML.
'use strict';

const ALL = '*';

// The report's tables, in the order shown; `when` leaves a table out when it would say nothing new.
const SECTIONS = [
  { table: 'service', ja: 'サービス別', en: 'By service', chart: 'service' },
  { table: 'hour', ja: '時間帯別', en: 'By hour of day', chart: 'hour' },
  { table: 'day', ja: '日別', en: 'By day', chart: (view) => (view.days > 1 ? 'service-day' : null) },
  { table: 'month', ja: '月別', en: 'By month', when: (view) => view.months > 1, chart: () => 'service-month' },
  { table: 'site', ja: '施設別', en: 'By site' },
  { table: 'terminal', ja: '端末別', en: 'By terminal' },
  { table: 'municipality', ja: '団体別', en: 'By municipality', when: (view) => view.municipalities.length > 1, chart: 'municipality' },
];

const DIMENSIONS = {
  service: ['サービス', 'Service'],
  day: ['日', 'Day'],
  month: ['月', 'Month'],
  hour: ['時間帯', 'Hour'],
  site: ['施設', 'Site'],
  terminal: ['端末', 'Terminal'],
  municipality: ['団体', 'Municipality'],
};

const FIGURES = [
  ['done', '利用件数', 'Done'],
  ['offline', 'うちオフライン', 'Offline'],
  ['offlineShare', 'オフライン率', 'Offline share'],
  ['refused', '拒否件数', 'Refused'],
];

const numbers = new Intl.NumberFormat('ja-JP');
const japanTime = new Intl.DateTimeFormat('ja-JP', {
  timeZone: 'Asia/Tokyo', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit',
});

let me = null;
let generation = 0;

const $ = (id) => document.getElementById(id);

class HubProblem extends Error {
  constructor(status, problem) {
    super(problem ? `${problem.messageJa} / ${problem.message}` : `HTTP ${status}`);
    this.status = status;
  }
}

async function getJson(path, params) {
  const response = await fetch(`api/${path}${params ? `?${params}` : ''}`, { headers: { Accept: 'application/json' }, cache: 'no-store' });
  if (!response.ok) {
    let problem = null;
    try {
      problem = await response.json();
    } catch {
      // Not the hub's JSON (e.g. a proxy's page): the status says enough.
    }
    throw new HubProblem(response.status, problem);
  }
  return response.json();
}

function element(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) {
    node.textContent = String(text);
  }
  if (className) {
    node.className = className;
  }
  return node;
}

function bilingual(ja, en) {
  const span = element('span', `${ja} `);
  span.append(element('span', en, 'en'));
  return span;
}

function formatFigure(name, value) {
  return name === 'offlineShare' ? `${(value * 100).toFixed(1)}%` : numbers.format(value);
}

function municipalityLabel(code) {
  const known = me.municipalities.find((m) => m.code === code);
  return known && known.name ? `${code} ${known.name}` : code;
}

function keyLabel(dimension, key) {
  if (dimension === 'service') {
    const service = me.services.find((s) => s.id === key);
    return service ? `${service.nameJa} (${key})` : key;
  }
  if (dimension === 'hour') {
    return `${key}:00–`;
  }
  if (dimension === 'municipality') {
    return municipalityLabel(key);
  }
  return key;
}

function selection() {
  const municipality = $('municipality').value;
  return {
    municipality,
    municipalities: municipality === ALL ? me.municipalities.map((m) => m.code) : [municipality],
    from: $('from').value,
    to: $('to').value,
  };
}

function usageParams(view, table) {
  const params = new URLSearchParams();
  for (const code of view.municipalities) {
    params.append('municipality', code);
  }
  params.set('from', view.from);
  params.set('to', view.to);
  if (table) {
    params.set('table', table);
  }
  return params;
}

function daysBetween(from, to) {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86400000) + 1;
}

function monthsBetween(from, to) {
  const month = (day) => Number(day.slice(0, 4)) * 12 + Number(day.slice(5, 7));
  return month(to) - month(from) + 1;
}

function renderSummary(usage, view) {
  for (const [name] of FIGURES) {
    document.querySelector(`#summary [data-figure="${name}"]`).textContent = formatFigure(name, usage.total[name]);
  }
  const names = view.municipalities.map(municipalityLabel).join('、');
  $('period').textContent = `${names}: ${usage.from === usage.to ? usage.from : `${usage.from} – ${usage.to}`}`;
}

function renderTable(section, table, view) {
  const node = $('table-section').content.firstElementChild.cloneNode(true);
  node.id = `by-${section.table}`;
  node.dataset.table = section.table;
  node.querySelector('.title').replaceWith(bilingual(section.ja, section.en));
  node.querySelector('a.csv').href = `api/usage.csv?${usageParams(view, section.table)}`;

  const head = node.querySelector('thead tr');
  for (const dimension of table.dimensions) {
    const [ja, en] = DIMENSIONS[dimension] || [dimension, dimension];
    const th = element('th');
    th.append(bilingual(ja, en));
    head.append(th);
  }
  for (const [, ja, en] of FIGURES) {
    const th = element('th', null, 'number');
    th.append(bilingual(ja, en));
    head.append(th);
  }

  const body = node.querySelector('tbody');
  for (const row of table.rows) {
    const tr = element('tr');
    tr.dataset.key = row.keys.join('|');
    row.keys.forEach((key, i) => tr.append(element('td', keyLabel(table.dimensions[i], key))));
    for (const [name] of FIGURES) {
      const td = element('td', formatFigure(name, row.figures[name]), 'number');
      td.dataset.figure = name;
      tr.append(td);
    }
    body.append(tr);
  }
  node.querySelector('.empty').hidden = table.rows.length > 0;
  node.querySelector('table').hidden = table.rows.length === 0;

  const chartTable = typeof section.chart === 'function' ? section.chart(view) : section.chart;
  const chart = node.querySelector('img.chart');
  if (chartTable && table.rows.length > 0) {
    chart.src = `api/chart.png?${usageParams(view, chartTable)}&width=720&height=340`;
    chart.alt = `${section.ja} / ${section.en}`;
    chart.hidden = false;
    chart.addEventListener('error', () => {
      chart.replaceWith(element('p', 'グラフを表示できません。 / The chart could not be drawn.', 'note'));
    });
  }
  return node;
}

function renderRefusals(usage, view) {
  $('refusals-csv').href = `api/usage.csv?${usageParams(view, 'refusals')}`;
  const body = document.querySelector('#refusals tbody');
  body.replaceChildren();
  for (const refusal of usage.refusals) {
    const tr = element('tr');
    tr.dataset.key = `${refusal.service}|${refusal.reason}`;
    tr.append(element('td', keyLabel('service', refusal.service)), element('td', refusal.reason));
    const count = element('td', numbers.format(refusal.count), 'number');
    count.dataset.figure = 'count';
    tr.append(count);
    body.append(tr);
  }
  document.querySelector('#refusals .empty').hidden = usage.refusals.length > 0;
  document.querySelector('#refusals table').hidden = usage.refusals.length === 0;
}

function ago(milliseconds) {
  const minutes = Math.max(0, Math.floor(milliseconds / 60000));
  if (minutes < 60) {
    return `${minutes}分前 / ${minutes} min ago`;
  }
  const hours = Math.floor(minutes / 60);
  if (hours < 48) {
    return `${hours}時間前 / ${hours} h ago`;
  }
  const days = Math.floor(hours / 24);
  return `${days}日前 / ${days} days ago`;
}

function skew(milliseconds) {
  const seconds = Math.abs(milliseconds) / 1000;
  const text = seconds < 120 ? `${seconds.toFixed(1)} s` : `${(seconds / 60).toFixed(1)} min`;
  if (text.startsWith('0.0 ')) {
    return text;
  }
  return `${milliseconds < 0 ? '−' : '+'}${text}`;
}

function renderFleet(fleets) {
  const body = document.querySelector('#fleet tbody');
  body.replaceChildren();
  let count = 0;
  for (const fleet of fleets) {
    for (const t of fleet.terminals) {
      count++;
      const tr = element('tr');
      tr.dataset.terminal = t.terminal;
      tr.classList.toggle('stale', t.stale);
      tr.append(element('td', t.terminal), element('td', t.site ?? ''));

      const status = element('td');
      status.dataset.field = 'status';
      status.append(element('span', t.status ?? ''));
      if (t.stale) {
        status.append(element('span', t.lastContactAt
          ? `${fleet.staleAfterMinutes}分以上接続なし / silent > ${fleet.staleAfterMinutes} min`
          : '接続記録なし / never connected', 'badge warn'));
      }
      if (!t.registered) {
        status.append(element('span', 'マスタ未登録 / not in master data', 'badge warn'));
      }
      tr.append(status);

      const contact = element('td', t.lastContactAt
        ? `${japanTime.format(new Date(t.lastContactAt))} (${ago(Date.parse(fleet.hubTime) - Date.parse(t.lastContactAt))})`
        : '—');
      contact.dataset.field = 'lastContact';
      // A build's version carries the commit after '+': its first 7 characters are enough on screen.
      const version = element('td', t.softwareVersion ? t.softwareVersion.replace(/\+(.{7}).+$/, '+$1') : '—', 'version');
      version.title = t.softwareVersion ?? '';
      tr.append(contact, version);

      const backlog = element('td', t.backlog === null ? '—' : numbers.format(t.backlog), 'number');
      backlog.dataset.field = 'backlog';
      const clock = element('td', t.clockSkewMs === null ? '—' : skew(t.clockSkewMs), 'number');
      clock.dataset.field = 'clockSkew';
      clock.classList.toggle('alarm', t.clockSkewAlarm);
      const quarantined = element('td', numbers.format(t.quarantined), 'number');
      quarantined.classList.toggle('alarm', t.quarantined > 0);
      tr.append(backlog, clock, quarantined);
      body.append(tr);
    }
  }
  document.querySelector('#fleet .empty').hidden = count > 0;
  document.querySelector('#fleet table').hidden = count === 0;
  const minutes = fleets.length > 0 ? fleets[0].staleAfterMinutes : me.staleAfterMinutes;
  $('fleet-note').textContent =
    `${minutes}分以上ハブに接続していない端末を強調表示します(Hub:Fleet:StaleAfter)。時刻は日本時間、経過時間はハブの時計によります。 / ` +
    `Terminals silent for over ${minutes} min are highlighted (Hub:Fleet:StaleAfter). Times are Japan time; "ago" is by the hub's clock.`;
}

async function show() {
  const view = selection();
  view.days = daysBetween(view.from, view.to);
  view.months = monthsBetween(view.from, view.to);
  const mine = ++generation;
  document.body.dataset.state = 'loading';
  $('status').replaceChildren(bilingual('読み込み中…', 'Loading…'));
  const query = new URLSearchParams({ municipality: view.municipality, from: view.from, to: view.to });
  history.replaceState(null, '', `?${query}`);
  try {
    const [usage, fleets] = await Promise.all([
      getJson('usage', usageParams(view)),
      Promise.all(view.municipalities.map((code) => getJson('fleet', new URLSearchParams({ municipality: code })))),
    ]);
    if (mine !== generation) {
      return; // a newer choice is on its way
    }
    renderSummary(usage, view);
    const tables = $('tables');
    tables.replaceChildren();
    for (const section of SECTIONS) {
      const table = usage.tables.find((t) => t.name === section.table);
      if (table && (!section.when || section.when(view))) {
        tables.append(renderTable(section, table, view));
      }
    }
    renderRefusals(usage, view);
    renderFleet(fleets);
    $('generated').textContent = `集計時刻 / Generated ${japanTime.format(new Date(usage.generatedAt))}`;
    $('content').hidden = false;
    $('status').replaceChildren();
    document.body.dataset.shown = `${view.municipality}|${view.from}|${view.to}`;
    document.body.dataset.state = 'ready';
  } catch (error) {
    if (mine !== generation) {
      return;
    }
    $('status').textContent = error.message;
    document.body.dataset.state = 'error';
  }
}

function setUp() {
  $('who').textContent = `${me.id} (${me.role}) — ${me.municipalities.map((m) => municipalityLabel(m.code)).join('、')}`;
  const select = $('municipality');
  for (const m of me.municipalities) {
    select.append(new Option(municipalityLabel(m.code), m.code));
  }
  if (me.municipalities.length > 1) {
    select.append(new Option(`すべて / All (${me.municipalities.length})`, ALL));
  }

  const asked = new URLSearchParams(location.search);
  const day = /^\d{4}-\d{2}-\d{2}$/;
  if ([...select.options].some((o) => o.value === asked.get('municipality'))) {
    select.value = asked.get('municipality');
  }
  $('from').value = day.test(asked.get('from') ?? '') ? asked.get('from') : me.today;
  $('to').value = day.test(asked.get('to') ?? '') ? asked.get('to') : me.today;

  $('filters').addEventListener('submit', (event) => {
    event.preventDefault();
    show();
  });
  select.addEventListener('change', show);
  $('today').addEventListener('click', () => {
    $('from').value = me.today;
    $('to').value = me.today;
    show();
  });
}

async function start() {
  try {
    me = await getJson('me');
  } catch (error) {
    $('status').textContent = error.message;
    document.body.dataset.state = 'error';
    return;
  }
  setUp();
  await show();
}

start();
