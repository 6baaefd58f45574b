/* The topology map's drag (admin/templates/topology/map.html, editing only): move a node with
   the mouse, a finger or the arrow keys, and save each drop with topology_node.move through
   /billmgr (POST, the page's CSRF token). Without this script the x and y fields do the same. */
(function () {
  "use strict";
  var svg = document.getElementById("topology");
  var token = document.querySelector('meta[name="csrf-token"]');
  var msg = document.getElementById("topo-msg");
  if (!svg || !token) { return; }
  var MAX = 2000;
  var drag = null;

  function clamp(v) { return Math.max(0, Math.min(MAX, Math.round(v))); }

  function point(evt) {
    var p = svg.createSVGPoint();
    p.x = evt.clientX; p.y = evt.clientY;
    return p.matrixTransform(svg.getScreenCTM().inverse());
  }

  function place(node, x, y) {
    var id = node.getAttribute("data-id");
    node.setAttribute("transform", "translate(" + x + "," + y + ")");
    svg.querySelectorAll('g.link[data-a="' + id + '"], g.link[data-b="' + id + '"]').forEach(function (g) {
      var line = g.querySelector("line");
      var end = g.getAttribute("data-a") === id ? "1" : "2";
      line.setAttribute("x" + end, x); line.setAttribute("y" + end, y);
      var text = g.querySelector("text");
      if (text) {
        text.setAttribute("x", (+line.getAttribute("x1") + +line.getAttribute("x2")) / 2);
        text.setAttribute("y", (+line.getAttribute("y1") + +line.getAttribute("y2")) / 2 - 8);
      }
    });
  }

  function say(text, bad) {
    if (!msg) { return; }
    msg.textContent = text;
    msg.className = "flash " + (bad ? "error" : "ok");
  }

  function save(node, x, y) {
    var oldX = node.getAttribute("data-x"), oldY = node.getAttribute("data-y");
    var body = new URLSearchParams({func: "topology_node.move", elid: node.getAttribute("data-id"),
                                    x: String(x), y: String(y), out: "json",
                                    csrf_token: token.getAttribute("content")});
    node.setAttribute("data-saving", "1");
    return fetch("/billmgr", {method: "POST", body: body, credentials: "same-origin",
                              headers: {"Accept": "application/json"}})
      .then(function (resp) {
        return resp.json().then(function (data) { return {ok: resp.ok, data: data}; });
      })
      .then(function (r) {
        if (!r.ok || (r.data.doc && r.data.doc.error)) { throw new Error(r.data.doc && r.data.doc.error ? r.data.doc.error.msg : "refused"); }
        node.setAttribute("data-x", x); node.setAttribute("data-y", y);
        var cell = document.querySelector("#row-node-" + node.getAttribute("data-id") + " td.xy");
        if (cell) { cell.textContent = x + ", " + y; }
        node.setAttribute("data-saved", x + "," + y);
        say(svg.getAttribute("data-saved-text") || "Saved", false);
      })
      .catch(function (err) {
        place(node, +oldX, +oldY);
        say((svg.getAttribute("data-failed-text") || "Not saved") + ": " + err.message, true);
      })
      .finally(function () { node.removeAttribute("data-saving"); });
  }

  svg.addEventListener("pointerdown", function (evt) {
    var node = evt.target.closest && evt.target.closest("g.node");
    if (!node || evt.button !== 0) { return; }
    var p = point(evt);
    drag = {node: node, dx: p.x - +node.getAttribute("data-x"), dy: p.y - +node.getAttribute("data-y"),
            x: +node.getAttribute("data-x"), y: +node.getAttribute("data-y"), moved: false};
    node.classList.add("dragging");
    svg.setPointerCapture(evt.pointerId);
    evt.preventDefault();
  });

  svg.addEventListener("pointermove", function (evt) {
    if (!drag) { return; }
    var p = point(evt);
    drag.x = clamp(p.x - drag.dx); drag.y = clamp(p.y - drag.dy);
    drag.moved = true;
    place(drag.node, drag.x, drag.y);
  });

  function drop(evt) {
    if (!drag) { return; }
    var d = drag;
    drag = null;
    d.node.classList.remove("dragging");
    if (svg.hasPointerCapture && svg.hasPointerCapture(evt.pointerId)) { svg.releasePointerCapture(evt.pointerId); }
    if (d.moved) { save(d.node, d.x, d.y); }
  }
  svg.addEventListener("pointerup", drop);
  svg.addEventListener("pointercancel", drop);

  /* the keyboard: Tab to a node, arrows move it 10 units (with Shift 50), each press saved */
  svg.querySelectorAll("g.node").forEach(function (node) { node.setAttribute("tabindex", "0"); });
  svg.addEventListener("keydown", function (evt) {
    var node = evt.target.closest && evt.target.closest("g.node");
    var step = evt.shiftKey ? 50 : 10;
    var moves = {ArrowLeft: [-step, 0], ArrowRight: [step, 0], ArrowUp: [0, -step], ArrowDown: [0, step]};
    if (!node || !moves[evt.key]) { return; }
    evt.preventDefault();
    var x = clamp(+node.getAttribute("data-x") + moves[evt.key][0]);
    var y = clamp(+node.getAttribute("data-y") + moves[evt.key][1]);
    place(node, x, y);
    save(node, x, y);
  });
})();
