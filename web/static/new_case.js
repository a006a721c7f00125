// The new-case form: the mediation fields show only while the mediation pipeline is chosen.
(function () {
  var form = document.getElementById("new-case");
  if (!form) return;
  var pipeline = form.querySelector('select[name="pipeline"]');
  var mediation = form.querySelector('fieldset[data-pipeline="mediation"]');
  if (!pipeline || !mediation) return;
  function sync() { mediation.hidden = pipeline.value !== "mediation"; }
  pipeline.addEventListener("change", sync);
  sync();
})();
