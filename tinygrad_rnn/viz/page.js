// The interactive page of tinygrad_rnn.viz: pan and zoom, tooltips, steps that open to
// their primitives, the paths a gradient takes to the loss, search, and the per-step strip.
// Plain script, no library; the page's SVG carries what it needs in data- attributes.
"use strict";
(function () {
  const svg = document.getElementById("view");
  const graph = document.getElementById("graph");
  const tip = document.getElementById("tip");
  // every step's primitives, as SVG text (gzipped, base64): unpacked once, opened on demand
  let lensText = {};
  const packed = Uint8Array.from(atob(document.getElementById("lenses").textContent), (c) => c.charCodeAt(0));
  const lensesReady = new Response(new Blob([packed]).stream().pipeThrough(new DecompressionStream("gzip")))
    .json().then((data) => { lensText = data; document.body.dataset.ready = "yes"; });
  const SVG = "http://www.w3.org/2000/svg";
  const full = svg.viewBox.baseVal;
  let box = [full.x, full.y, full.width, full.height];
  const lensLayer = document.createElementNS(SVG, "g");
  lensLayer.setAttribute("id", "lenses-open");
  svg.appendChild(lensLayer);
  const open = new Map(); // cell key -> its lens group

  // -- pan and zoom: the viewBox follows the wheel and the drag -----------------------
  function show() { svg.setAttribute("viewBox", box.map((v) => v.toFixed(1)).join(" ")); }
  function toView(ev) {
    const r = svg.getBoundingClientRect();
    const s = Math.max(box[2] / r.width, box[3] / r.height);
    const ox = box[0] + (box[2] - r.width * s) / 2, oy = box[1] + (box[3] - r.height * s) / 2;
    return [ox + (ev.clientX - r.left) * s, oy + (ev.clientY - r.top) * s, s];
  }
  function fit(x, y, w, h) { box = [x, y, w, h]; show(); }
  svg.addEventListener("wheel", (ev) => {
    ev.preventDefault();
    const [x, y] = toView(ev);
    const k = Math.exp(ev.deltaY * 0.0015);
    box = [x - (x - box[0]) * k, y - (y - box[1]) * k, box[2] * k, box[3] * k];
    show();
  }, { passive: false });
  let drag = null;
  svg.addEventListener("mousedown", (ev) => { drag = { x: ev.clientX, y: ev.clientY, box: box.slice(), moved: false }; });
  window.addEventListener("mousemove", (ev) => {
    if (!drag) return;
    const s = toView(ev)[2];
    const dx = ev.clientX - drag.x, dy = ev.clientY - drag.y;
    if (Math.abs(dx) + Math.abs(dy) > 3) drag.moved = true;
    box = [drag.box[0] - dx * s, drag.box[1] - dy * s, box[2], box[3]];
    show();
  });
  window.addEventListener("mouseup", () => { setTimeout(() => { drag = null; }, 0); });
  document.getElementById("fit").addEventListener("click", () => fit(full.x, full.y, full.width, full.height));

  // -- tooltips: whatever carries data-tip ---------------------------------------------
  document.addEventListener("mouseover", (ev) => {
    const el = ev.target.closest("[data-tip]");
    if (!el) { tip.hidden = true; return; }
    tip.textContent = el.dataset.tip;
    tip.hidden = false;
  });
  document.addEventListener("mousemove", (ev) => {
    if (tip.hidden) return;
    const x = Math.min(ev.clientX + 14, window.innerWidth - tip.offsetWidth - 8);
    const y = ev.clientY + 16 + tip.offsetHeight > window.innerHeight ? ev.clientY - tip.offsetHeight - 8 : ev.clientY + 16;
    tip.style.left = x + "px";
    tip.style.top = y + "px";
  });

  // -- lenses: a step's primitives, drawn over the overview below its box ---------------
  function cellOf(key) { return svg.querySelector(`.n[data-key="${CSS.escape(key)}"]`); }
  function toggleLens(key) {
    if (open.has(key)) { open.get(key).remove(); open.delete(key); return null; }
    const doc = new DOMParser().parseFromString(lensText[key].svg, "image/svg+xml").documentElement;
    const inner = document.importNode(doc, true);
    const w = parseFloat(inner.getAttribute("width")), h = parseFloat(inner.getAttribute("height"));
    const c = cellOf(key).getBBox();
    const x = Math.max(full.x, Math.min(c.x + c.width / 2 - w / 2, full.x + full.width - w));
    const y = c.y + c.height + 12;
    const g = document.createElementNS(SVG, "g");
    g.setAttribute("class", "lens");
    g.dataset.lens = key;
    inner.setAttribute("x", x);
    inner.setAttribute("y", y);
    const back = document.createElementNS(SVG, "rect");
    for (const [k, v] of [["x", x - 4], ["y", y - 4], ["width", w + 8], ["height", h + 8], ["rx", 8], ["class", "lensback"]]) back.setAttribute(k, v);
    const close = document.createElementNS(SVG, "text");
    for (const [k, v] of [["x", x + w - 14], ["y", y + 16], ["class", "close"]]) close.setAttribute(k, v);
    close.textContent = "×";
    close.dataset.tip = "close this step";
    close.addEventListener("click", (ev) => { ev.stopPropagation(); toggleLens(key); });
    g.append(back, inner, close);
    lensLayer.appendChild(g);
    open.set(key, g);
    const right = Math.max(box[0] + box[2], x + w + 10), bottom = Math.max(box[1] + box[3], y + h + 10);
    if (right > box[0] + box[2] || bottom > box[1] + box[3]) fit(Math.min(box[0], x - 10), Math.min(box[1], c.y - 10), Math.max(box[2], right - box[0]), Math.max(box[3], bottom - box[1]));
    return g;
  }

  // -- the paths a gradient takes: forward from a box to the loss, along edges that carried some
  function edgesIn(root) { return root.querySelectorAll(".e[data-src]"); }
  function light(startRoot, startKey) {
    clearLight();
    if (startRoot !== svg) startRoot.classList.add("traced");
    const queue = [[startRoot, startKey]];
    const seen = new Set();
    while (queue.length) {
      const [root, key] = queue.shift();
      const id = (root === svg ? "" : root.dataset.lens) + "|" + key;
      if (seen.has(id)) continue;
      seen.add(id);
      const node = root.querySelector(`.n[data-key="${CSS.escape(key)}"]`);
      if (node) {
        node.classList.add("lit");
        if (node.dataset.target && node.dataset.role === "consumer") queue.push([svg, node.dataset.target]);
      }
      for (const e of edgesIn(root)) {
        if (e.dataset.src !== key) continue;
        if (e.dataset.flow !== undefined && e.dataset.flow !== "" && !(parseFloat(e.dataset.flow) > 0)) continue;
        e.classList.add("lit");
        queue.push([root, e.dataset.dst]);
      }
    }
    svg.classList.add("dim");
  }
  function clearLight() {
    svg.classList.remove("dim");
    for (const el of svg.querySelectorAll(".lit, .traced")) el.classList.remove("lit", "traced");
  }
  document.getElementById("clear").addEventListener("click", () => { clearLight(); for (const k of [...open.keys()]) toggleLens(k); });
  document.addEventListener("keydown", (ev) => { if (ev.key === "Escape") clearLight(); });

  svg.addEventListener("click", (ev) => {
    if (drag && drag.moved) return;
    const node = ev.target.closest(".n[data-key]");
    if (!node) { clearLight(); return; }
    const lens = node.closest(".lens");
    if (!lens && node.dataset.role === "cell") {
      const key = node.dataset.key;
      lensesReady.then(() => {
        if (toggleLens(key)) light(svg, key); else clearLight();
      });
      return;
    }
    light(lens || svg, node.dataset.key);
  });

  // -- search: boxes whose names contain the text, and steps whose primitives do --------
  const search = document.getElementById("search");
  let found = [], at = -1;
  search.addEventListener("input", () => {
    for (const el of svg.querySelectorAll(".found")) el.classList.remove("found");
    const q = search.value.trim().toLowerCase();
    found = [];
    at = -1;
    if (!q) return;
    for (const el of svg.querySelectorAll(".n[data-name]")) {
      const inLens = lensText[el.dataset.key] && lensText[el.dataset.key].names.split(" ").some((n) => n.includes(q));
      if (el.dataset.name.includes(q) || inLens) { el.classList.add("found"); found.push(el); }
    }
  });
  search.addEventListener("keydown", (ev) => {
    if (ev.key !== "Enter" || !found.length) return;
    at = (at + 1) % found.length;
    const b = found[at].getBBox();
    fit(b.x - 200, b.y - 120, 400 + b.width, 240 + b.height);
  });

  // -- the strip: hovering a step there or here shows it in both --------------------------
  function hot(key, on) {
    const cell = cellOf(key);
    if (cell) cell.classList.toggle("hot", on);
    for (const bar of document.querySelectorAll(`.bar[data-cell="${CSS.escape(key)}"]`)) bar.classList.toggle("hot", on);
  }
  for (const bar of document.querySelectorAll(".bar[data-cell]")) {
    bar.addEventListener("mouseenter", () => hot(bar.dataset.cell, true));
    bar.addEventListener("mouseleave", () => hot(bar.dataset.cell, false));
    bar.addEventListener("click", () => {
      const cell = cellOf(bar.dataset.cell);
      if (!cell) return;
      const b = cell.getBBox();
      fit(b.x - 300, b.y - 150, 600, 300 + b.height);
    });
  }
  for (const cell of svg.querySelectorAll('.n[data-role="cell"]')) {
    cell.addEventListener("mouseenter", () => hot(cell.dataset.key, true));
    cell.addEventListener("mouseleave", () => hot(cell.dataset.key, false));
  }
  show();
})();
