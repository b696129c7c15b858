// vifpath's page: topology (cytoscape, laid out by elkjs' layered algorithm), diagnosis, trace
// panel and flow tables. The same script runs served (data from the JSON API next to the page)
// and in the one-file report (data inlined in #vifpath-data). Every name from the case reaches
// the DOM as text (textContent, attribute values), never as markup.
/* global cytoscape, ELK */
(() => {
  const BIG = 300;
  const MAX_FLOW_ROWS = 2000;
  const state = {
    view: null,
    diagnosis: null,
    cy: null,
    nodesById: new Map(),
    byKey: new Map(),
    shown: null, // Set of node ids in the focus graph, or null when the whole topology is drawn
    trace: null,
    report: null,
    /** The VM port last picked on the page (`host:port` as shown): where a reply preset goes. */
    pickedVm: null,
  };
  const api = {
    rendered: false,
    traceDone: false,
    errors: [],
    get cy() {
      return state.cy;
    },
    get state() {
      return state;
    },
  };
  window.vifpath = api;

  // ---- DOM helpers: text only.
  function el(tag, attrs, ...kids) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k === 'class') e.className = v;
      else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
      else e.setAttribute(k, String(v));
    }
    return append(e, ...kids);
  }
  /**
   * Adds kids to `e`, skipping the empty ones a condition gives (null, undefined, false): the
   * DOM's own append writes them as the text "null". Every container is filled through here.
   */
  function append(e, ...kids) {
    for (const k of kids.flat()) {
      if (k === undefined || k === null || k === false) continue;
      e.append(typeof k === 'string' || typeof k === 'number' ? document.createTextNode(String(k)) : k);
    }
    return e;
  }
  const $ = (id) => document.getElementById(id);
  function clear(e) {
    while (e.firstChild) e.removeChild(e.firstChild);
    return e;
  }
  const where = (file, line) => (file ? (line ? `${file}:${line}` : file) : '');

  // ---- Names from the case are shown as the CLI prints them (src/text/escape.ts, escapeControl;
  // web/escape.test.ts checks this copy against it): C0/C1 controls, DEL, the bidi embeddings,
  // overrides and isolates, direction marks, line separators and invisible characters made
  // visible (`\x1b`, `\u{202e}`), so a host named "d\x1b[31mom0\u202e" cannot colour or reverse
  // what the page says. One place: every JSON document the page renders (view, diagnosis, traces)
  // becomes a display copy when it arrives (display()), each string and key escaped once; the
  // JSON itself stays exact, and what goes back to the server (a trace's from) is the exact name.
  // <escape>
  const UNSAFE =
    /[\u0000-\u001f\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u2028\u2029\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/g;
  const NAMED = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };
  function escapeControl(s) {
    return s.replace(UNSAFE, (ch) => {
      if (NAMED[ch]) return NAMED[ch];
      const cp = ch.codePointAt(0);
      return cp <= 0xff ? `\\x${cp.toString(16).padStart(2, '0')}` : `\\u{${cp.toString(16)}}`;
    });
  }
  // </escape>
  /** The display copy of a JSON value: strings and keys escaped; a graph label's line breaks kept. */
  function display(v, key) {
    if (typeof v === 'string')
      return key === 'label' ? v.split('\n').map(escapeControl).join('\n') : escapeControl(v);
    if (Array.isArray(v)) return v.map((x) => display(x));
    if (v && typeof v === 'object') {
      const o = {};
      for (const [k, x] of Object.entries(v)) o[escapeControl(k)] = display(x, k);
      return o;
    }
    return v;
  }
  /** Shown `host:port` → the exact one (null: two ports print alike), for traces asked of the server. */
  const exactFrom = new Map();

  // ---- Data: the JSON API when served, the inlined document in the report.
  async function getJson(path) {
    const r = await fetch(path, { headers: { accept: 'application/json' } });
    const body = await r.json().catch(() => ({ error: `HTTP ${r.status}` }));
    if (!r.ok) throw new Error(body.error || `HTTP ${r.status}`);
    return body;
  }
  // The report's keys (report.ts): "from packet", and "from packet to" for a trace toward one VM.
  const traceKey = (from, packet, to) => (to ? `${from} ${packet} ${to}` : `${from} ${packet}`);
  async function runTrace(from, packet, mac, to) {
    if (state.report) {
      const t = state.report.traces[traceKey(from, packet, to)];
      if (!t)
        throw new Error(
          `the report holds no trace of ${packet} from ${from}${to ? ` to ${to}` : ''}; run vifpath serve to trace anything`,
        );
      return t;
    }
    const exact = (shown) => {
      const x = exactFrom.get(shown);
      if (x === null)
        throw new Error(
          `${shown}: two ports of the case print alike; trace the one you mean with vifpath trace`,
        );
      return x ?? shown;
    };
    const q = new URLSearchParams({ from: exact(from), packet });
    if (mac) q.set('mac', mac);
    if (to) q.set('to', exact(to));
    return display(await getJson(`api/trace?${q}`));
  }

  // ---- Replies: an OFFER goes to one VM (trace --to), entering at the DHCP server's port.
  const REPLY = new Set(['dhcp-offer']);
  const vmPorts = () => new Set(state.view.vms.map((v) => `${v.host}:${v.port}`));
  /** The VM a reply goes to: the one picked on the page, else the one under investigation. */
  const selectedVm = () => state.pickedVm || state.view.focus || '';
  /**
   * Switching to a reply preset: the VM goes in "to" (the one picked, or the one "from" named) and
   * "from" becomes the DHCP server's port when the case has one (the first, as listed).
   */
  function replyForm() {
    const from = $('trace-from').value.trim();
    if (vmPorts().has(from)) state.pickedVm = from;
    if (!$('trace-to').value.trim()) $('trace-to').value = selectedVm();
    if ((!from || vmPorts().has(from)) && state.view.servers?.length)
      $('trace-from').value = state.view.servers[0];
  }

  // ---- Keys: how trace nodes find graph elements.
  const K = (...parts) => parts.join('\u0000');
  function indexView(view) {
    state.nodesById = new Map(view.nodes.map((n) => [n.id, n]));
    state.byKey = new Map();
    for (const n of view.nodes) {
      if (n.kind === 'host') state.byKey.set(K('host', n.host), n.id);
      else if (n.kind === 'bridge') state.byKey.set(K('bridge', n.host, n.name), n.id);
      else if (n.kind === 'port') {
        state.byKey.set(K('port', n.host, n.bridge, n.name), n.id);
        if (!state.byKey.has(K('iface', n.host, n.name))) state.byKey.set(K('iface', n.host, n.name), n.id);
      } else if (n.kind === 'namespace') state.byKey.set(K('namespace', n.host, n.name), n.id);
      else if (n.kind === 'device') state.byKey.set(K('iface', n.host, n.name), n.id);
      else if (n.kind === 'vm') state.byKey.set(K('vm', n.host, n.name.replace(/^VM /, '')), n.id);
    }
    state.neighbours = new Map();
    for (const e of view.edges) {
      for (const [a, b] of [
        [e.source, e.target],
        [e.target, e.source],
      ]) {
        if (!state.neighbours.has(a)) state.neighbours.set(a, []);
        state.neighbours.get(a).push({ id: b, kind: e.kind });
      }
    }
  }

  // ---- Header, findings.
  function renderHeader() {
    const v = state.view;
    const d = state.diagnosis;
    document.title = `vifpath — ${v.case}`;
    $('case').textContent = v.case;
    const badge = $('verdict');
    badge.textContent = d.verdict;
    badge.className = `badge ${d.verdict}`;
    $('headline').textContent = d.headline;
    const diag = clear($('diagnostics'));
    for (const x of v.diagnostics) append(diag, el('li', {}, `${where(x.file, x.line)}: ${x.message}`));
    $('diagnostics-box').hidden = v.diagnostics.length === 0;
  }

  function renderFindings() {
    const ol = clear($('findings'));
    // Past 30 findings the rest fold away (a 1,000-VM case can have one per VM).
    let more = null;
    state.diagnosis.findings.forEach((f, i) => {
      if (i === 30) {
        more = el('ol', { start: 31 });
        append(
          ol,
          el(
            'li',
            { class: 'more' },
            el(
              'details',
              {},
              el('summary', {}, `${state.diagnosis.findings.length - 30} more findings`),
              more,
            ),
          ),
        );
      }
      const targets = state.view.findingTargets[i] || [];
      const li = el(
        'li',
        { class: `finding ${f.severity}`, 'data-code': f.code, tabindex: 0 },
        el(
          'div',
          { class: 'fhead' },
          el('span', { class: `sev ${f.severity}` }, f.severity),
          ' ',
          el('code', {}, f.code),
          ' ',
          el('span', { class: 'subject' }, f.subject),
        ),
        el('p', { class: 'message' }, f.message),
        // Worded as the CLI words it (src/cli/format-diagnosis.ts): a cause with something to
        // confirm is probable, and what confirms it is shown.
        f.rootCause
          ? el('p', { class: 'root' }, f.confirm ? 'probable root cause: ' : 'root cause: ', f.rootCause)
          : null,
        f.confirm ? el('p', { class: 'confirm' }, 'to confirm: ', el('code', {}, f.confirm)) : null,
        f.evidence.length
          ? el(
              'ul',
              { class: 'evidence' },
              f.evidence.map((e) =>
                el(
                  'li',
                  {},
                  e.text,
                  e.file ? el('span', { class: 'where' }, ` ${where(e.file, e.line)}`) : null,
                ),
              ),
            )
          : null,
        f.fix.length ? el('pre', { class: 'fix' }, f.fix.join('\n')) : null,
        targets.length
          ? el(
              'button',
              { type: 'button', class: 'show', onclick: () => highlight(targets, 'finding') },
              `show on graph (${targets.length})`,
            )
          : null,
      );
      append(more || ol, li);
    });
    if (state.diagnosis.findings.length === 0) append(ol, el('li', {}, 'no findings'));
    const ul = clear($('collect'));
    for (const c of state.diagnosis.collectNext) append(ul, el('li', {}, c));
    $('collect-box').hidden = state.diagnosis.collectNext.length === 0;
  }

  // ---- Graph.
  function nodeSize(label) {
    const lines = String(label).split('\n');
    const w = Math.max(...lines.map((l) => l.length));
    return { w: Math.min(480, Math.max(40, w * 6.6 + 16)), h: lines.length * 14 + 12 };
  }

  function classesOf(n) {
    const c = [n.kind];
    if (n.kind === 'port') {
      c.push(n.tagText === 'no tag' ? 'notag' : n.tagText === 'tag ?' ? 'tagunknown' : 'tagged');
      if (n.type) c.push(`type-${n.type.replace(/[^a-z0-9-]/gi, '')}`);
    }
    return c.join(' ');
  }

  /** Cytoscape elements for the chosen node ids (their host groups added), edges between them. */
  function elementsFor(ids) {
    const keep = new Set();
    for (const id of ids) {
      const n = state.nodesById.get(id);
      if (!n) continue;
      keep.add(id);
      if (n.parent) keep.add(n.parent);
    }
    const els = [];
    for (const id of keep) {
      const n = state.nodesById.get(id);
      const data = { id, label: n.label, kind: n.kind, name: n.name, host: n.host };
      if (n.bridge) data.bridge = n.bridge;
      if (n.tagText) data.tag = n.tagText;
      if (n.parent && keep.has(n.parent)) data.parent = n.parent;
      els.push({ group: 'nodes', data, classes: classesOf(n) });
    }
    for (const e of state.view.edges) {
      if (!keep.has(e.source) || !keep.has(e.target)) continue;
      els.push({
        group: 'edges',
        data: { id: e.id, source: e.source, target: e.target, kind: e.kind, label: e.label || '' },
        classes: e.kind,
      });
    }
    return els;
  }

  const STYLE = [
    {
      selector: 'node',
      style: {
        label: 'data(label)',
        'text-wrap': 'wrap',
        'font-size': 11,
        'text-valign': 'center',
        'text-halign': 'center',
        width: 'data(w)',
        height: 'data(h)',
        'border-width': 1,
        'border-color': '#555',
        'background-color': '#eee',
        shape: 'round-rectangle',
        color: '#111',
      },
    },
    {
      selector: 'node.host',
      style: {
        'text-valign': 'top',
        'text-halign': 'center',
        'font-size': 14,
        'font-weight': 'bold',
        'background-color': '#f6f8fb',
        'border-color': '#8899aa',
        'border-width': 2,
        padding: 14,
        shape: 'round-rectangle',
      },
    },
    {
      selector: 'node.bridge',
      style: { 'background-color': '#cfe2ff', 'border-color': '#2f5fa8', 'font-weight': 'bold' },
    },
    { selector: 'node.port', style: { shape: 'rectangle', 'background-color': '#ffffff' } },
    { selector: 'node.port.tagged', style: { 'border-color': '#2e7d32', 'border-width': 2 } },
    {
      selector: 'node.port.notag',
      style: { 'border-color': '#e65100', 'border-width': 3, 'background-color': '#fff3e0' },
    },
    { selector: 'node.port.tagunknown', style: { 'border-style': 'dashed', 'border-color': '#999' } },
    {
      selector: 'node.namespace',
      style: { 'background-color': '#fff8c4', 'border-color': '#a68b00', shape: 'cut-rectangle' },
    },
    {
      selector: 'node.vm',
      style: { 'background-color': '#ead7f7', 'border-color': '#6a1b9a', shape: 'ellipse' },
    },
    {
      selector: 'node.device, node.remote',
      style: { 'background-color': '#eeeeee', 'border-style': 'dotted' },
    },
    {
      selector: 'edge',
      style: {
        width: 1.5,
        'line-color': '#9aa5b1',
        'curve-style': 'bezier',
        label: 'data(label)',
        'font-size': 9,
        color: '#555',
        'text-background-color': '#fff',
        'text-background-opacity': 0.8,
      },
    },
    { selector: 'edge.patch', style: { 'line-style': 'dashed', 'line-color': '#2f5fa8', width: 2 } },
    { selector: 'edge.wire', style: { 'line-color': '#333', width: 3 } },
    { selector: 'edge.tunnel', style: { 'line-style': 'dotted', 'line-color': '#6a1b9a', width: 3 } },
    {
      selector: 'node.path',
      style: { 'border-color': '#00a86b', 'border-width': 4, 'z-index': 10 },
    },
    {
      selector: 'edge.path',
      style: { 'line-color': '#00a86b', width: 4, 'z-index': 10 },
    },
    { selector: 'node.path', style: { 'background-color': '#d8f5e8' } },
    {
      selector: '.drop',
      style: {
        'border-color': '#d50000',
        'border-width': 5,
        'background-color': '#ffd6d6',
        color: '#a00000',
        'font-weight': 'bold',
      },
    },
    {
      selector: '.finding',
      style: { 'overlay-color': '#ff9800', 'overlay-opacity': 0.25, 'overlay-padding': 6 },
    },
    {
      selector: '.searched',
      style: { 'overlay-color': '#2962ff', 'overlay-opacity': 0.25, 'overlay-padding': 6 },
    },
  ];

  async function layout(els) {
    // ELK's layered algorithm on the host groups and their members; positions handed to cytoscape.
    const nodes = els.filter((x) => x.group === 'nodes');
    const byId = new Map(nodes.map((n) => [n.data.id, n]));
    const kids = new Map();
    const roots = [];
    for (const n of nodes) {
      const sz = nodeSize(n.data.label);
      n.data.w = sz.w;
      n.data.h = sz.h;
      const p = n.data.parent;
      if (p && byId.has(p)) {
        if (!kids.has(p)) kids.set(p, []);
        kids.get(p).push(n);
      } else roots.push(n);
    }
    const vmPorts = new Set(
      els
        .filter((x) => x.group === 'edges' && state.nodesById.get(x.data.source)?.kind === 'vm')
        .map((x) => x.data.target),
    );
    const toElk = (n) => {
      const c = kids.get(n.data.id);
      if (c)
        return {
          id: n.data.id,
          layoutOptions: { 'elk.padding': '[top=28,left=12,bottom=12,right=12]' },
          children: c.map(toElk),
        };
      return { id: n.data.id, width: n.data.w, height: n.data.h };
    };
    const edges = els
      .filter((x) => x.group === 'edges')
      .map((x) => {
        // Lay the path out left to right: a VM's port sits before its bridge, other ports after.
        const flip = x.data.kind === 'member' && vmPorts.has(x.data.target);
        return {
          id: x.data.id,
          sources: [flip ? x.data.target : x.data.source],
          targets: [flip ? x.data.source : x.data.target],
        };
      });
    const graph = {
      id: 'root',
      layoutOptions: {
        'elk.algorithm': 'layered',
        'elk.direction': 'RIGHT',
        'elk.hierarchyHandling': 'INCLUDE_CHILDREN',
        'elk.layered.spacing.nodeNodeBetweenLayers': '36',
        'elk.spacing.nodeNode': '14',
        'elk.spacing.componentComponent': '30',
      },
      children: roots.map(toElk),
      edges,
    };
    const out = await new ELK().layout(graph);
    const pos = new Map();
    const place = (g, dx, dy) => {
      for (const c of g.children || []) {
        const x = dx + (c.x || 0);
        const y = dy + (c.y || 0);
        if (!c.children || c.children.length === 0)
          pos.set(c.id, { x: x + c.width / 2, y: y + c.height / 2 });
        place(c, x, y);
      }
    };
    place(out, 0, 0);
    for (const n of nodes) if (pos.has(n.data.id)) n.position = pos.get(n.data.id);
    return els;
  }

  async function draw(ids) {
    const els = await layout(elementsFor(ids));
    if (!state.cy) {
      state.cy = cytoscape({
        container: $('cy'),
        elements: [],
        style: STYLE,
        layout: { name: 'preset' },
        minZoom: 0.05,
        maxZoom: 3,
      });
      state.cy.on('tap', 'node', (ev) => onNodeTap(ev.target.id()));
    }
    const cy = state.cy;
    cy.batch(() => {
      cy.elements().remove();
      cy.add(els);
    });
    cy.layout({ name: 'preset', fit: true, padding: 20 }).run();
    const n = state.view.nodes.length;
    $('graph-note').textContent = state.shown
      ? `showing ${cy.nodes().length} of ${n} elements: the VM's path and its neighbours${n > BIG ? ' (the whole topology is in the table below)' : ''}`
      : `${n} elements`;
    if (state.trace) markTrace(state.trace, false);
  }

  function onNodeTap(id) {
    const n = state.nodesById.get(id);
    if (!n) return;
    if (n.kind === 'bridge') selectFlowBridge(id);
    if (n.kind === 'port') $('trace-from').value = `${n.host}:${n.name}`;
    showDetails(n);
  }

  function showDetails(n) {
    const box = clear($('details'));
    append(
      box,
      el('h3', {}, `${n.kind} ${n.name}`),
      el(
        'dl',
        {},
        el('dt', {}, 'host'),
        el('dd', {}, n.host),
        n.bridge ? [el('dt', {}, 'bridge'), el('dd', {}, n.bridge)] : null,
        n.tagText ? [el('dt', {}, 'VLAN'), el('dd', {}, n.tagText)] : null,
        n.type ? [el('dt', {}, 'type'), el('dd', {}, n.type)] : null,
        n.keys.length ? [el('dt', {}, 'also'), el('dd', {}, n.keys.join(', '))] : null,
        n.from?.length
          ? [el('dt', {}, 'from'), el('dd', {}, n.from.map((f) => where(f.file, f.line)).join(', '))]
          : null,
      ),
    );
  }

  /** Focus: the path's nodes, and for each the neighbours that are structure (patch, wire, VM, namespace), not every sibling port. */
  function focusSet(pathIds) {
    const s = new Set(pathIds);
    // A port that leads somewhere: a patch, a wire, a tunnel, or a namespace (a VM port leads only to its VM).
    const leads = (id) =>
      (state.neighbours.get(id) || []).some(
        (x) =>
          x.kind === 'patch' ||
          x.kind === 'wire' ||
          x.kind === 'tunnel' ||
          (x.kind === 'attach' && state.nodesById.get(x.id)?.kind === 'namespace'),
      );
    for (const id of pathIds) {
      const me = state.nodesById.get(id);
      if (!me) continue;
      for (const nb of state.neighbours.get(id) || []) {
        const n = state.nodesById.get(nb.id);
        if (!n) continue;
        if (nb.kind !== 'member') s.add(nb.id);
        else if (me.kind === 'port' || leads(nb.id)) s.add(nb.id); // a port's bridge; a bridge's ports that lead on
      }
    }
    return s;
  }

  async function showWhole() {
    state.shown = null;
    await draw(state.view.nodes.map((n) => n.id));
  }

  async function showFocus(extra) {
    const base = state.trace ? pathIds(state.trace.tree) : [];
    const focus = state.view.focus ? vmNodeOf(state.view.focus) : [];
    state.shown = focusSet([...base, ...focus, ...(extra || []), ...(state.shown ? [...state.shown] : [])]);
    await draw([...state.shown]);
  }

  function vmNodeOf(hostPort) {
    const i = hostPort.indexOf(':');
    const id = state.byKey.get(K('iface', hostPort.slice(0, i), hostPort.slice(i + 1)));
    return id ? [id] : [];
  }

  async function highlight(ids, cls) {
    const cy = state.cy;
    if (!cy) return;
    if (state.shown && ids.some((id) => cy.getElementById(id).empty())) await showFocus(ids);
    cy.elements().removeClass(cls);
    const col = cy.collection(ids.map((id) => cy.getElementById(id)).filter((x) => x.nonempty()));
    col.addClass(cls);
    if (col.nonempty()) cy.animate({ fit: { eles: col, padding: 80 }, duration: 200 });
  }

  // ---- Trace: tree → graph elements, summary, path text.
  function portId(host, bridge, port) {
    return state.byKey.get(K('port', host, bridge, port)) || state.byKey.get(K('iface', host, port));
  }
  function endpointIds(e) {
    if (!e) return [];
    if (e.kind === 'namespace') return [state.byKey.get(K('namespace', e.host, e.namespace))];
    if (e.kind === 'vm' || e.kind === 'device') return [state.byKey.get(K('iface', e.host, e.device))];
    if (e.kind === 'uncollected')
      return [state.byKey.get(K('iface', e.host, e.iface)), state.byKey.get(K('host', e.host))];
    return [];
  }
  /** Graph node ids along every branch, in walk order (the order they light up). */
  function pathIds(tree) {
    const out = [];
    // A flood to hundreds of plain ports would light the whole bridge: past 20, only the ends that say something (namespaces, VMs, wires, drops).
    let plain = 0;
    const count = (n) => {
      if (n.kind === 'output' && (n.endpoint?.kind === 'port' || n.endpoint?.kind === 'local')) plain++;
      for (const c of n.children || []) count(c);
    };
    count(tree);
    const flood = plain > 20;
    const add = (id) => {
      if (id && !out.includes(id)) out.push(id);
    };
    const visit = (n, first) => {
      switch (n.kind) {
        case 'bridge':
          if (first) add(state.byKey.get(K('vm', n.host, n.inPort)));
          add(portId(n.host, n.bridge, n.inPort));
          add(state.byKey.get(K('bridge', n.host, n.bridge)));
          break;
        case 'patch':
          add(portId(n.from.host, n.from.bridge, n.from.port));
          add(portId(n.to.host, n.to.bridge, n.to.port));
          break;
        case 'wire':
          add(state.byKey.get(K('iface', n.from.host, n.from.iface)));
          add(state.byKey.get(K('iface', n.to.host, n.to.iface)));
          break;
        case 'tunnel':
          add(portId(n.from.host, n.from.bridge, n.from.port));
          if (n.to) add(portId(n.to.host, n.to.bridge, n.to.port));
          break;
        case 'output':
          if (flood && (n.endpoint?.kind === 'port' || n.endpoint?.kind === 'local')) break;
          add(portId(n.host, n.bridge, n.port));
          for (const id of endpointIds(n.endpoint)) add(id);
          break;
        case 'drop':
          add(state.byKey.get(K('bridge', n.host, n.bridge)));
          break;
      }
      for (const c of n.children || []) visit(c, false);
    };
    visit(tree, true);
    return out;
  }
  // Leaves of branches the trace does not follow (src/dataplane/tree.ts isNotFollowed): not dead.
  const NOT_FOLLOWED = new Set(['ofport-unknown', 'patch-peer-unplaced', 'bridge-ports-unknown']);
  function notFollowed(n) {
    return NOT_FOLLOWED.has(n.reason.code);
  }
  function drops(tree) {
    const out = [];
    const visit = (n, table) => {
      if (n.kind === 'table') table = n;
      // A branch not followed (a port's OpenFlow number, a bridge the case lacks) is no dead branch.
      if (n.kind === 'drop' && !notFollowed(n)) out.push({ node: n, table });
      for (const c of n.children || []) visit(c, table);
    };
    visit(tree, null);
    return out;
  }
  // A dead branch that is not where the packet is lost (tree.ts DropBranch): said as such.
  const COPY_NOTE = {
    copy: ' (a flooded copy: no way leads from there to the target; it does not decide the verdict)',
    unplaced: ' (a copy: the case locates no target to tell whether it matters)',
  };
  function dropFlowOf(d) {
    return d.node.flow || d.table?.flow || null;
  }

  function markTrace(t, animate) {
    const cy = state.cy;
    if (!cy) return Promise.resolve();
    cy.elements().removeClass('path drop');
    cy.nodes('.bridge').forEach((n) => {
      n.data('label', state.nodesById.get(n.id()).label);
    });
    const ids = pathIds(t.tree).filter((id) => cy.getElementById(id).nonempty());
    const finish = () => {
      const on = new Set(ids);
      cy.edges().forEach((e) => {
        if (on.has(e.source().id()) && on.has(e.target().id())) e.addClass('path');
      });
      for (const d of drops(t.tree)) {
        const b = cy.getElementById(state.byKey.get(K('bridge', d.node.host, d.node.bridge)) || '');
        if (b.empty()) continue;
        const f = dropFlowOf(d);
        b.addClass('drop');
        b.data(
          'label',
          `${state.nodesById.get(b.id()).label}\n✕ ${COPY_NOTE[d.node.branch] ? 'flooded copy: ' : ''}${f ? `${ruleOf(f)} (n_packets=${f.n_packets ?? '?'})` : d.node.reason.text}`,
        );
        const sz = nodeSize(b.data('label'));
        b.data({ w: sz.w, h: sz.h });
      }
    };
    if (!animate) {
      for (const id of ids) cy.getElementById(id).addClass('path');
      finish();
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      let i = 0;
      const step = () => {
        if (i < ids.length) {
          const n = cy.getElementById(ids[i++]);
          n.addClass('path');
          for (const e of n.connectedEdges())
            if (e.source().hasClass('path') && e.target().hasClass('path')) e.addClass('path');
          setTimeout(step, 90);
        } else {
          finish();
          resolve();
        }
      };
      step();
    });
  }

  /** A flow reference in the trace JSON: its dumped match and actions (`flow`), counters, file:line. */
  const ruleOf = (f) => f.flow ?? f.text;
  function flowText(f) {
    return `${ruleOf(f)} (n_packets=${f.n_packets ?? '?'}) ${where(f.file, f.line)}`;
  }

  /** The branch the verdict is about: to the drop that matters, else the first real output, else the first leaf. */
  function mainBranch(t) {
    const paths = [];
    const visit = (n, acc) => {
      const here = [...acc, n];
      if (!n.children || n.children.length === 0) paths.push(here);
      for (const c of n.children || []) visit(c, here);
    };
    visit(t.tree, []);
    const leaf = (p) => p[p.length - 1];
    const d = t.drop;
    return (
      (d &&
        paths.find(
          (p) => leaf(p).kind === 'drop' && leaf(p).host === d.host && leaf(p).bridge === d.bridge,
        )) ||
      paths.find((p) => leaf(p).kind === 'output' && leaf(p).endpoint?.kind !== 'local') ||
      paths.find((p) => leaf(p).kind === 'drop') ||
      paths[0] ||
      []
    );
  }

  function endpointText(e) {
    if (!e) return '';
    switch (e.kind) {
      case 'local':
        return `${e.host} ${e.bridge || ''} LOCAL`;
      case 'namespace':
        return `namespace ${e.namespace} ${e.device}${e.addresses?.length ? ` ${e.addresses.join(' ')}` : ''}`;
      case 'vm':
      case 'device':
        return `${e.host} ${e.device}`;
      case 'uncollected':
        return `${e.host} ${e.iface} (not collected)`;
      case 'beyond-tunnel':
        return `beyond ${e.tunnel} to ${e.remote_ip} key ${e.key} (no host of the case)`;
      default:
        return e.text || `${e.host} ${e.port || ''}`;
    }
  }

  /** Seed-style path: VM → vif16.0 → xapi5 → int-xapi3 ⇢ phy-xapi3 → xapi3 ✕ drop. */
  function pathLine(branch) {
    const parts = [];
    let lastPort = null;
    branch.forEach((n, i) => {
      switch (n.kind) {
        case 'bridge':
          if (i === 0) parts.push(`${n.host}:${n.inPort}`);
          else if (lastPort !== n.inPort) parts.push(n.inPort);
          parts.push(`[${n.host} ${n.bridge}]`);
          break;
        case 'patch':
          parts.push(`${n.from.port} ⇢ ${n.to.port}`);
          lastPort = n.to.port;
          break;
        case 'wire':
          parts.push(`${n.from.host}:${n.from.iface} ═ ${n.to.host}:${n.to.iface}`);
          lastPort = n.to.iface;
          break;
        case 'tunnel':
          parts.push(
            `${n.from.type ?? 'tunnel'} ${n.from.host} → ${n.to ? n.to.host : `${n.from.remote_ip} (not in the case)`}${n.from.key ? ` key ${n.from.key}` : ''}`,
          );
          break;
        case 'output':
          parts.push(`${n.port}${n.vlan === null ? '' : ` (VLAN ${n.vlan})`} → ${endpointText(n.endpoint)}`);
          break;
        case 'drop': {
          if (notFollowed(n)) {
            parts.push(`⋯ not followed: ${n.reason.text}`);
            break;
          }
          const t = [...branch].reverse().find((x) => x.kind === 'table');
          const f = n.flow || t?.flow;
          parts.push(
            `✕ dropped on ${n.host} ${n.bridge}${f ? ` by ${ruleOf(f)} (n_packets=${f.n_packets ?? '?'})` : `: ${n.reason.text}`}`,
          );
          break;
        }
      }
    });
    return parts.join(' → ').replace(/ → ✕/g, ' ✕');
  }

  function treeList(n) {
    let text;
    switch (n.kind) {
      case 'bridge':
        text = `${n.host} ${n.bridge} ← in_port ${n.inPort}${n.inferred ? ` (${n.inferred})` : ''}`;
        break;
      case 'table':
        text = `table ${n.table}: ${n.flow ? flowText(n.flow) : n.assumedNormal ? 'no flow dump: assumed priority=0 actions=NORMAL' : 'no flow matches (table miss)'}`;
        break;
      case 'action':
        text = `${n.text}${n.note ? ` (${n.note})` : ''}`;
        break;
      case 'normal':
        text = `NORMAL: ${n.text}`;
        break;
      case 'patch':
        text = `patch ${n.from.bridge}:${n.from.port} ⇢ ${n.to.bridge}:${n.to.port}`;
        break;
      case 'wire':
        text = `wire ${n.from.host}:${n.from.iface} ═ ${n.to.host}:${n.to.iface}`;
        break;
      case 'tunnel':
        text = `${n.from.type ?? 'tunnel'} ${n.from.host}:${n.from.port} ${n.from.local_ip} → ${n.from.remote_ip}${n.from.key ? ` key ${n.from.key}` : ''} → ${n.to ? `${n.to.host}:${n.to.bridge}:${n.to.port}` : 'no host of the case'}`;
        break;
      case 'output':
        text = `output ${n.port}${n.vlan === null ? ' untagged' : ` VLAN ${n.vlan}`} → ${endpointText(n.endpoint)}`;
        break;
      case 'drop':
        text = notFollowed(n)
          ? `⋯ not followed on ${n.host} ${n.bridge}: ${n.reason.text}`
          : `✕ drop on ${n.host} ${n.bridge}: ${n.reason.text}${n.flow ? ` — ${flowText(n.flow)}` : ''}`;
        break;
      default:
        text = n.text || n.kind;
    }
    return el(
      'li',
      { class: `t-${n.kind}` },
      text,
      n.children?.length ? el('ul', {}, n.children.map(treeList)) : null,
    );
  }

  function lastTable(tree) {
    let last = null;
    const visit = (n) => {
      if (n.kind === 'table' && n.flow) last = n;
      for (const c of n.children || []) visit(c);
    };
    visit(tree);
    return last;
  }

  /**
   * Delivered, but tagged where it arrives (dataplane/tagged.ts arrivalOf), in the CLI's words: only
   * tagged, so the receiver ignores it (trace exits 1), or resting on a port tag the case does not
   * give (exit 3), or a copy besides an untagged one.
   */
  function taggedNote(a) {
    if (!a?.tagged.length) return null;
    const who = a.tagged.filter((x) => x.known).every((x) => x.guest) ? 'the guest' : 'the receiver';
    const head = {
      tagged: `only tagged where it arrives: ${who} ignores it`,
      'tag-unknown': "whether it arrives untagged rests on the port's tag, which the case does not give",
      untagged: 'a copy also arrives tagged',
    }[a.how];
    return el(
      'div',
      { class: `tagged-note ${a.how}`, id: 'trace-tagged' },
      el(
        'p',
        {},
        el(
          'span',
          {
            class: `badge ${a.how === 'untagged' ? 'delivered' : a.how === 'tagged' ? 'dropped' : 'incomplete'}`,
          },
          a.how,
        ),
        ` ${head}`,
      ),
      el(
        'ul',
        {},
        a.tagged.map((x) =>
          el('li', {}, x.text, x.collect ? el('div', { class: 'remedy' }, el('code', {}, x.collect)) : null),
        ),
      ),
    );
  }

  function renderTrace(t) {
    const box = clear($('trace-result'));
    const branch = mainBranch(t);
    const d = t.drop;
    const allDrops = drops(t.tree);
    append(
      box,
      el(
        'p',
        {},
        el('span', { class: `badge ${t.verdict}`, id: 'trace-verdict' }, t.verdict),
        t.packet ? el('code', { class: 'packet' }, ` ${t.packet}`) : null,
      ),
      el('p', { class: 'path-line', id: 'trace-path' }, pathLine(branch)),
      taggedNote(t.arrival),
      d
        ? el(
            'p',
            { class: 'drop-line', id: 'trace-drop' },
            `dropped on ${d.host} ${d.bridge}${d.table !== null && d.table !== undefined ? ` table ${d.table}` : ''}: `,
            d.flow ? el('code', {}, d.flow) : d.reason.text,
            d.n_packets !== null && d.n_packets !== undefined ? ` n_packets=${d.n_packets}` : '',
            d.file ? el('span', { class: 'where' }, ` ${where(d.file, d.line)}`) : null,
          )
        : null,
      // Where the branch toward the target ends when no drop ends it (src/dataplane/tree.ts Stop).
      t.stop ? el('p', { class: 'drop-line', id: 'trace-stop' }, `stops: ${t.stop.text}`) : null,
      allDrops.length > (d ? 1 : 0)
        ? el(
            'details',
            { class: 'dead', open: true },
            el('summary', {}, `dead branches (${allDrops.length})`),
            el(
              'ul',
              {},
              allDrops.map((x) => {
                const f = dropFlowOf(x);
                return el(
                  'li',
                  {},
                  `${x.node.host} ${x.node.bridge}: ${x.node.reason.text}${f ? ` — ${ruleOf(f)} (n_packets=${f.n_packets ?? '?'})` : ''}${COPY_NOTE[x.node.branch] ?? ''}`,
                );
              }),
            ),
          )
        : null,
      // An incomplete verdict: the branches it rests on, each with what would decide it.
      t.undecided?.length
        ? el(
            'details',
            { class: 'uncertain', open: true, id: 'trace-undecided' },
            el('summary', {}, `undecided (${t.undecided.length})`),
            el(
              'ul',
              {},
              t.undecided.map((u) => el('li', {}, `${u.text}${u.remedy ? ` — collect: ${u.remedy}` : ''}`)),
            ),
          )
        : t.uncertain?.length
          ? el(
              'details',
              { class: 'uncertain', open: true },
              el('summary', {}, `not proven (${t.uncertain.length})`),
              el(
                'ul',
                {},
                t.uncertain.map((u) => el('li', {}, u.text)),
              ),
            )
          : null,
      t.outputs.length
        ? el(
            'details',
            {},
            el('summary', {}, `reached (${t.reached.length})`),
            el(
              'ul',
              {},
              t.reached.map((e) => el('li', {}, endpointText(e))),
            ),
          )
        : null,
      t.assumptions.length
        ? el(
            'details',
            { class: 'assumptions', open: true },
            el('summary', {}, `assumptions (${t.assumptions.length})`),
            el(
              'ul',
              {},
              t.assumptions.map((a) =>
                el(
                  'li',
                  {},
                  a.text,
                  a.remedy ? el('div', { class: 'remedy' }, el('code', {}, a.remedy)) : null,
                ),
              ),
            ),
          )
        : null,
      t.unsupported.length
        ? el(
            'details',
            { open: true },
            el('summary', {}, `not modelled (${t.unsupported.length})`),
            el(
              'ul',
              {},
              t.unsupported.map((u) => el('li', {}, `${u.host ? `${u.host} ${u.bridge}: ` : ''}${u.text}`)),
            ),
          )
        : null,
      el('details', { class: 'tree' }, el('summary', {}, 'every step'), el('ul', {}, treeList(t.tree))),
    );
    // Matched flows in the flow table view.
    state.matched = new Set();
    const visit = (n) => {
      if (n.kind === 'table' && n.flow) state.matched.add(`${n.flow.file}:${n.flow.line}`);
      for (const c of n.children || []) visit(c);
    };
    visit(t.tree);
    // Show the flow table where the verdict is decided: the drop's bridge, else the last bridge with a matched flow.
    const at = d || allDrops.map((x) => x.node)[0] || lastTable(t.tree);
    const bid = at && state.byKey.get(K('bridge', at.host, at.bridge));
    if (bid && state.view.flows[bid]) $('flow-bridge').value = bid;
    renderFlows();
  }

  async function doTrace(from, packet, mac, animate, to) {
    $('trace-error').textContent = '';
    api.traceDone = false;
    document.body.dataset.traceDone = '';
    try {
      const t = await runTrace(from, packet, mac, to);
      state.trace = t;
      renderTrace(t);
      if (state.shown) await showFocus(pathIds(t.tree));
      await markTrace(t, animate);
    } catch (e) {
      $('trace-error').textContent = escapeControl(String(e.message || e));
    }
    api.traceDone = true;
    document.body.dataset.traceDone = '1';
  }

  // ---- Flow tables.
  function renderFlowBridges() {
    const sel = clear($('flow-bridge'));
    for (const [id, f] of Object.entries(state.view.flows))
      append(sel, el('option', { value: id }, `${f.host} ${f.bridge} (${f.total ?? f.rows.length})`));
  }
  function selectFlowBridge(id) {
    $('flow-bridge').value = id;
    renderFlows();
  }
  function renderFlows() {
    const id = $('flow-bridge').value;
    const f = state.view.flows[id];
    const body = clear($('flows-body'));
    const note = $('flows-note');
    if (!f) return;
    if (!f.file) {
      note.textContent = `no flow dump for ${f.bridge}${f.why ? `: ${f.why}` : ''}`;
      return;
    }
    const q = $('flow-filter').value.trim().toLowerCase();
    const rows = q
      ? f.rows.filter((r) => `table=${r.table} ${r.rule} n_packets=${r.n_packets}`.toLowerCase().includes(q))
      : f.rows;
    const shown = rows.slice(0, MAX_FLOW_ROWS);
    for (const r of shown) {
      const hit = state.matched?.has(`${f.file}:${r.line}`);
      append(
        body,
        el(
          'tr',
          { class: hit ? 'matched' : '' },
          el('td', {}, String(r.table)),
          el('td', { class: 'num' }, r.n_packets === null ? '' : String(r.n_packets)),
          el('td', {}, el('code', {}, r.rule)),
          el('td', { class: 'where' }, String(r.line)),
        ),
      );
    }
    // A big dump: only the flows traces looked up were read (the rest is on no traced path).
    const read =
      f.total === undefined
        ? ''
        : ` read by the traces (the dump has ${f.total}; \`vifpath snapshot\` lists them all)`;
    note.textContent = `${f.file}${f.complete ? '' : ' (incomplete dump)'} — ${rows.length} of ${f.rows.length} flows${read}${rows.length > shown.length ? `, first ${shown.length} shown: filter to narrow` : ''}`;
  }

  // ---- Ports table (the table view above BIG nodes) and search.
  function renderPorts() {
    const q = $('port-filter').value.trim().toLowerCase();
    const body = clear($('ports-body'));
    const ports = state.view.nodes.filter((n) => n.kind === 'port');
    const rows = q
      ? ports.filter((n) =>
          [n.host, n.bridge, n.name, n.tagText, ...n.keys].join(' ').toLowerCase().includes(q),
        )
      : ports;
    for (const n of rows.slice(0, 5000)) {
      append(
        body,
        el(
          'tr',
          { 'data-id': n.id, class: n.tagText === 'no tag' ? 'notag' : '' },
          el('td', {}, n.host),
          el('td', {}, n.bridge),
          el(
            'td',
            {},
            el(
              'a',
              {
                href: '#',
                onclick: (ev) => {
                  ev.preventDefault();
                  pick(n);
                },
              },
              n.name,
            ),
          ),
          el('td', { class: 'tag' }, n.tagText),
          el('td', {}, n.type || ''),
          el('td', {}, n.keys.join(' ')),
        ),
      );
    }
    $('port-count').textContent = `${rows.length} of ${ports.length}`;
  }

  async function pick(n) {
    if (n.kind === 'port') {
      const hp = `${n.host}:${n.name}`;
      // A VM port picked while a reply is set up is where the reply goes, not where it enters.
      const vm = vmPorts().has(hp);
      if (vm) state.pickedVm = hp;
      if (vm && REPLY.has($('trace-packet').value)) $('trace-to').value = hp;
      else $('trace-from').value = hp;
    }
    showDetails(n);
    await highlight([n.id], 'searched');
  }

  function search() {
    const q = $('search').value.trim().toLowerCase();
    const ul = clear($('search-results'));
    if (!q) return;
    const hits = state.view.nodes
      .filter(
        (n) => n.kind !== 'host' && (n.name.toLowerCase().includes(q) || n.keys.some((k) => k.includes(q))),
      )
      .slice(0, 50);
    for (const n of hits)
      append(
        ul,
        el(
          'li',
          {},
          el(
            'a',
            {
              href: '#',
              onclick: (ev) => {
                ev.preventDefault();
                pick(n);
              },
            },
            `${n.kind} ${n.host} ${n.bridge ? `${n.bridge} ` : ''}${n.name}`,
          ),
        ),
      );
    if (hits.length === 0) append(ul, el('li', {}, 'no match'));
  }

  // ---- Start.
  function fillTraceForm() {
    const list = clear($('port-list'));
    const froms = state.report
      ? Object.keys(state.report.traces).map((k) => k.split(' ')[0])
      : state.view.nodes.filter((n) => n.kind === 'port').map((n) => `${n.host}:${n.name}`);
    for (const f of [...new Set(froms)].slice(0, 5000)) append(list, el('option', { value: f }));
    $('trace-from').value = state.view.focus || froms[0] || '';
    if (state.report) {
      const offers = Object.keys(state.report.traces).some((k) => k.split(' ')[1] === 'dhcp-offer');
      $('trace-packet').value = 'dhcp-discover';
      for (const o of $('trace-packet').options)
        o.disabled = o.value === 'custom' || (o.value === 'dhcp-offer' && !offers);
      $('trace-packet').disabled = !offers;
      $('trace-mac').disabled = true;
      $('trace-fields').disabled = true;
      $('trace-note').textContent =
        `report: the DISCOVER of each VM port${offers ? ', and the OFFER from each DHCP server to the VM under investigation,' : ''} was traced when the report was made; vifpath serve traces anything`;
    }
    $('trace-form').addEventListener('submit', (ev) => {
      ev.preventDefault();
      const p = $('trace-packet').value;
      const packet = p === 'custom' ? $('trace-fields').value : p;
      const mac = $('trace-mac').value.trim();
      // A reply with neither a VM nor a MAC goes to the selected VM (the CLI asks which one).
      if (REPLY.has(p) && !$('trace-to').value.trim() && !mac) $('trace-to').value = selectedVm();
      doTrace($('trace-from').value.trim(), packet, mac, true, $('trace-to').value.trim());
    });
  }

  /** Milliseconds since navigation at the end of each start-up phase (bench/web prints them). */
  api.phases = {};
  const phase = (name) => {
    api.phases[name] = Math.round(performance.now());
  };

  /** The exact `host:port` of every port the page may trace from, by how it is shown. */
  function exactFroms(view) {
    const froms = [
      ...view.nodes.filter((n) => n.kind === 'port').map((n) => [n.host, n.name]),
      ...(view.focus ? [[view.focus, null]] : []),
    ];
    for (const [host, name] of froms) {
      const exact = name === null ? host : `${host}:${name}`;
      const shown = name === null ? escapeControl(host) : `${escapeControl(host)}:${escapeControl(name)}`;
      if (shown === exact) continue;
      const had = exactFrom.get(shown);
      exactFrom.set(shown, had === undefined || had === exact ? exact : null);
    }
  }

  async function start() {
    const inline = document.getElementById('vifpath-data');
    try {
      let trace = null;
      if (inline) {
        const data = JSON.parse(inline.textContent);
        exactFroms(data.view);
        state.report = display(data);
        state.view = state.report.view;
        state.diagnosis = state.report.diagnosis;
        if (state.view.focus)
          trace = state.report.traces[traceKey(state.view.focus, 'dhcp-discover')] || null;
      } else {
        const [view, diagnosis] = await Promise.all([getJson('api/view'), getJson('api/diagnosis')]);
        exactFroms(view);
        [state.view, state.diagnosis] = [display(view), display(diagnosis)];
        if (state.view.focus) trace = await runTrace(state.view.focus, 'dhcp-discover').catch(() => null);
      }
      phase('data');
      indexView(state.view);
      phase('index');
      renderHeader();
      renderFindings();
      phase('findings');
      renderFlowBridges();
      renderPorts();
      phase('ports');
      fillTraceForm();
      phase('traceForm');
      state.trace = trace;
      const big = state.view.nodes.length > BIG;
      $('ports-box').open = big;
      if (big) await showFocus([]);
      else await showWhole();
      phase('graph');
      if (trace) {
        renderTrace(trace);
        await markTrace(trace, false);
      }
      phase('trace');
      renderFlows();
      api.rendered = true;
      api.renderedAt = performance.now();
      document.body.dataset.rendered = '1';
      api.traceDone = true;
      document.body.dataset.traceDone = '1';
    } catch (e) {
      api.errors.push(String(e.message || e));
      const box = $('load-error');
      box.hidden = false;
      box.textContent = escapeControl(`could not load the case: ${e.message || e}`);
      document.body.dataset.rendered = 'error';
    }
  }

  document.addEventListener('DOMContentLoaded', () => {
    $('search').addEventListener('input', search);
    $('port-filter').addEventListener('input', renderPorts);
    $('flow-filter').addEventListener('input', renderFlows);
    $('flow-bridge').addEventListener('change', renderFlows);
    $('show-all').addEventListener('click', () => showWhole());
    $('show-focus').addEventListener('click', () => {
      state.shown = null;
      showFocus([]);
    });
    $('trace-packet').addEventListener('change', () => {
      $('trace-fields').hidden = $('trace-packet').value !== 'custom';
      if (REPLY.has($('trace-packet').value)) replyForm();
    });
    start();
  });
})();
