// The waiting-room board: shows the office at a glance from /api/v1/board, follows the live events,
// draws each call large (flashing a few times) and announces it: a chime and the call spoken in the
// display's languages, synthesized by the server, queued so that no announcement cuts another off.
// Settings come from the display's link: /board?token=…&volume=80&lang=it,en&repeat=2 (lang=none for
// the chime alone). The token is kept in the browser's storage and taken out of the address.
'use strict';

(function () {
  const TOKEN_KEY = 'turno.board.token';
  const RECENT = 8;
  const params = new URLSearchParams(location.search);

  let token = params.get('token');
  try {
    if (token) localStorage.setItem(TOKEN_KEY, token);
    else token = localStorage.getItem(TOKEN_KEY);
  } catch (e) { /* no storage: the token lives as long as the page */ }
  if (params.has('token')) {
    params.delete('token');
    const rest = params.toString();
    history.replaceState(null, '', location.pathname + (rest ? '?' + rest : '') + location.hash);
  }

  const settings = {
    volume: clamp(Number(params.get('volume') ?? 100), 0, 100) / 100,
    languages: (() => {
      const l = (params.get('lang') ?? 'it,en').toLowerCase();
      return l === 'none' || l === 'off' ? '' : l.split(',').filter((x) => /^[a-z]{2}$/.test(x)).slice(0, 5).join(',');
    })(),
    repeat: clamp(Math.round(Number(params.get('repeat') ?? 1)), 1, 3),
  };

  function clamp(n, lo, hi) {
    return Number.isFinite(n) ? Math.min(hi, Math.max(lo, n)) : hi;
  }

  const S = {
    office: null,
    timezone: 'Europe/Rome',
    clockOffset: 0,
    waiting: new Map(),
    counters: new Map(),
    calls: [],
    latest: null,
    lastId: 0,
    online: false,
    unauthorized: false,
    nextAttempt: 0,
  };

  const $ = (id) => document.getElementById(id);

  function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k === 'class') el.className = v;
      else el.setAttribute(k, v === true ? '' : v);
    }
    for (const c of children.flat(Infinity)) {
      if (c === null || c === undefined || c === false) continue;
      el.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return el;
  }

  function en(text) {
    return h('span', { lang: 'en', class: 'en' }, text);
  }

  /** "Sportello 3" → "Counter 3" for the English line; another name as is. */
  function counterEnglish(name) {
    const m = /^\s*sportello\s+(.+)$/i.exec(name || '');
    return m ? 'Counter ' + m[1] : null;
  }

  /** Under "Sportelli aperti", "Sportello 3" is just "3"; another name as is. */
  function shortCounter(name) {
    const m = /^\s*sportello\s+(.+)$/i.exec(name || '');
    return m ? m[1] : name;
  }

  function priorityBadge() {
    return h('span', { class: 'priority' }, h('span', { 'aria-hidden': 'true' }, '★'), 'Precedenza', en('Priority'));
  }

  // ----- drawing -----

  function renderLatest(flash) {
    const box = $('latest-call');
    const c = S.latest;
    if (!c) {
      $('latest-flags').replaceChildren();
      box.replaceChildren(h('p', { class: 'waiting-first', id: 'latest-empty' },
        'In attesa della prima chiamata', en('Waiting for the first call')));
      return;
    }
    const english = counterEnglish(c.counter_name);
    box.replaceChildren(
      h('p', { class: 'number', id: 'latest-number' }, c.number),
      h('p', { class: 'to', id: 'latest-counter' }, h('span', { class: 'arrow', 'aria-hidden': 'true' }, '➜'), c.counter_name),
      english ? h('p', { class: 'counter-en', lang: 'en' }, english) : null,
      c.priority === 'priority' ? h('span', { class: 'visually-hidden' }, 'Precedenza') : null);
    $('latest-flags').replaceChildren(c.priority === 'priority' ? priorityBadge() : '');
    box.dataset.number = c.number;
    if (flash) {
      box.classList.remove('flash');
      void box.offsetWidth; // restart the animation
      box.classList.add('flash');
    }
  }

  function renderCalls(fresh) {
    $('calls').replaceChildren(...S.calls.slice(0, RECENT).map((c) =>
      h('li', { class: [c.done ? 'done' : '', fresh && fresh === c ? 'fresh' : ''].join(' ').trim() || null,
        'data-number': c.number },
      h('span', { class: 'num' }, c.number,
        c.priority === 'priority' ? h('span', { class: 'star', title: 'Precedenza – Priority' },
          h('span', { 'aria-hidden': 'true' }, '★'), h('span', { class: 'visually-hidden' }, ' precedenza')) : null),
      h('span', { class: 'where' }, h('span', { 'aria-hidden': 'true' }, '➜ '), c.counter_name))));
  }

  function renderServices() {
    const list = $('services');
    if (!S.office) return;
    list.replaceChildren(...S.office.services.map((s) => {
      const waiting = S.waiting.get(s.id) ?? s.waiting;
      const wait = s.estimated_wait_minutes;
      // A range the actual wait fell in for about 80% of tickets, when the server gives one.
      const range = s.estimated_wait_range;
      const figures = !s.open
        ? ['Chiuso', en('Closed')]
        : [h('b', null, String(waiting)),
          waiting === 0 ? null
            // Nobody can say how long: no counter serves the service now.
            : wait === null || wait === undefined ? ['  ·  nessuno sportello aperto', en('no counter open')]
            : range && range.high_minutes > 1
              ? ['  ·  ', h('b', null, range.low_minutes + '–' + range.high_minutes), ' min']
              : wait < 1 ? '  ·  < 1 min' : ['  ·  ~', h('b', null, String(wait)), ' min']];
      return h('li', { class: s.open ? null : 'closed', 'data-service': s.id },
        h('span', { class: 'prefix', 'aria-hidden': 'true' }, s.prefix),
        h('span', { class: 'name' }, (s.name && (s.name.it || Object.values(s.name)[0])) || ''),
        h('span', { class: 'figures' }, figures));
    }));
  }

  function renderCounters() {
    const open = [...S.counters.values()].filter((c) => c.state !== 'closed');
    $('counters').replaceChildren(...(open.length
      ? open.map((c) => h('li', { class: c.state === 'paused' ? 'paused' : null },
        shortCounter(c.name), c.state === 'paused' ? [' (pausa', en('break'), ')'] : null))
      : [h('li', { class: 'none' }, 'Nessuno sportello aperto', en('No counter open'))]));
  }

  let noticeIndex = 0;
  function renderNotice() {
    const p = $('notice');
    const notices = (S.office && S.office.notices) || [];
    if (!notices.length) {
      p.hidden = true;
      return;
    }
    const n = notices[noticeIndex++ % notices.length];
    p.hidden = false;
    p.replaceChildren(n.it || Object.values(n)[0] || '', n.en && n.en !== n.it ? en(n.en) : null);
  }

  function renderClock() {
    const now = new Date(Date.now() + S.clockOffset);
    const tz = S.timezone;
    try {
      $('clock').textContent = new Intl.DateTimeFormat('it-IT', { hour: '2-digit', minute: '2-digit', timeZone: tz }).format(now);
      $('date').textContent = new Intl.DateTimeFormat('it-IT', {
        weekday: 'long', day: 'numeric', month: 'long', year: 'numeric', timeZone: tz,
      }).format(now);
    } catch (e) {
      $('clock').textContent = now.toTimeString().slice(0, 5);
    }
  }

  function renderLink() {
    const p = $('link-state');
    if (S.unauthorized) {
      p.className = 'link-state away';
      p.replaceChildren('Schermo non autorizzato: chieda un nuovo collegamento all\'ufficio', en('Display not authorized'));
    } else if (!S.online) {
      p.className = 'link-state away';
      p.replaceChildren('Server non raggiungibile, nuovo tentativo…', en('Reconnecting…'));
    } else {
      p.className = 'link-state';
      p.replaceChildren();
    }
  }

  // ----- state -----

  function applySnapshot(snap, replaceCalls) {
    S.office = snap.office;
    S.timezone = snap.timezone || S.timezone;
    S.clockOffset = Date.parse(snap.office.now) - Date.now();
    S.waiting = new Map(snap.office.services.map((s) => [s.id, s.waiting]));
    S.counters = new Map(snap.counters.map((c) => [c.id, c]));
    $('office').textContent = snap.office.name;
    document.title = snap.office.name + ' – Sala d\'attesa';
    if (replaceCalls) {
      S.calls = snap.calls.map((c) => Object.assign({}, c, { done: false }));
      S.latest = S.calls[0] || null;
      renderLatest(false);
    } else {
      // What the events do not carry (a call's priority) comes with the office's view.
      for (const c of S.calls) {
        const known = snap.calls.find((x) => x.ticket_id === c.ticket_id && x.counter_id === c.counter_id);
        if (known && known.priority !== c.priority) c.priority = known.priority;
      }
      if (S.latest) renderLatest(false);
    }
    renderCalls();
    renderServices();
    renderCounters();
    renderClock();
    if ($('notice').hidden) renderNotice();
  }

  function addCall(ev) {
    const call = {
      ticket_id: ev.ticket_id,
      number: ev.number,
      service_id: ev.service_id,
      counter_id: ev.counter_id,
      counter_name: ev.counter_name,
      priority: ev.priority || (S.calls.find((c) => c.ticket_id === ev.ticket_id) || {}).priority || 'normal',
      state: 'called',
      done: false,
    };
    S.calls = [call, ...S.calls.filter((c) => c.ticket_id !== call.ticket_id)].slice(0, RECENT * 2);
    S.latest = call;
    renderLatest(true);
    renderCalls(call);
    log('drawn', call);
    return call;
  }

  // ----- announcements -----

  const audio = { queue: [], playing: null, blocked: false, log: [] };

  function log(event, call) {
    audio.log.push({ event, number: call.number, counter: call.counter_name, at: performance.now() });
    if (audio.log.length > 500) audio.log.splice(0, 100);
  }

  function fetchAudio(call) {
    const q = new URLSearchParams({
      number: call.number,
      counter_id: String(call.counter_id),
      languages: settings.languages,
      repeat: String(settings.repeat),
    });
    return fetch('/api/v1/board/announcement?' + q, { headers: { authorization: 'Bearer ' + token } })
      .then((r) => {
        if (!r.ok) throw new Error('announcement: ' + r.status);
        return r.blob();
      })
      .then((blob) => {
        log('ready', call);
        return URL.createObjectURL(blob);
      });
  }

  function announce(call) {
    const item = { call, url: fetchAudio(call) };
    item.url.catch(() => {});
    audio.queue.push(item);
    // Silenced for long (sound not allowed yet): only the latest few are kept.
    if (audio.blocked && audio.queue.length > 3) audio.queue.splice(0, audio.queue.length - 3);
    log('queued', call);
    pump();
  }

  async function pump() {
    if (audio.playing || audio.blocked || !audio.queue.length) return;
    const item = audio.queue[0];
    audio.playing = item;
    let url = null;
    try {
      url = await item.url;
      const el = new Audio(url);
      el.volume = settings.volume;
      await new Promise((resolve, reject) => {
        el.addEventListener('ended', resolve);
        el.addEventListener('error', () => reject(new Error('cannot play')));
        el.play().then(() => log('started', item.call), reject);
      });
      log('ended', item.call);
      audio.queue.shift();
    } catch (e) {
      if (e && e.name === 'NotAllowedError') {
        // The browser wants a touch before it plays sound: ask for it, keep the queue.
        audio.blocked = true;
        $('sound').hidden = false;
      } else {
        log('failed', item.call);
        audio.queue.shift();
      }
    } finally {
      if (url) URL.revokeObjectURL(url);
      audio.playing = null;
    }
    pump();
  }

  $('sound').addEventListener('click', () => {
    audio.blocked = false;
    $('sound').hidden = true;
    pump();
  });

  // ----- live events -----

  let source = null;
  let catchUpUntil = 0;
  let stillCalled = new Map();
  let announcedCatchUp = new Set();
  let retryDelay = 1000;
  let refreshTimer = null;

  async function fetchBoard() {
    const r = await fetch('/api/v1/board', { headers: { authorization: 'Bearer ' + token }, cache: 'no-store' });
    if (r.status === 401 || r.status === 403) {
      const e = new Error('unauthorized');
      e.unauthorized = true;
      throw e;
    }
    if (!r.ok) throw new Error('board: ' + r.status);
    return r.json();
  }

  /** Opens (or reopens) the board: reads the office, then follows the events after the last one seen.
   *  Events that happened while the board was away are shown; a call among them is announced only if
   *  its ticket is still called at that counter (the citizen has not arrived yet), once. */
  async function connect(first) {
    try {
      const snap = await fetchBoard();
      S.unauthorized = false;
      if (first) S.lastId = snap.last_event_id;
      applySnapshot(snap, first);
      catchUpUntil = snap.last_event_id;
      stillCalled = new Map(snap.calls.filter((c) => c.state === 'called').map((c) => [c.ticket_id, c.counter_id]));
      announcedCatchUp = new Set();
      open();
    } catch (e) {
      S.online = false;
      S.unauthorized = !!e.unauthorized;
      renderLink();
      retryLater(() => connect(first), e.unauthorized ? 60000 : nextDelay());
    }
  }

  function retryLater(f, delay) {
    S.nextAttempt = performance.now() + delay;
    setTimeout(f, delay);
  }

  function nextDelay() {
    const d = retryDelay;
    retryDelay = Math.min(retryDelay * 2, 5000);
    return d;
  }

  function open() {
    const q = new URLSearchParams({ access_token: token, last_event_id: String(S.lastId) });
    source = new EventSource('/api/v1/events?' + q);
    for (const name of ['ticket_called', 'ticket_recalled', 'ticket_finished', 'queue_changed',
      'counter_changed', 'config_changed', 'resync']) {
      source.addEventListener(name, (ev) => onEvent(name, ev));
    }
    source.addEventListener('open', () => {
      S.online = true;
      retryDelay = 1000;
      renderLink();
    });
    source.addEventListener('error', () => {
      if (source) source.close();
      source = null;
      S.online = false;
      renderLink();
      retryLater(() => connect(false), nextDelay());
    });
  }

  function onEvent(name, ev) {
    const id = Number(ev.lastEventId) || 0;
    if (id && id <= S.lastId) return;
    if (id) S.lastId = id;
    const data = JSON.parse(ev.data);
    const live = id > catchUpUntil;
    switch (name) {
      case 'ticket_called':
      case 'ticket_recalled': {
        const call = addCall(data);
        if (live) {
          announce(call);
        } else if (stillCalled.get(call.ticket_id) === call.counter_id && !announcedCatchUp.has(call.ticket_id)) {
          announcedCatchUp.add(call.ticket_id);
          announce(call);
        }
        break;
      }
      case 'ticket_finished': {
        const c = S.calls.find((x) => x.ticket_id === data.ticket_id);
        if (c) {
          c.done = true;
          renderCalls();
        }
        break;
      }
      case 'queue_changed':
        for (const w of data.waiting) S.waiting.set(w.service_id, w.waiting);
        for (const s of (S.office ? S.office.services : [])) if (!data.waiting.some((w) => w.service_id === s.id)) S.waiting.set(s.id, 0);
        renderServices();
        refreshSoon(800);
        break;
      case 'counter_changed':
        S.counters.set(data.counter_id, { id: data.counter_id, name: data.counter_name, state: data.state });
        renderCounters();
        refreshSoon(800);
        break;
      case 'config_changed':
        refreshSoon(0);
        break;
      case 'resync':
        // What the board missed is no longer kept: start again from the office's state.
        resync();
        break;
      default:
    }
  }

  async function resync() {
    try {
      const snap = await fetchBoard();
      applySnapshot(snap, true);
    } catch (e) { /* the stream's own reconnection takes over */ }
  }

  function refreshSoon(delay) {
    if (refreshTimer) return;
    refreshTimer = setTimeout(async () => {
      refreshTimer = null;
      try {
        applySnapshot(await fetchBoard(), false);
      } catch (e) { /* shown by the stream's state */ }
    }, delay);
  }

  // For tests and for whoever looks at a board from its console.
  window.turnoBoard = {
    log: audio.log,
    queue: () => audio.queue.map((i) => i.call.number),
    playing: () => (audio.playing ? audio.playing.call.number : null),
    calls: () => S.calls.slice(0, RECENT).map((c) => ({ number: c.number, counter: c.counter_name, priority: c.priority })),
    latest: () => (S.latest ? S.latest.number : null),
    online: () => S.online,
    /** Milliseconds until the next attempt to reconnect (negative when none is planned). */
    nextAttemptIn: () => (S.online ? -1 : S.nextAttempt - performance.now()),
    lastEventId: () => S.lastId,
    settings,
  };

  renderLink();
  setInterval(renderClock, 1000);
  setInterval(renderNotice, 10000);
  // The office view changes with the clock too (opening hours, notices' windows, estimates).
  setInterval(() => refreshSoon(0), 60000);
  if (!token) {
    S.unauthorized = true;
    renderLink();
  } else {
    connect(true);
  }
})();
