/* The page's Train section: "Train a new model" (POST /api/trainer/jobs), then the job's
   stage, progress and log, asked again every POLL_MS while it is queued or running
   (GET /api/trainer/jobs/{id}). One training at a time: a second one is refused (409) and the
   page shows the one running. `ctx` is the page's: api, el, notice, failed(what), and
   trained(job), called when a job ends (a model may have joined the registry). */
window.NimbusTrain = function (ctx) {
  "use strict";
  var $ = function (id) { return document.getElementById(id); };
  var F = window.NimbusModelsFormat;
  var POLL_MS = 2000;
  var T = {
    stage: { queued: "Waiting for a worker", training: "Training", evaluating: "Evaluating", done: "Done" },
    line: function (job) {
      var what = job.finetune ? "Fine-tuning (" + F.pct(job.epoch_fraction, 0) + " of the epochs)" : "Full training";
      if (job.state === "succeeded") return what + " done: model " + job.model_id + ", by " + job.author + ", " + F.ago(job.finished_at) + ".";
      if (job.state === "failed") return what + " failed, by " + job.author + ", " + F.ago(job.finished_at || job.created_at) + ".";
      return what + ": " + (T.stage[job.stage] || job.stage) + " · " + F.pct(job.progress, 0) + " · started by " + job.author + ", " + F.ago(job.created_at) + ".";
    },
    training: "Training…", train: "Train a new model",
    started: function (job) { return "Training started (job " + job.id + "). Its progress shows here; you may leave the page meanwhile."; },
    trained: function (job) { return "Training done: model " + job.model_id + " joined the registry, evaluated."; },
    failed: function (job) { return "The training failed: " + (job.error || "see its log") + "."; },
    start: "start the training", load: "load the trainings", emptyLog: "(nothing logged yet)"
  };
  var shown = null, timer = null, generation = 0;

  $("finetune").addEventListener("change", function () { $("fraction-field").hidden = !$("finetune").checked; });
  $("train-form").addEventListener("submit", function (event) {
    event.preventDefault();
    if ($("train-button").disabled) return;
    var finetune = $("finetune").checked;
    var body = { finetune: finetune, epoch_fraction: finetune ? Number($("epoch-fraction").value) : 1, note: $("train-note").value.trim() };
    $("train-button").disabled = true;
    ctx.api("POST", "/api/trainer/jobs", body).then(function (job) {
      $("train-note").value = "";
      ctx.notice(T.started(job));
      follow(job);
    }).catch(function (error) {
      $("train-button").disabled = false;
      ctx.failed(T.start)(error);
      if (error.status === 409) load();  // the one running, from another tab or person
    });
  });

  // The newest job, followed if it is still going.
  function load() {
    var mine = generation;
    return ctx.api("GET", "/api/trainer/jobs").then(function (jobs) {
      if (mine !== generation || !jobs.length) return;
      follow(jobs[0]);
    }).catch(ctx.failed(T.load));
  }
  function follow(job) {
    window.clearTimeout(timer);
    var mine = ++generation, wasActive = shown && shown.id === job.id && shown.active;
    draw(job);
    ctx.api("GET", "/api/trainer/jobs/" + encodeURIComponent(job.id)).then(function (found) {
      if (mine !== generation) return;
      draw(found);
      if (found.active) { timer = window.setTimeout(function () { follow(found); }, POLL_MS); return; }
      if (wasActive || job.active) ended(found);
    }).catch(function (error) {
      if (mine !== generation) return;
      ctx.failed(T.load)(error);
      if (error.message !== "signed out") timer = window.setTimeout(function () { follow(job); }, POLL_MS * 3);
    });
  }
  function ended(job) {
    ctx.notice(job.state === "succeeded" ? T.trained(job) : T.failed(job));
    ctx.trained(job);
  }
  function draw(job) {
    shown = job;
    $("job").hidden = false;
    $("job").setAttribute("data-state", job.state);
    $("job-line").textContent = T.line(job);
    $("job-progress").value = Math.round((job.progress || 0) * 100);
    $("job-error").textContent = job.state === "failed" && job.error ? job.error : "";
    $("train-button").disabled = !!job.active;
    $("train-button").textContent = job.active ? T.training : T.train;
    if (job.log === undefined) return;
    var log = $("job-log"), atEnd = log.scrollTop + log.clientHeight >= log.scrollHeight - 4;
    log.textContent = job.log || T.emptyLog;
    if (atEnd) log.scrollTop = log.scrollHeight;  // follows the end unless scrolled up to read
  }
  function stop() {
    generation += 1;
    window.clearTimeout(timer);
    shown = null;
    $("job").hidden = true;
    $("train-button").disabled = false;
    $("train-button").textContent = T.train;
  }
  return { start: load, stop: stop };
};
