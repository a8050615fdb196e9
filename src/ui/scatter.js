// The interactive latent scatter (called from src/ui/scatter.rs): every test point on a canvas
// (10 000 SVG circles made the page's main thread stall for seconds), the prior's components
// as dashed rings, a tooltip with the hovered point's image and label, zoom (wheel, +/-) and
// pan (drag, arrow keys), reset (double click, 0, the Reset button). Only drawing lives here;
// the points, colours and images come from Rust.
//
// Test hooks on the canvas: data-points, data-zoom, and data-first-point ("x,y": where test
// image 0 is drawn, in CSS pixels from the canvas's top left).

// The left margin holds the y tick labels (right-aligned at left − 4) and, left of them, the
// rotated y-axis title centred at Y_TITLE_X: wide enough that the two never overlap.
const MARGIN = { left: 56, right: 10, top: 10, bottom: 32 };
const Y_TITLE_X = 8;

/** A tick value in two significant digits, without an exponent for the usual ranges. */
function tick(value) {
  const short = Number(value.toPrecision(2));
  return Math.abs(short) >= 1e4 || (short !== 0 && Math.abs(short) < 1e-3) ? short.toExponential(1) : String(short);
}
const HOVER_PX = 8;

class ScatterView {
  constructor(host, testid = 'scatter-canvas') {
    this.host = host;
    host.replaceChildren();
    this.canvas = document.createElement('canvas');
    this.canvas.tabIndex = 0;
    this.canvas.setAttribute('role', 'img');
    this.canvas.dataset.testid = testid;
    this.tip = document.createElement('div');
    this.tip.className = 'scatter-tip';
    this.tip.dataset.testid = 'scatter-tip';
    this.tip.hidden = true;
    this.tipImage = document.createElement('canvas');
    this.tipText = document.createElement('span');
    this.tip.append(this.tipImage, this.tipText);
    const reset = document.createElement('button');
    reset.className = 'small scatter-reset';
    reset.textContent = 'Reset view';
    reset.dataset.testid = 'scatter-reset';
    reset.onclick = () => this.reset();
    host.append(this.canvas, this.tip, reset);
    this.images = null;
    this.listen();
    new ResizeObserver(() => this.draw()).observe(this.canvas);
  }

  /** New data: keeps the zoom when `keepView` (a refresh of the same run), else resets it. */
  set(data, keepView) {
    this.data = data;
    const n = data.labels.length;
    let xs = [Infinity, -Infinity];
    let ys = [Infinity, -Infinity];
    const grow = (x, y) => {
      if (!Number.isFinite(x) || !Number.isFinite(y)) return;
      xs = [Math.min(xs[0], x), Math.max(xs[1], x)];
      ys = [Math.min(ys[0], y), Math.max(ys[1], y)];
    };
    for (let i = 0; i < n; i++) grow(data.points[2 * i], data.points[2 * i + 1]);
    for (let k = 0; k < data.components.length; k += 3) {
      const [x, y, r] = [data.components[k], data.components[k + 1], data.components[k + 2]];
      grow(x - r, y - r);
      grow(x + r, y + r);
    }
    if (!Number.isFinite(xs[0])) xs = ys = [0, 1];
    const pad = (r) => {
      const w = r[1] - r[0] || 1;
      return [r[0] - 0.05 * w, r[1] + 0.05 * w];
    };
    // Given bounds [x0, x1, y0, y1] draw several scatters at one scale.
    const b = data.bounds;
    this.extent = b ? { x: [b[0], b[1]], y: [b[2], b[3]] } : { x: pad(xs), y: pad(ys) };
    if (!keepView || !this.view) this.view = { zoom: 1, cx: 0.5, cy: 0.5 };
    this.canvas.dataset.points = String(n);
    this.canvas.setAttribute('aria-label', `Scatter of ${n} test embeddings (${data.axes}), coloured by class`);
    this.draw();
  }

  reset() {
    this.view = { zoom: 1, cx: 0.5, cy: 0.5 };
    this.draw();
  }

  /** Data coordinates to CSS pixels on the canvas, under the current zoom and pan. */
  toScreen(x, y) {
    const { w, h } = this.size;
    const pw = w - MARGIN.left - MARGIN.right;
    const ph = h - MARGIN.top - MARGIN.bottom;
    const u = (x - this.extent.x[0]) / (this.extent.x[1] - this.extent.x[0]);
    const v = (y - this.extent.y[0]) / (this.extent.y[1] - this.extent.y[0]);
    return [
      MARGIN.left + pw * (0.5 + (u - this.view.cx) * this.view.zoom),
      MARGIN.top + ph * (0.5 - (v - this.view.cy) * this.view.zoom),
    ];
  }

  /** CSS pixels to the unit square of the extent (the inverse of toScreen's first step). */
  toUnit(px, py) {
    const { w, h } = this.size;
    const pw = w - MARGIN.left - MARGIN.right;
    const ph = h - MARGIN.top - MARGIN.bottom;
    return [
      this.view.cx + ((px - MARGIN.left) / pw - 0.5) / this.view.zoom,
      this.view.cy - ((py - MARGIN.top) / ph - 0.5) / this.view.zoom,
    ];
  }

  draw() {
    if (!this.data) return;
    const c = this.canvas;
    const w = c.clientWidth || 560;
    const h = w; // square
    this.size = { w, h };
    const dpr = window.devicePixelRatio || 1;
    if (c.width !== Math.round(w * dpr) || c.height !== Math.round(h * dpr)) {
      c.width = Math.round(w * dpr);
      c.height = Math.round(h * dpr);
    }
    const g = c.getContext('2d');
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    g.fillStyle = '#fff';
    g.fillRect(0, 0, w, h);
    const d = this.data;
    const n = d.labels.length;
    g.save();
    g.beginPath();
    g.rect(MARGIN.left, MARGIN.top, w - MARGIN.left - MARGIN.right, h - MARGIN.top - MARGIN.bottom);
    g.clip();
    const r = n > 3000 ? 1.6 : 2.6;
    for (let cls = 0; cls < d.colors.length; cls++) {
      g.fillStyle = d.colors[cls];
      g.globalAlpha = 0.75;
      for (let i = 0; i < n; i++) {
        if (d.labels[i] !== cls) continue;
        const [x, y] = this.toScreen(d.points[2 * i], d.points[2 * i + 1]);
        g.fillRect(x - r, y - r, 2 * r, 2 * r);
      }
    }
    g.globalAlpha = 1;
    g.strokeStyle = '#222';
    g.lineWidth = 1.2;
    g.setLineDash([4, 3]);
    // Pixels per data unit along each axis (a ring of the data is an ellipse when they differ).
    const [ox, oy] = this.toScreen(0, 0);
    const [ax, ay] = this.toScreen(1, 1);
    const [ux, uy] = [Math.abs(ax - ox), Math.abs(ay - oy)];
    for (let k = 0; k < d.components.length; k += 3) {
      const [x, y] = this.toScreen(d.components[k], d.components[k + 1]);
      const radius = d.components[k + 2];
      g.beginPath();
      g.ellipse(x, y, Math.max(1, radius * ux), Math.max(1, radius * uy), 0, 0, 2 * Math.PI);
      g.stroke();
    }
    g.restore();
    g.setLineDash([]);
    this.drawAxes(g, w, h);
    if (n > 0) {
      const [x0, y0] = this.toScreen(d.points[0], d.points[1]);
      c.dataset.firstPoint = `${x0.toFixed(1)},${y0.toFixed(1)}`;
    }
    c.dataset.zoom = this.view.zoom.toFixed(3);
  }

  drawAxes(g, w, h) {
    g.strokeStyle = '#888';
    g.lineWidth = 1;
    g.strokeRect(MARGIN.left, MARGIN.top, w - MARGIN.left - MARGIN.right, h - MARGIN.top - MARGIN.bottom);
    g.fillStyle = '#333';
    g.font = '11px system-ui, sans-serif';
    const [lo] = this.toUnit(MARGIN.left, 0);
    const [hi] = this.toUnit(w - MARGIN.right, 0);
    const [, top] = this.toUnit(0, MARGIN.top);
    const [, bottom] = this.toUnit(0, h - MARGIN.bottom);
    const ex = this.extent;
    const at = (u, r) => r[0] + u * (r[1] - r[0]);
    g.textAlign = 'center';
    for (let t = 0; t <= 4; t++) {
      const value = at(lo + ((hi - lo) * t) / 4, ex.x);
      g.fillText(tick(value), MARGIN.left + ((w - MARGIN.left - MARGIN.right) * t) / 4, h - MARGIN.bottom + 13);
    }
    g.fillText(`${this.data.axes}1`, w / 2, h - 4);
    g.textAlign = 'right';
    let widest = 0;
    for (let t = 0; t <= 4; t++) {
      const label = tick(at(bottom + ((top - bottom) * t) / 4, ex.y));
      widest = Math.max(widest, g.measureText(label).width);
      g.fillText(label, MARGIN.left - 4, h - MARGIN.bottom - ((h - MARGIN.top - MARGIN.bottom) * t) / 4 + 4);
    }
    g.save();
    g.translate(Y_TITLE_X, h / 2);
    g.rotate(-Math.PI / 2);
    g.textAlign = 'center';
    g.textBaseline = 'middle';
    g.fillText(`${this.data.axes}2`, 0, 0);
    g.restore();
    // Pixels between the rotated title's right edge (half a line right of its centre) and the
    // widest y tick label's left edge, as drawn: the tests read it.
    const lineHeight = 11;
    this.canvas.dataset.yTitleGap = String(Math.round(MARGIN.left - 4 - widest - (Y_TITLE_X + lineHeight / 2)));
  }

  /** The test point nearest to (px, py) within HOVER_PX, or -1. */
  nearest(px, py) {
    const d = this.data;
    let best = -1;
    let bestDist = HOVER_PX * HOVER_PX;
    for (let i = 0; i < d.labels.length; i++) {
      const [x, y] = this.toScreen(d.points[2 * i], d.points[2 * i + 1]);
      const dist = (x - px) ** 2 + (y - py) ** 2;
      if (dist < bestDist) {
        best = i;
        bestDist = dist;
      }
    }
    return best;
  }

  showTip(i, px, py) {
    const d = this.data;
    if (i < 0) {
      this.tip.hidden = true;
      return;
    }
    const label = d.labels[i];
    const index = d.indices ? d.indices[i] : i;
    this.tipText.textContent = `${d.classNames[label] ?? label} · test image ${index}`;
    const img = this.images;
    if (img && index < img.count) {
      const { rows, cols } = img;
      this.tipImage.width = cols;
      this.tipImage.height = rows;
      const pixels = new ImageData(cols, rows);
      for (let p = 0; p < rows * cols; p++) {
        const v = img.pixels[index * rows * cols + p];
        pixels.data.set([v, v, v, 255], 4 * p);
      }
      this.tipImage.getContext('2d').putImageData(pixels, 0, 0);
      this.tipImage.hidden = false;
    } else {
      this.tipImage.hidden = true;
    }
    this.tip.hidden = false;
    this.tip.style.left = `${Math.min(px + 12, this.size.w - 120)}px`;
    this.tip.style.top = `${py + 12}px`;
  }

  zoomAt(px, py, factor) {
    const [u, v] = this.toUnit(px, py);
    const zoom = Math.min(200, Math.max(1, this.view.zoom * factor));
    const ratio = this.view.zoom / zoom;
    this.view = { zoom, cx: u + (this.view.cx - u) * ratio, cy: v + (this.view.cy - v) * ratio };
    this.draw();
  }

  listen() {
    const c = this.canvas;
    const local = (e) => {
      const b = c.getBoundingClientRect();
      return [e.clientX - b.left, e.clientY - b.top];
    };
    let drag = null;
    c.addEventListener('wheel', (e) => {
      e.preventDefault();
      const [x, y] = local(e);
      this.zoomAt(x, y, Math.exp(-e.deltaY * 0.002));
    }, { passive: false });
    c.addEventListener('pointerdown', (e) => {
      drag = { at: local(e), view: { ...this.view } };
      c.setPointerCapture(e.pointerId);
    });
    c.addEventListener('pointermove', (e) => {
      const [x, y] = local(e);
      if (drag) {
        const pw = this.size.w - MARGIN.left - MARGIN.right;
        const ph = this.size.h - MARGIN.top - MARGIN.bottom;
        this.view = {
          ...this.view,
          cx: drag.view.cx - (x - drag.at[0]) / pw / this.view.zoom,
          cy: drag.view.cy + (y - drag.at[1]) / ph / this.view.zoom,
        };
        this.draw();
        return;
      }
      this.showTip(this.nearest(x, y), x, y);
    });
    const end = () => {
      drag = null;
    };
    c.addEventListener('pointerup', end);
    c.addEventListener('pointercancel', end);
    c.addEventListener('pointerleave', () => {
      this.tip.hidden = true;
    });
    c.addEventListener('dblclick', () => this.reset());
    c.addEventListener('keydown', (e) => {
      const { w, h } = this.size;
      const step = 0.1 / this.view.zoom;
      const moves = {
        '+': () => this.zoomAt(w / 2, h / 2, 1.25),
        '=': () => this.zoomAt(w / 2, h / 2, 1.25),
        '-': () => this.zoomAt(w / 2, h / 2, 0.8),
        0: () => this.reset(),
        ArrowLeft: () => { this.view.cx -= step; this.draw(); },
        ArrowRight: () => { this.view.cx += step; this.draw(); },
        ArrowUp: () => { this.view.cy += step; this.draw(); },
        ArrowDown: () => { this.view.cy -= step; this.draw(); },
      };
      if (moves[e.key]) {
        e.preventDefault();
        moves[e.key]();
      }
    });
  }
}

/**
 * Shows a scatter in `host` (a div): `points` Float32Array [x0, y0, x1, …], `labels` Uint8Array,
 * `components` Float32Array [x, y, radius, …], `colors` and `classNames` arrays, `axes` ("PC" or
 * "z"), `indices` (Uint32Array, the test image of each point, or null: point i is image i),
 * `bounds` (Float64Array [x0, x1, y0, y1] to draw on, or null: the points' own), `testid` (the
 * canvas's data-testid, set when the host gets its canvas).
 */
export function scatterShow(host, points, labels, components, colors, classNames, axes, indices, keepView, bounds, testid) {
  if (!host.__scatter) host.__scatter = new ScatterView(host, testid);
  host.__scatter.set({ points, labels, components, colors, classNames, axes, indices, bounds }, keepView);
}

/** The test images for the tooltip: `pixels` Uint8Array of `count` images of rows × cols. */
export function scatterImages(host, pixels, count, rows, cols) {
  if (!host.__scatter) host.__scatter = new ScatterView(host);
  host.__scatter.images = { pixels, count, rows, cols };
}
