// SPDX-License-Identifier: GPL-2.0-only
// The script of the `damo report html` page; inlined into every page by
// scripts/gen-page-assets.mjs. It reads the JSON the CLI computed (#damo-data) and draws:
// heatmaps from their tile pyramids (wheel zoom, drag pan, shift-drag box zoom, double-click
// reset, hover read-out), time series linked by the hovered time, and the recording's facts.
// Plain browser JavaScript, no library: the page must open from disk without a network.
(function () {
  'use strict';

  const data = JSON.parse(document.getElementById('damo-data').textContent);
  const root = document.getElementById('report');
  const lut = data.colourMap;
  const palette = data.palette;
  const TILE = data.tileCells;

  // ---- small helpers -------------------------------------------------------------------

  function el(tag, attrs, parent) {
    const e = document.createElement(tag);
    if (attrs) {
      for (const k of Object.keys(attrs)) {
        if (k === 'text') e.textContent = attrs[k];
        else if (k === 'cls') e.className = attrs[k];
        else e.setAttribute(k, attrs[k]);
      }
    }
    if (parent) parent.appendChild(e);
    return e;
  }

  function bytesOfBase64(b64) {
    const bin = atob(b64);
    const out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  }

  // Tiles are deflate-raw streams; the browser inflates them natively.
  function inflate(b64) {
    const stream = new Blob([bytesOfBase64(b64)]).stream().pipeThrough(new DecompressionStream('deflate-raw'));
    return new Response(stream).arrayBuffer().then((b) => new Uint8Array(b));
  }

  // Units chosen as the PNG's axes choose them (src/core/human.ts): the largest unit the
  // span covers at least twice.
  const TIME_UNITS = [['s', 1e9], ['ms', 1e6], ['us', 1e3], ['ns', 1]];
  const SIZE_UNITS = [['PiB', 2 ** 50], ['TiB', 2 ** 40], ['GiB', 2 ** 30], ['MiB', 2 ** 20], ['KiB', 2 ** 10], ['B', 1]];
  function unitFor(units, v, times) {
    for (const u of units) if (v >= times * u[1]) return u;
    return units[units.length - 1];
  }
  function significant(v) {
    const a = Math.abs(v);
    const digits = a >= 100 ? 1 : a >= 10 ? 2 : 3;
    return Number.isInteger(v) ? String(v) : v.toFixed(digits).replace(/\.?0+$/, '');
  }
  function humanBytes(b) {
    const u = unitFor(SIZE_UNITS, Math.abs(b), 1);
    return significant(b / u[1]) + ' ' + u[0];
  }
  function humanTime(ns) {
    const u = unitFor(TIME_UNITS, Math.abs(ns), 1);
    return significant(ns / u[1]) + ' ' + u[0];
  }
  function hex(a) {
    return '0x' + Math.round(a).toString(16);
  }

  // d3-scale's nice ticks (the PNG's axes use d3): steps of 1, 2 or 5 times a power of ten.
  const E10 = Math.sqrt(50);
  const E5 = Math.sqrt(10);
  const E2 = Math.sqrt(2);
  function tickIncrement(start, stop, count) {
    const step = (stop - start) / Math.max(0, count);
    const power = Math.floor(Math.log10(step));
    const error = step / Math.pow(10, power);
    const f = error >= E10 ? 10 : error >= E5 ? 5 : error >= E2 ? 2 : 1;
    return power >= 0 ? f * Math.pow(10, power) : -Math.pow(10, -power) / f;
  }
  function ticks(start, stop, count) {
    if (!(stop > start) || !(count > 0)) return [];
    const inc = tickIncrement(start, stop, count);
    const out = [];
    if (inc > 0) {
      const i0 = Math.ceil(start / inc);
      const i1 = Math.floor(stop / inc);
      for (let i = i0; i <= i1; i++) out.push(i * inc);
    } else {
      const i0 = Math.ceil(start * -inc);
      const i1 = Math.floor(stop * -inc);
      for (let i = i0; i <= i1; i++) out.push(i / -inc);
    }
    return out;
  }
  function tickLabel(v, allTicks) {
    // As d3's default tick format: enough decimals to tell neighbouring ticks apart.
    let step = allTicks.length > 1 ? Math.abs(allTicks[1] - allTicks[0]) : 1;
    let decimals = 0;
    while (decimals < 12 && Math.abs(Math.round(step * Math.pow(10, decimals)) - step * Math.pow(10, decimals)) > 1e-9) decimals++;
    step = v.toFixed(decimals);
    return step === '-0' ? '0' : step;
  }

  // ---- linked hover: every chart shows the time under the pointer --------------------

  const hoverListeners = [];
  function setHoverTime(ns) {
    for (const f of hoverListeners) f(ns);
  }

  // ---- linked zoom: zooming or panning a heatmap in time shows the same time everywhere ----
  // (the other heatmaps keep their address view; the time charts follow). A checkbox turns
  // it off; null resets every chart to its whole time span.

  const timeViewListeners = [];
  const linkTime = { on: true };
  function setTimeView(view, from) {
    if (!linkTime.on) return;
    for (const f of timeViewListeners) if (f.owner !== from) f(view);
  }

  const tooltip = el('div', { cls: 'tooltip', id: 'tooltip' }, document.body);
  function showTooltip(text, clientX, clientY) {
    tooltip.textContent = text;
    tooltip.style.display = 'block';
    const w = tooltip.offsetWidth;
    const x = clientX + 14 + w > window.innerWidth ? clientX - 14 - w : clientX + 14;
    tooltip.style.left = x + 'px';
    tooltip.style.top = clientY + 14 + 'px';
  }
  function hideTooltip() {
    tooltip.style.display = 'none';
  }

  // ---- axes in HTML (crisp text, readable by tests) ------------------------------------

  function drawAxes(box, g) {
    // g: { left, top, w, h, xTicks: [{pos, label}], yTicks, xTitle, yTitle, yTitleX }
    for (const e of Array.from(box.querySelectorAll('.tick, .axis-title'))) e.remove();
    for (const t of g.xTicks) {
      el('div', { cls: 'tick x-tick', text: t.label, style: `left:${g.left + t.pos}px; top:${g.top + g.h + 4}px` }, box);
    }
    for (const t of g.yTicks) {
      el('div', { cls: 'tick y-tick', text: t.label, style: `right:${box.clientWidth - g.left + 5}px; top:${g.top + t.pos}px` }, box);
    }
    for (const t of g.rTicks || []) {
      el('div', { cls: 'tick y-tick r-tick', text: t.label, style: `left:${g.rLeft}px; top:${g.top + t.pos}px` }, box);
    }
    el('div', { cls: 'axis-title x-title', text: g.xTitle, style: `left:${g.left + g.w / 2}px; top:${g.top + g.h + 22}px` }, box);
    el('div', { cls: 'axis-title y-title', text: g.yTitle, style: `left:${g.yTitleX}px; top:${g.top + g.h / 2}px` }, box);
    if (g.rTitle) el('div', { cls: 'axis-title y-title r-title', text: g.rTitle, style: `left:${g.rTitleX}px; top:${g.top + g.h / 2}px` }, box);
  }

  function plotWidth() {
    // Room for the address labels on the left and the colour bar with its labels on the right.
    return Math.max(320, Math.min(1100, root.clientWidth - 260));
  }

  // ---- heatmaps --------------------------------------------------------------------------

  const heatmaps = [];

  function Heatmap(parent, m, index) {
    const self = this;
    this.m = m;
    const W = plotWidth();
    const H = 380;
    const left = 96;
    const top = 8;
    const barGap = 22;
    const barW = 16;
    const box = el('div', { cls: 'chart heatmap', id: 'heatmap-' + index, style: `width:${left + W + barGap + barW + 110}px; height:${top + H + 44}px` }, parent);
    const dpr = window.devicePixelRatio || 1;
    const canvas = el('canvas', { cls: 'heat', width: Math.round(W * dpr), height: Math.round(H * dpr), style: `left:${left}px; top:${top}px; width:${W}px; height:${H}px` }, box);
    const overlay = el('canvas', { cls: 'overlay', width: Math.round(W * dpr), height: Math.round(H * dpr), style: `left:${left}px; top:${top}px; width:${W}px; height:${H}px; cursor:crosshair` }, box);
    const bar = el('canvas', { cls: 'colour-bar', width: 1, height: 256, style: `left:${left + W + barGap}px; top:${top}px; width:${barW}px; height:${H}px; image-rendering:pixelated; border:1px solid #333` }, box);
    const bctx = bar.getContext('2d');
    const bimg = bctx.createImageData(1, 256);
    for (let y = 0; y < 256; y++) {
      const l = 255 - y;
      bimg.data.set([lut[l * 3], lut[l * 3 + 1], lut[l * 3 + 2], 255], y * 4);
    }
    bctx.putImageData(bimg, 0, 0);
    this.box = box;
    this.canvas = canvas;
    this.W = W;
    this.H = H;
    this.full = { t0: m.timeStartNs, t1: m.timeEndNs, a0: m.addrStart, a1: m.addrEnd };
    this.view = Object.assign({}, this.full);
    this.cache = m.levels.map(() => new Map());
    this.pending = new Map();
    this.drawnLevel = -1;
    this.ages = null;
    const finest = m.levels[m.levels.length - 1];
    this.minT = finest.timeCellNs * 2;
    this.minA = finest.addrCellBytes * 2;
    if (m.ages) inflate(m.ages.data).then((b) => (self.ages = new Uint16Array(b.buffer, b.byteOffset, b.byteLength / 2)));

    const hTicks = ticks(0, m.highestHeat > 0 ? m.highestHeat : 1, 6);
    const barMax = m.highestHeat > 0 ? m.highestHeat : 1;
    this.axisGeom = () => {
      const v = self.view;
      const tu = unitFor(TIME_UNITS, self.full.t1 - self.full.t0, 2);
      const tLo = (v.t0 - self.full.t0) / tu[1];
      const tHi = (v.t1 - self.full.t0) / tu[1];
      const tt = ticks(tLo, tHi, Math.max(2, Math.round(W / 70)));
      const au = unitFor(SIZE_UNITS, v.a1 - v.a0, 2);
      const aLo = (v.a0 - self.full.a0) / au[1];
      const aHi = (v.a1 - self.full.a0) / au[1];
      const at = ticks(aLo, aHi, Math.max(2, Math.round(H / 60)));
      return {
        left, top, w: W, h: H,
        xTicks: tt.map((x) => ({ pos: ((x - tLo) / (tHi - tLo)) * W, label: tickLabel(x, tt) })),
        yTicks: at.map((a) => ({ pos: H - ((a - aLo) / (aHi - aLo)) * H, label: tickLabel(a, at) })),
        rTicks: hTicks.map((h) => ({ pos: H - (h / barMax) * H, label: tickLabel(h, hTicks) })),
        rLeft: left + W + barGap + barW + 6,
        xTitle: `time (${tu[0]})`,
        yTitle: `offset from ${hex(self.full.a0)} (${au[0]})`,
        yTitleX: left - 80,
        rTitle: 'access frequency',
        rTitleX: left + W + barGap + barW + 80,
      };
    };

    // Interaction.
    let drag = null;
    overlay.addEventListener('wheel', (ev) => {
      ev.preventDefault();
      const r = overlay.getBoundingClientRect();
      const fx = (ev.clientX - r.left) / r.width;
      const fy = 1 - (ev.clientY - r.top) / r.height;
      const k = Math.exp(Math.max(-3, Math.min(3, ev.deltaY * 0.0015)));
      self.zoomAt(fx, fy, ev.altKey ? 1 : k, ev.shiftKey ? 1 : k);
    }, { passive: false });
    overlay.addEventListener('mousedown', (ev) => {
      const r = overlay.getBoundingClientRect();
      drag = { x: ev.clientX - r.left, y: ev.clientY - r.top, box: ev.shiftKey, view: Object.assign({}, self.view), moved: false };
      ev.preventDefault();
    });
    window.addEventListener('mousemove', (ev) => {
      if (!drag) return;
      const r = overlay.getBoundingClientRect();
      const x = ev.clientX - r.left;
      const y = ev.clientY - r.top;
      if (Math.abs(x - drag.x) + Math.abs(y - drag.y) > 2) drag.moved = true;
      if (drag.box) {
        self.drawOverlay(null, [drag.x, drag.y, x, y]);
        return;
      }
      const v = drag.view;
      const dt = ((x - drag.x) / W) * (v.t1 - v.t0);
      const da = ((y - drag.y) / H) * (v.a1 - v.a0);
      self.setView({ t0: v.t0 - dt, t1: v.t1 - dt, a0: v.a0 + da, a1: v.a1 + da });
    });
    window.addEventListener('mouseup', (ev) => {
      if (!drag) return;
      const d = drag;
      drag = null;
      if (d.box && d.moved) {
        const r = overlay.getBoundingClientRect();
        const x = ev.clientX - r.left;
        const y = ev.clientY - r.top;
        const v = self.view;
        const tA = v.t0 + (Math.min(d.x, x) / W) * (v.t1 - v.t0);
        const tB = v.t0 + (Math.max(d.x, x) / W) * (v.t1 - v.t0);
        const aA = v.a1 - (Math.max(d.y, y) / H) * (v.a1 - v.a0);
        const aB = v.a1 - (Math.min(d.y, y) / H) * (v.a1 - v.a0);
        self.setView({ t0: tA, t1: tB, a0: aA, a1: aB });
        self.drawOverlay(null, null);
      }
    });
    overlay.addEventListener('dblclick', () => self.reset());
    overlay.addEventListener('mousemove', (ev) => {
      if (drag) return;
      const r = overlay.getBoundingClientRect();
      const x = ev.clientX - r.left;
      const y = ev.clientY - r.top;
      const info = self.cellAt(x, y);
      if (!info) return;
      setHoverTime(info.timeNs);
      showTooltip(info.text, ev.clientX, ev.clientY);
    });
    overlay.addEventListener('mouseleave', () => {
      hideTooltip();
      setHoverTime(null);
    });
    hoverListeners.push((ns) => self.drawOverlay(ns, null));
    const follow = (tv) => self.followTime(tv);
    follow.owner = this;
    timeViewListeners.push(follow);
    heatmaps.push(this);
  }

  // Index of the cell of size `cell` (from `origin`, `n` of them) that holds x, clamped.
  function cellIndex(x, origin, cell, n) {
    return Math.min(n - 1, Math.max(0, Math.floor((x - origin) / cell)));
  }

  Heatmap.prototype.clampView = function (v) {
    const f = this.full;
    let { t0, t1, a0, a1 } = v;
    if (t1 - t0 < this.minT) {
      const c = (t0 + t1) / 2;
      t0 = c - this.minT / 2;
      t1 = c + this.minT / 2;
    }
    if (a1 - a0 < this.minA) {
      const c = (a0 + a1) / 2;
      a0 = c - this.minA / 2;
      a1 = c + this.minA / 2;
    }
    if (t1 - t0 > f.t1 - f.t0) { t0 = f.t0; t1 = f.t1; }
    if (a1 - a0 > f.a1 - f.a0) { a0 = f.a0; a1 = f.a1; }
    if (t0 < f.t0) { t1 += f.t0 - t0; t0 = f.t0; }
    if (t1 > f.t1) { t0 -= t1 - f.t1; t1 = f.t1; }
    if (a0 < f.a0) { a1 += f.a0 - a0; a0 = f.a0; }
    if (a1 > f.a1) { a0 -= a1 - f.a1; a1 = f.a1; }
    return { t0, t1, a0, a1 };
  };
  Heatmap.prototype.setView = function (v, linked) {
    const before = this.view;
    this.view = this.clampView(v);
    this.render();
    if (linked) return;
    if (this.view.t0 !== before.t0 || this.view.t1 !== before.t1) {
      const full = this.view.t0 === this.full.t0 && this.view.t1 === this.full.t1;
      setTimeView(full ? null : { t0: this.view.t0, t1: this.view.t1 }, this);
    }
  };
  Heatmap.prototype.reset = function () {
    this.setView(Object.assign({}, this.full));
    setTimeView(null, this);
  };
  // Another chart's time view: this heatmap's time axis follows it, its addresses stay.
  Heatmap.prototype.followTime = function (tv) {
    const v = this.view;
    const t = tv === null ? { t0: this.full.t0, t1: this.full.t1 } : { t0: Math.max(this.full.t0, tv.t0), t1: Math.min(this.full.t1, tv.t1) };
    // A span outside this heatmap's time keeps its view rather than collapsing it.
    if (!(t.t1 > t.t0)) return;
    this.setView({ t0: t.t0, t1: t.t1, a0: v.a0, a1: v.a1 }, true);
  };
  Heatmap.prototype.zoomAt = function (fx, fy, kt, ka) {
    const v = this.view;
    const t = v.t0 + fx * (v.t1 - v.t0);
    const a = v.a0 + fy * (v.a1 - v.a0);
    this.setView({ t0: t - (t - v.t0) * kt, t1: t + (v.t1 - t) * kt, a0: a - (a - v.a0) * ka, a1: a + (v.a1 - a) * ka });
  };

  // The coarsest level with at least one cell per device pixel over the view, else the finest.
  Heatmap.prototype.pickLevel = function () {
    const m = this.m;
    const v = this.view;
    const dpr = window.devicePixelRatio || 1;
    for (let l = 0; l < m.levels.length; l++) {
      const L = m.levels[l];
      if ((v.t1 - v.t0) / L.timeCellNs >= this.W * dpr && (v.a1 - v.a0) / L.addrCellBytes >= this.H * dpr) return l;
    }
    return m.levels.length - 1;
  };
  // Cell index ranges of the view at level l.
  Heatmap.prototype.cellSpan = function (l) {
    const L = this.m.levels[l];
    const f = this.full;
    const v = this.view;
    return { i0: cellIndex(v.t0, f.t0, L.timeCellNs, L.timeResol), i1: cellIndex(v.t1, f.t0, L.timeCellNs, L.timeResol),
      j0: cellIndex(v.a0, f.a0, L.addrCellBytes, L.addrResol), j1: cellIndex(v.a1, f.a0, L.addrCellBytes, L.addrResol) };
  };
  Heatmap.prototype.tilesOf = function (l) {
    const L = this.m.levels[l];
    const s = this.cellSpan(l);
    const tilesA = Math.ceil(L.addrResol / TILE);
    const out = [];
    for (let ti = Math.floor(s.i0 / TILE); ti <= Math.floor(s.i1 / TILE); ti++) {
      for (let ai = Math.floor(s.j0 / TILE); ai <= Math.floor(s.j1 / TILE); ai++) out.push(ti * tilesA + ai);
    }
    return out;
  };
  Heatmap.prototype.ensureTiles = function (l, keys) {
    const self = this;
    const cache = this.cache[l];
    const jobs = [];
    for (const k of keys) {
      if (cache.has(k)) continue;
      const id = l + ':' + k;
      if (!this.pending.has(id)) {
        this.pending.set(id, inflate(this.m.levels[l].tiles[k]).then((b) => {
          cache.set(k, b);
          self.pending.delete(id);
        }));
      }
      jobs.push(this.pending.get(id));
    }
    return jobs.length === 0 ? null : Promise.all(jobs);
  };
  Heatmap.prototype.levelReady = function (l) {
    const cache = this.cache[l];
    return this.tilesOf(l).every((k) => cache.has(k));
  };
  // Colour level (0..255) of cell (i, j) at level l; -1 when its tile is not inflated yet.
  Heatmap.prototype.cell = function (l, i, j) {
    const L = this.m.levels[l];
    const tilesA = Math.ceil(L.addrResol / TILE);
    const ti = Math.floor(i / TILE);
    const ai = Math.floor(j / TILE);
    const tile = this.cache[l].get(ti * tilesA + ai);
    if (!tile) return -1;
    const cols = Math.min(TILE, L.addrResol - ai * TILE);
    return tile[(i - ti * TILE) * cols + (j - ai * TILE)];
  };

  Heatmap.prototype.render = function () {
    const self = this;
    const want = this.pickLevel();
    const wait = this.ensureTiles(want, this.tilesOf(want));
    let l = want;
    if (wait) {
      wait.then(() => self.render());
      while (l > 0 && !this.levelReady(l)) l--;
      if (!this.levelReady(l)) return;
    }
    this.draw(l);
    drawAxes(this.box, this.axisGeom());
  };

  Heatmap.prototype.draw = function (l) {
    const L = this.m.levels[l];
    const ctx = this.canvas.getContext('2d');
    const w = this.canvas.width;
    const h = this.canvas.height;
    const img = ctx.createImageData(w, h);
    const px = img.data;
    const f = this.full;
    const v = this.view;
    const ci = new Int32Array(w);
    for (let x = 0; x < w; x++) {
      const t = v.t0 + ((x + 0.5) / w) * (v.t1 - v.t0);
      ci[x] = cellIndex(t, f.t0, L.timeCellNs, L.timeResol);
    }
    const cj = new Int32Array(h);
    for (let y = 0; y < h; y++) {
      const a = v.a1 - ((y + 0.5) / h) * (v.a1 - v.a0);
      cj[y] = cellIndex(a, f.a0, L.addrCellBytes, L.addrResol);
    }
    let o = 0;
    for (let y = 0; y < h; y++) {
      const j = cj[y];
      for (let x = 0; x < w; x++) {
        const c = this.cell(l, ci[x], j);
        if (c < 0) {
          px[o] = px[o + 1] = px[o + 2] = 128;
        } else {
          px[o] = lut[c * 3];
          px[o + 1] = lut[c * 3 + 1];
          px[o + 2] = lut[c * 3 + 2];
        }
        px[o + 3] = 255;
        o += 4;
      }
    }
    ctx.putImageData(img, 0, 0);
    this.drawnLevel = l;
    this.box.dataset.level = String(l);
    this.box.dataset.view = [v.t0, v.t1, v.a0, v.a1].join(',');
  };

  Heatmap.prototype.drawOverlay = function (ns, rect) {
    const ctx = this.canvas.nextSibling.getContext('2d');
    const dpr = window.devicePixelRatio || 1;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, this.W, this.H);
    const v = this.view;
    if (ns !== null && ns !== undefined && ns >= v.t0 && ns <= v.t1) {
      const x = ((ns - v.t0) / (v.t1 - v.t0)) * this.W;
      ctx.strokeStyle = 'rgba(255,255,255,0.8)';
      ctx.beginPath();
      ctx.moveTo(x + 0.5, 0);
      ctx.lineTo(x + 0.5, this.H);
      ctx.stroke();
    }
    if (rect) {
      ctx.strokeStyle = '#4cf';
      ctx.fillStyle = 'rgba(80,200,255,0.15)';
      const x = Math.min(rect[0], rect[2]);
      const y = Math.min(rect[1], rect[3]);
      ctx.fillRect(x, y, Math.abs(rect[2] - rect[0]), Math.abs(rect[3] - rect[1]));
      ctx.strokeRect(x + 0.5, y + 0.5, Math.abs(rect[2] - rect[0]), Math.abs(rect[3] - rect[1]));
    }
  };

  // The read-out of the cell drawn under (x, y) css pixels.
  Heatmap.prototype.cellAt = function (x, y) {
    const l = this.drawnLevel;
    if (l < 0) return null;
    const L = this.m.levels[l];
    const f = this.full;
    const v = this.view;
    const t = v.t0 + (x / this.W) * (v.t1 - v.t0);
    const a = v.a1 - (y / this.H) * (v.a1 - v.a0);
    const i = cellIndex(t, f.t0, L.timeCellNs, L.timeResol);
    const j = cellIndex(a, f.a0, L.addrCellBytes, L.addrResol);
    const c = this.cell(l, i, j);
    const tc0 = f.t0 + i * L.timeCellNs;
    const tc1 = Math.min(f.t1, tc0 + L.timeCellNs);
    const ac0 = f.a0 + j * L.addrCellBytes;
    const ac1 = Math.min(f.a1, ac0 + L.addrCellBytes);
    const hi = this.m.highestHeat;
    let freq;
    if (c < 0) freq = 'loading';
    else if (hi <= 0) freq = '0';
    else {
      const step = hi / 255;
      freq = c === 0 ? `< ${significant(step / 2)}` : `${significant(c * step)} (±${significant(step / 2)}, colour level ${c}/255)`;
    }
    let age = 'not recorded';
    if (this.m.ages && this.ages) {
      const A = this.m.ages;
      const ai = cellIndex(t, f.t0, A.timeCellNs, A.timeResol);
      const aj = cellIndex(a, f.a0, A.addrCellBytes, A.addrResol);
      const ageIntervals = this.ages[ai * A.addrResol + aj];
      age = `${ageIntervals} aggregation intervals` + (data.aggrNs ? ` (${humanTime(ageIntervals * data.aggrNs)})` : '') + ', cell average';
    } else if (this.m.ages) age = 'loading';
    const text =
      `time      ${humanTime(tc0 - f.t0)} – ${humanTime(tc1 - f.t0)} (from the heatmap's start)\n` +
      `address   ${hex(ac0)} – ${hex(ac1)} (${humanBytes(ac1 - ac0)})\n` +
      `frequency ${freq} nr_accesses, cell average\n` +
      `age       ${age}`;
    return { text, timeNs: t, level: c };
  };

  // ---- line charts ---------------------------------------------------------------------

  const timeOriginNs = data.timeOriginNs;

  function LineChart(parent, opts) {
    // opts: { id, series: [{name, xs, ys}], xKind: 'time'|'percentile', yKind: 'bytes'|'count', yTitle, hoverY?: (ns) => [values] }
    const W = plotWidth();
    const H = 200;
    const left = 96;
    const top = 8;
    const box = el('div', { cls: 'chart line-chart', id: opts.id, style: `width:${left + W + 30}px; height:${top + H + 44 + (opts.series.length > 1 ? 18 : 0)}px` }, parent);
    const dpr = window.devicePixelRatio || 1;
    const canvas = el('canvas', { width: Math.round(W * dpr), height: Math.round(H * dpr), style: `left:${left}px; top:${top}px; width:${W}px; height:${H}px` }, box);
    const overlay = el('canvas', { width: Math.round(W * dpr), height: Math.round(H * dpr), style: `left:${left}px; top:${top}px; width:${W}px; height:${H}px; cursor:crosshair` }, box);
    let xMin = Infinity;
    let xMax = -Infinity;
    let yMax = 0;
    for (const s of opts.series) {
      for (let k = 0; k < s.xs.length; k++) {
        xMin = Math.min(xMin, s.xs[k]);
        xMax = Math.max(xMax, s.xs[k]);
        yMax = Math.max(yMax, s.ys[k]);
      }
    }
    if (!(xMax > xMin)) xMax = xMin + 1;
    // Headroom so a flat series is not drawn on the frame.
    yMax = yMax > 0 ? yMax * 1.06 : 1;
    const fullMin = xMin;
    const fullMax = xMax;
    const xOf = (x) => ((x - xMin) / (xMax - xMin)) * W;
    const yOf = (y) => H - (y / yMax) * H;
    const ctx = canvas.getContext('2d');
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    let yTitle = opts.yTitle;
    let yFmt;
    let yTicks;
    if (opts.yKind === 'bytes') {
      const u = unitFor(SIZE_UNITS, yMax, 2);
      const yt = ticks(0, yMax / u[1], 5);
      yTicks = yt.map((y) => ({ pos: yOf(y * u[1]), label: tickLabel(y, yt) }));
      yTitle += ` (${u[0]})`;
      yFmt = humanBytes;
    } else {
      const yt = ticks(0, yMax, 5);
      yTicks = yt.map((y) => ({ pos: yOf(y), label: tickLabel(y, yt) }));
      yFmt = (v) => significant(Math.round(v * 10) / 10);
    }
    // Draws the series over [xMin, xMax] (the whole span, or a heatmap's linked time view).
    function paint() {
      let xTicks;
      let xTitle;
      if (opts.xKind === 'time') {
        const tu = unitFor(TIME_UNITS, fullMax - timeOriginNs, 2);
        const lo = (xMin - timeOriginNs) / tu[1];
        const hi = (xMax - timeOriginNs) / tu[1];
        const tt = ticks(lo, hi, Math.max(2, Math.round(W / 70)));
        xTicks = tt.map((x) => ({ pos: xOf(timeOriginNs + x * tu[1]), label: tickLabel(x, tt) }));
        xTitle = `time (${tu[0]}, from the recording's start)`;
      } else {
        const tt = ticks(xMin, xMax, 10);
        xTicks = tt.map((x) => ({ pos: xOf(x), label: tickLabel(x, tt) }));
        xTitle = 'percentile';
      }
      ctx.clearRect(0, 0, W, H);
      ctx.strokeStyle = '#e4e4e4';
      ctx.lineWidth = 1;
      for (const t of yTicks) {
        ctx.beginPath();
        ctx.moveTo(0, Math.round(t.pos) + 0.5);
        ctx.lineTo(W, Math.round(t.pos) + 0.5);
        ctx.stroke();
      }
      ctx.save();
      ctx.beginPath();
      ctx.rect(0, 0, W, H);
      ctx.clip();
      opts.series.forEach((s, k) => {
        ctx.strokeStyle = palette[k % palette.length];
        ctx.lineWidth = 1.5;
        ctx.beginPath();
        for (let p = 0; p < s.xs.length; p++) {
          const x = xOf(s.xs[p]);
          const y = yOf(s.ys[p]);
          if (p === 0) ctx.moveTo(x, y);
          else ctx.lineTo(x, y);
        }
        if (s.xs.length === 1) ctx.arc(xOf(s.xs[0]), yOf(s.ys[0]), 2, 0, 2 * Math.PI);
        ctx.stroke();
      });
      ctx.restore();
      ctx.strokeStyle = '#333';
      ctx.lineWidth = 1;
      ctx.strokeRect(0.5, 0.5, W - 1, H - 1);
      drawAxes(box, { left, top, w: W, h: H, xTicks, yTicks, xTitle, yTitle, yTitleX: left - 80 });
      box.dataset.xview = xMin + ',' + xMax;
    }
    paint();
    if (opts.series.length > 1) {
      const legend = el('div', { cls: 'legend', style: `left:${left}px; top:${top + H + 40}px` }, box);
      opts.series.forEach((s, k) => {
        const item = el('span', null, legend);
        el('i', { style: `background:${palette[k % palette.length]}` }, item);
        item.appendChild(document.createTextNode(s.name));
      });
    }
    // Value of each series at (or just before) x.
    function valuesAt(x) {
      return opts.series.map((s) => {
        let lo = 0;
        let hi = s.xs.length - 1;
        if (hi < 0 || x < s.xs[0]) return null;
        while (lo < hi) {
          const mid = (lo + hi + 1) >> 1;
          if (s.xs[mid] <= x) lo = mid;
          else hi = mid - 1;
        }
        return { x: s.xs[lo], y: s.ys[lo] };
      });
    }
    const octx = overlay.getContext('2d');
    octx.setTransform(dpr, 0, 0, dpr, 0, 0);
    function mark(x, hLine) {
      octx.clearRect(0, 0, W, H);
      octx.strokeStyle = 'rgba(0,0,0,0.55)';
      if (x !== null && x >= xMin && x <= xMax) {
        const px = Math.round(xOf(x)) + 0.5;
        octx.beginPath();
        octx.moveTo(px, 0);
        octx.lineTo(px, H);
        octx.stroke();
        valuesAt(x).forEach((v, k) => {
          if (!v) return;
          octx.fillStyle = palette[k % palette.length];
          octx.beginPath();
          octx.arc(xOf(v.x), yOf(v.y), 3, 0, 2 * Math.PI);
          octx.fill();
        });
      }
      if (hLine) {
        hLine.forEach((y, k) => {
          if (y === null) return;
          octx.strokeStyle = palette[k % palette.length];
          octx.setLineDash([4, 3]);
          octx.beginPath();
          octx.moveTo(0, Math.round(yOf(y)) + 0.5);
          octx.lineTo(W, Math.round(yOf(y)) + 0.5);
          octx.stroke();
          octx.setLineDash([]);
        });
      }
    }
    overlay.addEventListener('mousemove', (ev) => {
      const r = overlay.getBoundingClientRect();
      const x = xMin + ((ev.clientX - r.left) / W) * (xMax - xMin);
      if (opts.xKind === 'time') setHoverTime(x);
      else mark(x, null);
      const lines = valuesAt(x)
        .map((v, k) => (v ? `${opts.series[k].name}: ${yFmt(v.y)}` : null))
        .filter((s) => s !== null);
      const head = opts.xKind === 'time' ? `time ${humanTime(x - timeOriginNs)}` : `percentile ${Math.round(x)}`;
      showTooltip(head + '\n' + lines.join('\n'), ev.clientX, ev.clientY);
    });
    overlay.addEventListener('mouseleave', () => {
      hideTooltip();
      if (opts.xKind === 'time') setHoverTime(null);
      else mark(null, null);
    });
    hoverListeners.push((ns) => {
      if (opts.xKind === 'time') mark(ns, null);
      else if (opts.hoverY) mark(null, ns === null ? null : opts.hoverY(ns));
    });
    if (opts.xKind === 'time') {
      const follow = (tv) => {
        const lo = tv === null ? fullMin : Math.max(fullMin, tv.t0);
        const hi = tv === null ? fullMax : Math.min(fullMax, tv.t1);
        if (!(hi > lo)) return;
        xMin = lo;
        xMax = hi;
        paint();
        mark(null, null);
      };
      follow.owner = this;
      timeViewListeners.push(follow);
    }
    this.valuesAt = valuesAt;
  }

  // ---- the page --------------------------------------------------------------------------

  function section(title, id) {
    const s = el('section', { id }, root);
    el('h2', { text: title }, s);
    return s;
  }

  function build() {
    if (data.warnings.length > 0) {
      const s = section('Warnings', 'warnings');
      const ul = el('ul', { cls: 'warnings' }, s);
      for (const w of data.warnings) el('li', { text: w }, ul);
    }
    if (data.downsampling.length > 0) {
      const s = section('Downsampled to fit the page', 'downsampling');
      const ul = el('ul', { cls: 'downsampling' }, s);
      for (const w of data.downsampling) el('li', { text: w }, ul);
    }
    const hs = section('Heatmaps', 'heatmaps');
    el('p', {
      cls: 'hint',
      text: 'Time runs left to right, addresses bottom to top, colour is DAMON\'s ' + data.heatTitle +
        ', as in report heats --heatmap. Wheel: zoom (Shift: time only, Alt: address only); drag: pan; Shift-drag: zoom to a box; double-click: reset.',
    }, hs);
    const link = el('label', { cls: 'hint link-time' }, hs);
    const box = el('input', { type: 'checkbox', id: 'link-time' }, link);
    box.checked = true;
    link.appendChild(document.createTextNode(' link the time axes: zooming or panning a heatmap in time shows the same time on every heatmap and time chart'));
    box.addEventListener('change', () => {
      linkTime.on = box.checked;
    });
    data.heatmaps.forEach((m, k) => {
      const h3 = el('h3', { text: m.title + ` · ${hex(m.addrStart)}–${hex(m.addrEnd)} (${humanBytes(m.addrEnd - m.addrStart)})` }, hs);
      const btn = el('button', { cls: 'reset', text: 'reset zoom' }, h3);
      const hm = new Heatmap(hs, m, k);
      btn.addEventListener('click', () => hm.reset());
    });
    if (data.heatmaps.length === 0) el('p', { text: 'No heatmap: no target has two snapshots.' }, hs);

    const ts = section('Working set and regions over time', 'over-time');
    const byName = (s) => s.label;
    el('h3', { text: 'Working set size (bytes of regions with nr_accesses >= 1) over time' }, ts);
    new LineChart(ts, { id: 'wss-time', xKind: 'time', yKind: 'bytes', yTitle: 'working set', series: data.series.map((s) => ({ name: byName(s), xs: s.timesNs, ys: s.wssBytes })) });
    el('h3', { text: 'nr_regions over time' }, ts);
    new LineChart(ts, { id: 'nr-regions-time', xKind: 'time', yKind: 'count', yTitle: 'regions', series: data.series.map((s) => ({ name: byName(s), xs: s.timesNs, ys: s.nrRegions })) });

    const ds = section('Working set size distribution', 'wss-dist');
    el('p', { cls: 'hint', text: 'As damo report wss --per_target computes it: the first 20 snapshots of each target are skipped, the rest sorted. The hovered time\'s working set is the dashed line.' }, ds);
    const seriesOfTarget = (t) => data.series.find((s) => s.targetIndex === t);
    new LineChart(ds, {
      id: 'wss-dist-chart', xKind: 'percentile', yKind: 'bytes', yTitle: 'working set',
      series: data.wssDists.map((d) => ({ name: d.label, xs: d.percentiles.map((_, p) => p), ys: d.percentiles })),
      hoverY: (ns) => data.wssDists.map((d) => {
        const s = seriesOfTarget(d.targetIndex);
        if (!s) return null;
        let k = -1;
        for (let p = 0; p < s.timesNs.length && s.timesNs[p] <= ns; p++) k = p;
        return k < 0 ? null : s.wssBytes[k];
      }),
    });

    if (data.schemes) {
      const ss = section('Schemes simulation: ' + data.schemes.name, 'schemes');
      el('p', { cls: 'hint', text: 'What the schemes would have done to this recording (damo simulate), per scheme over time.' }, ss);
      data.schemes.schemes.forEach((s, k) => {
        el('h3', { text: `scheme ${k}: ${s.line}` }, ss);
        new LineChart(ss, {
          id: 'scheme-' + k, xKind: 'time', yKind: 'bytes', yTitle: 'bytes',
          series: [
            { name: 'applied per interval', xs: data.schemes.timesNs, ys: s.szAppliedBytes },
            { name: `${s.effect} (in the effect's state)`, xs: data.schemes.timesNs, ys: s.effectBytes },
          ],
        });
      });
      if (data.schemes.notes.length > 0) {
        const ul = el('ul', { cls: 'notes' }, ss);
        for (const n of data.schemes.notes) el('li', { text: n }, ul);
      }
    }

    const fs = section('Recording', 'facts');
    const table = el('table', { cls: 'facts' }, fs);
    for (const [k, v] of data.facts) {
      const tr = el('tr', null, table);
      el('th', { text: k }, tr);
      el('td', { text: v }, tr);
    }
  }

  build();
  // First paint: the coarsest level of every heatmap (small), then the levels the view needs.
  const first = heatmaps.map((h) => h.ensureTiles(0, h.tilesOf(0)) || Promise.resolve());
  window.damoReport = {
    data,
    heatmaps,
    ready: Promise.all(first).then(() => {
      for (const h of heatmaps) h.render();
      document.body.dataset.ready = '1';
      performance.mark('damo-first-paint');
    }),
  };
})();
