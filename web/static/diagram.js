// Draw each .bpmn-canvas with bpmn-js and mark completed and current steps.
(function () {
  "use strict";
  function draw(el) {
    var viewer = new BpmnJS({ container: el });
    var done = JSON.parse(el.dataset.completed || "[]");
    var current = JSON.parse(el.dataset.current || "[]");
    return fetch(el.dataset.xml, { credentials: "same-origin" })
      .then(function (r) { if (!r.ok) { throw new Error("HTTP " + r.status); } return r.text(); })
      .then(function (xml) { return viewer.importXML(xml); })
      .then(function () {
        var canvas = viewer.get("canvas");
        var registry = viewer.get("elementRegistry");
        canvas.zoom("fit-viewport");
        done.forEach(function (id) { if (registry.get(id)) { canvas.addMarker(id, "step-done"); } });
        current.forEach(function (id) { if (registry.get(id)) { canvas.addMarker(id, "step-current"); } });
        el.dataset.rendered = "true";
      })
      .catch(function (err) {
        el.dataset.rendered = "error";
        el.textContent = String(err && err.message || err);
      });
  }
  document.querySelectorAll(".bpmn-canvas").forEach(draw);
})();
