// The replay widget: step through what busy-chef's executor did.
//
// Plain JavaScript, no framework, nothing from the network. mdBook loads it
// on every page (`additional-js` in book.toml); it does something only where
// a page holds a `<div class="bc-replay">`:
//
//   <div class="bc-replay" data-replay="chef-replay" data-title="..."></div>
//   <script type="application/json" id="chef-replay">{ the replay }</script>
//
// Without `data-replay` the widget starts empty, with its file picker. The
// format (version 1) is documented in the book (chapter "Watching it run")
// and in executor/diagnostics/render/replay.rs, which writes it.
//
// How it stays fast on long traces: the state after step i is computed by
// applying the steps one by one (each is O(1)); a copy of the state is kept
// every SNAPSHOT_EVERY steps, so going to any step applies at most that many
// steps to a copy. The page is updated only where something changed.

(function () {
  "use strict";

  var VERSION = 1;
  var SNAPSHOT_EVERY = 256;
  var QUEUE_SHOWN = 40;
  var TIMERS_LISTED = 24;
  var PLAY_MS = 450;
  var LEVEL_SPAN = ["1 ms", "64 ms", "4.1 s", "4.4 min", "4.7 h", "12.4 d"];
  var PHASES = {
    start: "block_on starts",
    drain: "① drain the channel",
    run: "② run the queued tasks",
    timers: "③ fire the due timers",
    park: "④ park",
  };
  var KINDS = {
    turn: { turn: "int" },
    spawn: { task: "int", name: "string", by: "int?", door: "door?" },
    wake: { task: "int", by: "source?", by_task: "int?", door: "door?" },
    run: { task: "int?" },
    timer: { timer: "int", task: "int?", deadline: "int", place: "place?", at: "at?" },
    poll: { task: "int", result: "result", took: "int", real: "int?", ended: "ending?" },
    end: { task: "int", how: "ending" },
    cancel: { timer: "int" },
    advance: { wheel: "int" },
    cascade: { timer: "int", from: "place", to: "place" },
    fire: { timer: "int", from: "place", woke: "ints" },
    park: { until: "int?", jumps: "bool" },
    warning: { task: "int?", message: "string" },
  };

  // ----- reading a replay ---------------------------------------------------

  function ReplayError(message) {
    this.message = message;
  }

  var HOW_TO_MAKE =
    "A replay is written by any program that runs on busy-chef with " +
    "BUSY_CHEF_TRACE=run.replay.json (for example " +
    "BUSY_CHEF_TRACE=run.replay.json cargo run --example chef -- --simulated).";

  function isInt(v) {
    return typeof v === "number" && Number.isInteger(v) && v >= 0;
  }

  function checkField(kind, value) {
    var optional = kind.charAt(kind.length - 1) === "?";
    if (optional) {
      if (value === null || value === undefined) return true;
      kind = kind.slice(0, -1);
    }
    switch (kind) {
      case "int":
        return isInt(value);
      case "string":
        return typeof value === "string";
      case "bool":
        return typeof value === "boolean";
      case "door":
        return value === "local" || value === "channel";
      case "source":
        return ["task", "timer", "outside", "executor"].indexOf(value) >= 0;
      case "result":
        return ["pending", "ready", "panicked"].indexOf(value) >= 0;
      case "ending":
        return ["done", "panicked", "cancelled"].indexOf(value) >= 0;
      case "place":
        return (
          value === "overflow" ||
          (Array.isArray(value) &&
            value.length === 2 &&
            isInt(value[0]) &&
            value[0] < 6 &&
            isInt(value[1]) &&
            value[1] < 64)
        );
      case "ints":
        return Array.isArray(value) && value.every(isInt);
      case "at":
        return (
          value !== null &&
          typeof value === "object" &&
          typeof value.file === "string" &&
          isInt(value.line)
        );
    }
    return false;
  }

  // Parses and checks a replay; throws a ReplayError that says what is wrong.
  function parseReplay(text) {
    var data;
    try {
      data = JSON.parse(text);
    } catch (e) {
      throw new ReplayError("This is not valid JSON (" + e.message + "). " + HOW_TO_MAKE);
    }
    if (data === null || typeof data !== "object" || Array.isArray(data)) {
      throw new ReplayError("This JSON is not a busy-chef replay: it is not an object. " + HOW_TO_MAKE);
    }
    if (data.format !== "busy-chef-replay") {
      if (Array.isArray(data.traceEvents)) {
        throw new ReplayError(
          "This is a Chrome trace (BUSY_CHEF_TRACE=trace.json, for Perfetto), not a replay. " +
            "Name the file so that it ends in .replay.json: BUSY_CHEF_TRACE=run.replay.json."
        );
      }
      throw new ReplayError(
        'This JSON is not a busy-chef replay: it has no "format": "busy-chef-replay". ' + HOW_TO_MAKE
      );
    }
    if (!isInt(data.version)) {
      throw new ReplayError('This replay has no "version" number, so it cannot be read safely.');
    }
    if (data.version !== VERSION) {
      throw new ReplayError(
        "This replay is in version " + data.version + " of the format; this page reads version " +
          VERSION + ". " +
          (data.version > VERSION
            ? "It was written by a newer busy-chef: read it with the book of the same version."
            : "Make it again with this version of busy-chef.")
      );
    }
    if (!Array.isArray(data.steps)) {
      throw new ReplayError('This replay has no "steps" list.');
    }
    if (data.steps.length === 0) {
      throw new ReplayError(
        "This replay has no steps: the executor recorded nothing (was it dropped before it ran anything?)."
      );
    }
    var names = new Map();
    var order = [];
    (Array.isArray(data.tasks) ? data.tasks : []).forEach(function (task, i) {
      if (!task || !isInt(task.id) || typeof task.name !== "string") {
        throw new ReplayError("Task " + (i + 1) + ' of the "tasks" list has no "id" number or "name".');
      }
      if (!names.has(task.id)) order.push(task.id);
      names.set(task.id, task.name);
    });
    var lastT = 0;
    data.steps.forEach(function (step, i) {
      var where = "Step " + (i + 1) + " of " + data.steps.length;
      if (step === null || typeof step !== "object") {
        throw new ReplayError(where + " is not an object.");
      }
      var fields = KINDS[step["do"]];
      if (!fields) {
        throw new ReplayError(
          where + ' has "do": ' + JSON.stringify(step["do"]) + ", which is not a kind of step of version " +
            VERSION + " (" + Object.keys(KINDS).join(", ") + ")."
        );
      }
      if (!isInt(step.t)) {
        throw new ReplayError(where + ' ("' + step["do"] + '") has no time "t" in microseconds.');
      }
      Object.keys(fields).forEach(function (field) {
        if (!checkField(fields[field], step[field])) {
          throw new ReplayError(
            where + ' ("' + step["do"] + '") has a bad "' + field + '": ' + JSON.stringify(step[field]) + "."
          );
        }
      });
      lastT = Math.max(lastT, step.t);
      // Tasks the list forgot still get a row.
      [step.task, step.by_task].concat(step.woke || []).forEach(function (id) {
        if (isInt(id) && !names.has(id)) {
          names.set(id, step["do"] === "spawn" && id === step.task ? step.name : "task-" + id);
          order.push(id);
        }
      });
    });
    return {
      clock: data.clock === "real" ? "real" : data.clock === "simulated" ? "simulated" : "unknown",
      end: isInt(data.end) ? data.end : lastT,
      names: names,
      order: order,
      steps: data.steps,
    };
  }

  // ----- the state after each step -------------------------------------------

  function emptyState() {
    return {
      i: -1, // the step just applied
      t: 0,
      turn: 0,
      phase: "start",
      queue: [], // task ids, front first (from `head` on)
      head: 0,
      inQueue: new Map(), // task id -> how many times the queue holds it
      channel: [], // what this step brought through the channel door
      running: null,
      popped: null, // the task whose key the latest `run` popped
      spawned: new Set(),
      ended: new Map(), // task id -> "done" | "panicked" | "cancelled"
      timers: new Map(), // timer -> { task, deadline, place, at }
      timersVersion: 0, // changes whenever `timers` does
      wheel: 0, // the wheel's time, µs
    };
  }

  function copyState(s) {
    return {
      i: s.i,
      t: s.t,
      turn: s.turn,
      phase: s.phase,
      queue: s.queue.slice(s.head),
      head: 0,
      inQueue: new Map(s.inQueue),
      channel: s.channel.slice(),
      running: s.running,
      popped: s.popped,
      spawned: new Set(s.spawned),
      ended: new Map(s.ended),
      timers: new Map(s.timers),
      timersVersion: s.timersVersion,
      wheel: s.wheel,
    };
  }

  function push(s, task) {
    s.queue.push(task);
    s.inQueue.set(task, (s.inQueue.get(task) || 0) + 1);
  }

  // Applies step i to s (in place).
  function apply(s, step, i) {
    var kind = step["do"];
    if (kind === "timer" || kind === "cancel" || kind === "cascade" || kind === "fire") {
      s.timersVersion = i + 1;
    }
    s.i = i;
    s.t = step.t;
    s.channel = [];
    switch (step["do"]) {
      case "turn":
        s.turn = step.turn;
        s.phase = "drain";
        break;
      case "spawn":
        s.spawned.add(step.task);
        if (step.door) push(s, step.task);
        break;
      case "wake":
        if (step.door === "channel") s.channel = [step.task];
        if (step.door) push(s, step.task);
        break;
      case "run":
        s.phase = "run";
        s.popped = null;
        if (s.head < s.queue.length) {
          var front = s.queue[s.head];
          s.popped = front;
          s.head += 1;
          var left = s.inQueue.get(front) - 1;
          if (left > 0) s.inQueue.set(front, left);
          else s.inQueue.delete(front);
          // Compact now and then, so the array does not grow for ever.
          if (s.head > 1024 && s.head * 2 > s.queue.length) {
            s.queue = s.queue.slice(s.head);
            s.head = 0;
          }
        }
        s.running = step.task;
        break;
      case "timer":
        s.timers.set(step.timer, {
          task: step.task,
          deadline: step.deadline,
          place: step.place,
          at: step.at || null,
        });
        break;
      case "poll":
        if (step.ended) s.ended.set(step.task, step.ended);
        if (s.running === step.task) s.running = null;
        break;
      case "end":
        s.ended.set(step.task, step.how);
        if (s.running === step.task) s.running = null;
        break;
      case "cancel":
        s.timers.delete(step.timer);
        break;
      case "advance":
        s.phase = "timers";
        s.wheel = step.wheel;
        break;
      case "cascade":
        var moving = s.timers.get(step.timer);
        if (moving) s.timers.set(step.timer, Object.assign({}, moving, { place: step.to }));
        break;
      case "fire":
        s.phase = "timers";
        s.timers.delete(step.timer);
        step.woke.forEach(function (task) {
          push(s, task);
        });
        break;
      case "park":
        s.phase = "park";
        break;
    }
  }

  function taskState(s, id) {
    if (s.ended.has(id)) return "done";
    if (s.running === id) return "running";
    if (s.inQueue.has(id)) return "queued";
    return "waiting";
  }

  // ----- words -------------------------------------------------------------

  function fmtTime(us) {
    var ms = us / 1000;
    if (us % 1000 === 0) return (ms / 1000).toFixed(3) + " s";
    return (us / 1e6).toFixed(6) + " s";
  }

  function fmtDuration(us) {
    if (us >= 1e6) return (us / 1e6).toFixed(2) + " s";
    if (us >= 1000) return (us / 1000).toFixed(1) + " ms";
    return us + " µs";
  }

  function placeText(place) {
    if (place === "overflow") return "the overflow map";
    if (!place) return "an unknown place";
    return "level " + place[0] + ", slot " + place[1];
  }

  function atText(at) {
    return at ? at.file + ":" + at.line : "";
  }

  // ----- the widget ----------------------------------------------------------

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function Widget(root) {
    this.root = root;
    this.title = root.getAttribute("data-title") || "";
    this.codeBase = root.getAttribute("data-code-base") || "code/";
    this.replay = null;
    this.state = null;
    this.snapshots = [];
    this.timer = null;
    this.build();
    var source = root.getAttribute("data-replay");
    if (source) {
      var script = document.getElementById(source);
      if (!script) {
        this.fail("This page has no replay named " + JSON.stringify(source) + ".");
      } else {
        this.loadText(script.textContent, "");
      }
    } else {
      this.message(
        "No replay loaded yet. Make one with BUSY_CHEF_TRACE=run.replay.json cargo run " +
          "--example chef -- --simulated (or your own program), then pick the file with " +
          "\u201cLoad a replay\u201d.",
        "info"
      );
    }
  }

  Widget.prototype.build = function () {
    var w = this;
    var root = this.root;
    root.textContent = "";
    root.tabIndex = 0;
    root.setAttribute("role", "group");
    root.setAttribute("aria-label", "Replay of the executor" + (this.title ? ": " + this.title : ""));

    var head = el("div", "bc-head");
    head.appendChild(el("span", "bc-title", this.title || "Replay"));
    var picker = el("label", "bc-load");
    picker.appendChild(document.createTextNode("Load a replay\u2026"));
    var input = el("input");
    input.type = "file";
    input.accept = ".json,application/json";
    input.addEventListener("change", function () {
      var file = input.files && input.files[0];
      if (file) w.loadFile(file);
      input.value = "";
    });
    picker.appendChild(input);
    head.appendChild(picker);
    root.appendChild(head);

    this.messageBox = el("div", "bc-message");
    this.messageBox.setAttribute("role", "alert");
    this.messageBox.hidden = true;
    root.appendChild(this.messageBox);

    var body = el("div", "bc-body");
    this.body = body;
    root.appendChild(body);

    var controls = el("div", "bc-controls");
    function button(label, title, action) {
      var b = el("button", "bc-button", label);
      b.type = "button";
      b.title = title;
      b.setAttribute("aria-label", title);
      b.addEventListener("click", function () {
        action();
        root.focus({ preventScroll: true });
      });
      controls.appendChild(b);
      return b;
    }
    this.firstButton = button("|\u25c0", "First step (Home)", function () { w.pause(); w.show(0); });
    this.backButton = button("\u25c0", "Step back (\u2190)", function () { w.pause(); w.step(-1); });
    this.playButton = button("\u25b6 Play", "Play or pause (space)", function () { w.togglePlay(); });
    this.playButton.classList.add("bc-play");
    this.forwardButton = button("\u25b6", "Step forward (\u2192)", function () { w.pause(); w.step(1); });
    this.lastButton = button("\u25b6|", "Last step (End)", function () { w.pause(); w.show(w.replay.steps.length - 1); });
    this.slider = el("input", "bc-slider");
    this.slider.type = "range";
    this.slider.min = "0";
    this.slider.value = "0";
    this.slider.setAttribute("aria-label", "Step");
    this.slider.addEventListener("input", function () {
      w.pause();
      w.show(Number(w.slider.value));
    });
    controls.appendChild(this.slider);
    this.counter = el("span", "bc-counter");
    controls.appendChild(this.counter);
    body.appendChild(controls);

    var status = el("div", "bc-status");
    this.clockNode = el("span", "bc-clock");
    this.turnNode = el("span", "bc-turn");
    this.phaseNode = el("span", "bc-phase");
    status.appendChild(this.clockNode);
    status.appendChild(this.turnNode);
    status.appendChild(this.phaseNode);
    body.appendChild(status);

    this.eventNode = el("div", "bc-event");
    this.eventNode.setAttribute("aria-live", "polite");
    body.appendChild(this.eventNode);

    var grid = el("div", "bc-grid");
    body.appendChild(grid);

    var tasksPanel = el("div", "bc-panel bc-tasks-panel");
    tasksPanel.appendChild(el("div", "bc-panel-title", "Tasks"));
    var scroller = el("div", "bc-scroll");
    this.taskScroll = scroller;
    var table = el("table", "bc-tasks");
    var thead = el("thead");
    var tr = el("tr");
    ["task", "state", "waits at (.await)"].forEach(function (h) { tr.appendChild(el("th", "", h)); });
    thead.appendChild(tr);
    table.appendChild(thead);
    this.taskBody = el("tbody");
    table.appendChild(this.taskBody);
    scroller.appendChild(table);
    tasksPanel.appendChild(scroller);
    grid.appendChild(tasksPanel);

    var queuePanel = el("div", "bc-panel bc-queue-panel");
    queuePanel.appendChild(el("div", "bc-panel-title", "Run queue"));
    var channelRow = el("div", "bc-door bc-door-channel");
    channelRow.appendChild(el("span", "bc-door-name", "channel door"));
    channelRow.appendChild(el("span", "bc-door-note", "wakes from other threads"));
    this.channelNode = el("ol", "bc-chips bc-channel");
    channelRow.appendChild(this.channelNode);
    queuePanel.appendChild(channelRow);
    queuePanel.appendChild(el("div", "bc-arrow", "\u2193 drained into the local queue at \u2460"));
    var localRow = el("div", "bc-door bc-door-local");
    localRow.appendChild(el("span", "bc-door-name", "local queue"));
    localRow.appendChild(el("span", "bc-door-note", "front first; this thread pushes at the back"));
    this.queueNode = el("ol", "bc-chips bc-local");
    localRow.appendChild(this.queueNode);
    queuePanel.appendChild(localRow);
    grid.appendChild(queuePanel);

    var wheelPanel = el("div", "bc-panel bc-wheel-panel");
    var wheelTitle = el("div", "bc-panel-title", "Timer wheel ");
    this.wheelTimeNode = el("span", "bc-wheel-time");
    wheelTitle.appendChild(this.wheelTimeNode);
    wheelPanel.appendChild(wheelTitle);
    var wheel = el("div", "bc-wheel");
    // Slot numbers above the rows, every eighth.
    var axis = el("div", "bc-level bc-axis");
    axis.appendChild(el("span", "bc-level-label", ""));
    var ticks = el("span", "bc-slots");
    for (var tick = 0; tick < 64; tick++) {
      ticks.appendChild(el("span", "bc-tick", tick % 8 === 0 ? String(tick) : ""));
    }
    axis.appendChild(ticks);
    axis.appendChild(el("span", "bc-level-span", "slot"));
    wheel.appendChild(axis);
    this.cells = [];
    for (var level = 0; level < 6; level++) {
      var row = el("div", "bc-level");
      var label = el("span", "bc-level-label", "L" + level);
      label.title = "level " + level + ": one slot covers " + LEVEL_SPAN[level];
      row.appendChild(label);
      var slots = el("span", "bc-slots");
      var cells = [];
      for (var slot = 0; slot < 64; slot++) {
        var cell = el("span", "bc-slot");
        cell.setAttribute("data-level", String(level));
        cell.setAttribute("data-slot", String(slot));
        slots.appendChild(cell);
        cells.push(cell);
      }
      row.appendChild(slots);
      row.appendChild(el("span", "bc-level-span", LEVEL_SPAN[level] + "/slot"));
      wheel.appendChild(row);
      this.cells.push(cells);
    }
    wheelPanel.appendChild(wheel);
    this.overflowNode = el("div", "bc-overflow");
    wheelPanel.appendChild(this.overflowNode);
    this.timerList = el("ul", "bc-timer-list");
    wheelPanel.appendChild(this.timerList);
    body.appendChild(wheelPanel);

    root.addEventListener("keydown", function (e) {
      if (!w.replay || (e.target.tagName === "INPUT" && e.target.type !== "range")) return;
      if (e.target.tagName === "BUTTON" && (e.key === " " || e.key === "Enter")) return;
      var handled = true;
      if (e.key === "ArrowRight") { w.pause(); w.step(1); }
      else if (e.key === "ArrowLeft") { w.pause(); w.step(-1); }
      else if (e.key === " " || e.key === "Spacebar") w.togglePlay();
      else if (e.key === "Home") { w.pause(); w.show(0); }
      else if (e.key === "End") { w.pause(); w.show(w.replay.steps.length - 1); }
      else handled = false;
      if (handled) {
        // mdBook turns the page on the arrow keys: not while stepping here.
        e.preventDefault();
        e.stopPropagation();
      }
    });
    this.body.hidden = true;
  };

  Widget.prototype.message = function (text, kind) {
    this.messageBox.textContent = text;
    this.messageBox.className = "bc-message bc-message-" + (kind || "error");
    this.messageBox.hidden = !text;
  };

  Widget.prototype.fail = function (text) {
    this.message(text, "error");
  };

  Widget.prototype.loadFile = function (file) {
    var w = this;
    var reader = new FileReader();
    reader.onload = function () {
      w.loadText(String(reader.result), file.name);
    };
    reader.onerror = function () {
      w.fail("Could not read " + file.name + ": " + (reader.error && reader.error.message));
    };
    reader.readAsText(file);
  };

  // `name`: the file it came from (a file the reader picked), if any.
  Widget.prototype.loadText = function (text, name) {
    var replay;
    try {
      replay = parseReplay(text);
    } catch (e) {
      if (!(e instanceof ReplayError)) throw e;
      this.fail((name ? "Could not load " + name + ": " : "") + e.message);
      return false;
    }
    this.pause();
    this.replay = replay;
    this.fromFile = Boolean(name);
    this.prepare();
    this.message(name ? "Loaded " + name + ": " + replay.steps.length + " steps." : "", "info");
    this.root.querySelector(".bc-title").textContent = name || this.title || "Replay";
    this.body.hidden = false;
    this.slider.max = String(replay.steps.length - 1);
    this.show(0);
    return true;
  };

  // Applies every step once, keeping a copy of the state every
  // SNAPSHOT_EVERY steps; makes the rows of the task table.
  Widget.prototype.prepare = function () {
    var replay = this.replay;
    var s = emptyState();
    this.snapshots = [];
    var mostTimers = 0;
    for (var i = 0; i < replay.steps.length; i++) {
      if (i % SNAPSHOT_EVERY === 0) this.snapshots.push(copyState(s));
      apply(s, replay.steps[i], i);
      mostTimers = Math.max(mostTimers, s.timers.size);
    }
    // Boxes keep one size for the whole replay, so that a step changes no
    // layout outside them.
    this.listedTimers = Math.min(mostTimers, TIMERS_LISTED) + (mostTimers > TIMERS_LISTED ? 1 : 0) + 1;
    this.rowHeight = 0;
    this.state = null;
    this.rows = new Map();
    this.taskBody.textContent = "";
    var w = this;
    replay.order.forEach(function (id) {
      var tr = el("tr", "bc-task bc-unborn");
      tr.setAttribute("data-task", String(id));
      var name = el("td", "bc-task-name");
      name.appendChild(el("span", "bc-name", replay.names.get(id)));
      name.appendChild(el("span", "bc-id", " task-" + id));
      tr.appendChild(name);
      var state = el("td", "bc-state");
      tr.appendChild(state);
      var at = el("td", "bc-at");
      tr.appendChild(at);
      w.taskBody.appendChild(tr);
      w.rows.set(id, { tr: tr, state: state, at: at, shown: {}, index: w.rows.size });
    });
    // Tasks that only appear by a spawn step are "not yet spawned" before
    // it; timers keep the task that set them, for words about them.
    this.spawnStep = new Map();
    this.timerInfo = new Map();
    replay.steps.forEach(function (step, i) {
      if (step["do"] === "spawn" && !w.spawnStep.has(step.task)) w.spawnStep.set(step.task, i);
      if (step["do"] === "timer") w.timerInfo.set(step.timer, { task: step.task, at: step.at || null });
    });
    this.shownCells = new Map();
    this.shownTimers = "";
  };

  Widget.prototype.stateAt = function (i) {
    var s = this.state;
    if (s && s.i <= i && i - s.i <= SNAPSHOT_EVERY) {
      // Forward from here: cheaper than a copy.
    } else {
      s = copyState(this.snapshots[Math.floor(i / SNAPSHOT_EVERY)]);
    }
    for (var j = s.i + 1; j <= i; j++) apply(s, this.replay.steps[j], j);
    return s;
  };

  Widget.prototype.step = function (delta) {
    if (!this.replay) return;
    var i = (this.state ? this.state.i : 0) + delta;
    this.show(Math.max(0, Math.min(this.replay.steps.length - 1, i)));
  };

  Widget.prototype.show = function (i) {
    if (!this.replay) return;
    this.state = this.stateAt(i);
    this.render();
  };

  Widget.prototype.togglePlay = function () {
    if (this.timer) this.pause();
    else this.play();
  };

  Widget.prototype.play = function () {
    if (!this.replay) return;
    var w = this;
    if (this.state.i >= this.replay.steps.length - 1) this.show(0);
    this.playButton.textContent = "\u23f8 Pause";
    this.timer = setInterval(function () {
      if (w.state.i >= w.replay.steps.length - 1) w.pause();
      else w.step(1);
    }, PLAY_MS);
  };

  Widget.prototype.pause = function () {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.playButton.textContent = "\u25b6 Play";
  };

  Widget.prototype.name = function (id) {
    if (id === null || id === undefined) return "?";
    return this.replay.names.get(id) || "task-" + id;
  };

  // "toast’s", but "eggs’".
  function possessive(name) {
    return name + (/s$/.test(name) ? "\u2019" : "\u2019s");
  }

  Widget.prototype.link = function (at) {
    var text = at.file.replace(/^.*[\/\\]/, "") + ":" + at.line;
    // Only the book's own replays name files of this repository.
    var local = !this.fromFile && /^(examples|executor|tests)\//.test(at.file);
    var node;
    if (local) {
      node = el("a", "bc-src", text);
      node.href = this.codeBase + at.file;
      node.title = atText(at) + " (the file; the .await is on line " + at.line + ")";
    } else {
      node = el("span", "bc-src", text);
      node.title = atText(at);
    }
    return node;
  };

  // The step in words.
  Widget.prototype.describe = function (step, s) {
    var w = this;
    var n = function (id) { return w.name(id); };
    var owner = function (timer) {
      var info = w.timerInfo.get(timer);
      return (info && info.task !== null ? possessive(n(info.task)) + " timer" : "A timer") + " (#" + timer + ")";
    };
    switch (step["do"]) {
      case "turn":
        return "Turn " + step.turn + " of the loop begins. \u2460 Wakes that came through the channel " +
          "from other threads join the local queue.";
      case "spawn":
        var made = step.by === null
          ? (step.name === "main" ? "block_on starts: its future, main, gets a key" : n(step.task) + " is spawned")
          : n(step.by) + " spawns " + n(step.task) + ", a new task";
        return made + (step.door ? " \u2192 its key is pushed on the local queue." : "; it is not queued (the executor is shutting down).");
      case "wake":
        var by = step.by === "task" ? "woken by " + n(step.by_task)
          : step.by === "timer" ? "woken by a timer"
          : step.by === "outside" ? "woken from another thread"
          : step.by === "executor" ? "woken by the executor" : "queued";
        return n(step.task) + " " + by + (step.door === "channel"
          ? " \u2192 its key came through the channel door \u2192 moved into the local queue."
          : step.door === "local" ? " \u2192 pushed on the local queue." : " (not queued).");
      case "run":
        if (step.task === null) {
          return "\u2461 The key at the front of the queue is stale" +
            (s.popped !== null ? " (" + n(s.popped) + " is over)" : "") + ": it is skipped.";
        }
        var ats = [];
        s.timers.forEach(function (timer) {
          if (timer.task === step.task && timer.at) ats.push(atText(timer.at));
        });
        return "\u2461 Pop " + possessive(n(step.task)) + " key from the front of the queue \u2192 poll " + n(step.task) +
          (ats.length ? " (it waits after the .await at " + ats[0] + ")." : ".");
      case "timer":
        return (step.task !== null ? n(step.task) : "A task") + " awaits a sleep" +
          (step.at ? " at " + atText(step.at) : "") + " \u2192 a timer (#" + step.timer + ") due at " +
          fmtTime(step.deadline) + " goes into the wheel: " + placeText(step.place) + ".";
      case "poll":
        var result = step.result === "pending" ? "Pending" : step.result === "ready" ? "Ready" : "a panic";
        var text = possessive(n(step.task)) + " poll returns " + result;
        if (step.ended === "done") text += " \u2192 " + n(step.task) + " is done.";
        else if (step.ended) text += " \u2192 " + n(step.task) + " is over (" + step.ended + ").";
        else text += s.inQueue.has(step.task) ? " (it is queued again already)." : " \u2192 it waits for a wake.";
        var held = step.real !== null ? step.real : step.took;
        if (held >= 1000) {
          text += " The poll held the thread for " + fmtDuration(held) + ": nothing else ran meanwhile" +
            (step.took > 0 ? " (the clock went from " + fmtTime(step.t - step.took) + " to " + fmtTime(step.t) + ")." : ".");
        }
        return text;
      case "end":
        return n(step.task) + " is " + (step.how === "done" ? "done" : step.how) + ".";
      case "cancel":
        return owner(step.timer) + " is cancelled: its Sleep was dropped before it fired.";
      case "advance":
        var next = this.replay.steps[s.i + 1];
        var due = next && (next["do"] === "cascade" || next["do"] === "fire");
        return "\u2462 The timer step: the wheel\u2019s time moves to " + fmtTime(step.wheel) +
          (due ? "." : ". Nothing is due.");
      case "cascade":
        return "Cascade: " + owner(step.timer) + " moves down from " + placeText(step.from) + " to " +
          placeText(step.to) + ".";
      case "fire":
        if (step.woke.length) {
          return owner(step.timer) + " fired \u2192 " + step.woke.map(n).join(", ") + " woken \u2192 pushed on the local queue.";
        }
        return owner(step.timer) + " fired \u2192 its wake pushed nothing (the task was queued already).";
      case "park":
        if (step.until === null) {
          return "\u2463 Nothing is queued and no timer is set: wait for a wake from another thread.";
        }
        return "\u2463 Nothing is queued: park until the next timer, at " + fmtTime(step.until) +
          (step.jumps ? " (the simulated clock jumps there)." : " (or until another thread wakes a task).");
      case "warning":
        return "\u26a0 " + step.message;
    }
    return "";
  };

  // Fixes the heights of the boxes whose contents change (once per replay,
  // when the widget is first shown).
  Widget.prototype.fixSizes = function () {
    var first = this.taskBody.firstChild;
    this.rowHeight = (first && first.getBoundingClientRect().height) || 22;
    var head = this.taskScroll.querySelector("thead").getBoundingClientRect().height || this.rowHeight;
    this.taskHeight = Math.min(this.rows.size, 9) * this.rowHeight + head + 2;
    this.taskScroll.style.height = this.taskHeight + "px";
    var line = parseFloat(getComputedStyle(this.timerList).lineHeight) || 18;
    this.timerList.style.height = Math.ceil(this.listedTimers / 2) * line + 4 + "px";
  };

  Widget.prototype.render = function () {
    var s = this.state;
    var replay = this.replay;
    if (!this.rowHeight) this.fixSizes();
    var step = replay.steps[s.i];
    this.slider.value = String(s.i);
    this.counter.textContent = "step " + (s.i + 1) + " / " + replay.steps.length;
    this.backButton.disabled = this.firstButton.disabled = s.i === 0;
    this.forwardButton.disabled = this.lastButton.disabled = s.i === replay.steps.length - 1;
    this.clockNode.textContent = "clock " + fmtTime(s.t);
    this.turnNode.textContent = s.turn ? "turn " + s.turn : "before the first turn";
    this.phaseNode.textContent = PHASES[s.phase];
    this.eventNode.textContent = this.describe(step, s);

    // Tasks: only rows that changed are touched.
    var w = this;
    var ats = new Map();
    s.timers.forEach(function (timer) {
      if (timer.task !== null && timer.at) {
        var list = ats.get(timer.task) || [];
        list.push(timer.at);
        ats.set(timer.task, list);
      }
    });
    var touched = new Set([step.task, step.by, step.by_task].concat(step.woke || []));
    this.rows.forEach(function (row, id) {
      var spawnedAt = w.spawnStep.get(id);
      var unborn = spawnedAt !== undefined && spawnedAt > s.i;
      var state = unborn ? "not spawned yet" : taskState(s, id);
      var how = s.ended.get(id);
      var stateText = state === "done" && how && how !== "done" ? "done (" + how + ")" : state;
      var list = ats.get(id) || [];
      var atKey = state === "done" || unborn ? "" : list.map(atText).join(" ");
      var hot = touched.has(id);
      var shown = row.shown;
      if (shown.state !== stateText) {
        row.state.textContent = stateText;
        row.tr.className = "bc-task bc-" + (unborn ? "unborn" : state);
        shown.state = stateText;
      }
      if (shown.at !== atKey) {
        row.at.textContent = "";
        var distinct = [];
        list.forEach(function (at) {
          if (distinct.every(function (d) { return atText(d) !== atText(at); })) distinct.push(at);
        });
        if (atKey) {
          distinct.forEach(function (at, k) {
            if (k) row.at.appendChild(document.createTextNode(", "));
            row.at.appendChild(w.link(at));
          });
          if (list.length > 1) row.at.appendChild(el("span", "bc-note", " (" + list.length + " timers)"));
        }
        shown.at = atKey;
      }
      if (shown.hot !== hot || shown.cls !== row.tr.className) {
        row.tr.classList.toggle("bc-hot", hot);
        shown.hot = hot;
        shown.cls = row.tr.className;
      }
    });
    // The queue.
    this.renderChips(this.queueNode, s.queue.slice(s.head, s.head + QUEUE_SHOWN), s.queue.length - s.head);
    this.renderChips(this.channelNode, s.channel, s.channel.length);

    // The wheel: the count of timers in each slot, the hand of each level.
    this.wheelTimeNode.textContent = "\u2014 its time: " + fmtTime(s.wheel) + "; a bar on top marks each level\u2019s hand";
    var counts = new Map();
    var overflow = 0;
    s.timers.forEach(function (timer) {
      if (timer.place === "overflow") overflow += 1;
      else if (timer.place) {
        var key = timer.place[0] * 64 + timer.place[1];
        counts.set(key, (counts.get(key) || 0) + 1);
      }
    });
    var marks = new Map();
    function mark(place, cls) {
      if (Array.isArray(place)) marks.set(place[0] * 64 + place[1], cls);
    }
    if (step["do"] === "cascade") { mark(step.from, "bc-from"); mark(step.to, "bc-to"); }
    if (step["do"] === "fire") mark(step.from, "bc-fired");
    if (step["do"] === "timer") mark(step.place, "bc-to");
    var ms = Math.floor(s.wheel / 1000);
    var shownCells = this.shownCells;
    for (var level = 0; level < 6; level++) {
      var hand = Math.floor(ms / Math.pow(64, level)) % 64;
      for (var slot = 0; slot < 64; slot++) {
        var key = level * 64 + slot;
        var count = counts.get(key) || 0;
        var mk = marks.get(key) || "";
        var isHand = slot === hand;
        var sig = count + "|" + mk + "|" + isHand;
        if (shownCells.get(key) === sig) continue;
        shownCells.set(key, sig);
        var cell = this.cells[level][slot];
        cell.className = "bc-slot" + (count ? " bc-full" : "") + (mk ? " " + mk : "") + (isHand ? " bc-hand" : "");
        cell.textContent = count ? String(count) : "";
        cell.title = "level " + level + ", slot " + slot + (count ? ": " + count + " timer" + (count > 1 ? "s" : "") : "") + (isHand ? " (the hand)" : "");
      }
    }
    this.overflowNode.textContent = overflow ? "overflow map: " + overflow + " timer" + (overflow > 1 ? "s" : "") : "";

    // The timers, in the wheel's order (level, slot, number).
    var moved = step["do"] === "cascade" || step["do"] === "timer" ? step.timer : null;
    var signature = s.timersVersion + "|" + moved + "|" + s.t;
    if (signature !== this.shownTimers) {
      var timers = [];
      s.timers.forEach(function (timer, number) { timers.push([number, timer]); });
      var rank = function (p) { return p === "overflow" || !p ? 1e9 : p[0] * 64 + p[1]; };
      timers.sort(function (a, b) { return rank(a[1].place) - rank(b[1].place) || a[0] - b[0]; });
      this.shownTimers = signature;
      this.timerList.textContent = "";
      // The timer this step took out of the wheel, greyed.
      if (step["do"] === "fire" || step["do"] === "cancel") {
        var info = this.timerInfo.get(step.timer);
        var gone = el("li", "bc-timer-gone");
        gone.appendChild(el("span", "bc-timer-name", "#" + step.timer + " " + (info && info.task !== null ? w.name(info.task) : "?")));
        gone.appendChild(document.createTextNode(step["do"] === "fire"
          ? " fired, from " + placeText(step.from) : " cancelled"));
        this.timerList.appendChild(gone);
      }
      timers.slice(0, TIMERS_LISTED).forEach(function (entry) {
        var number = entry[0], timer = entry[1];
        var li = el("li", number === moved ? "bc-timer bc-hot" : "bc-timer");
        li.setAttribute("data-timer", String(number));
        li.setAttribute("data-place", Array.isArray(timer.place) ? timer.place.join(",") : String(timer.place));
        li.appendChild(el("span", "bc-timer-name", "#" + number + " " + (timer.task !== null ? w.name(timer.task) : "?")));
        li.appendChild(document.createTextNode(" due " + fmtTime(timer.deadline) + ", " + placeText(timer.place)));
        if (timer.deadline < s.t) {
          // Due, but not fired yet: the timer step has not run since.
          li.appendChild(el("span", "bc-overdue", " overdue"));
        }
        w.timerList.appendChild(li);
      });
      if (timers.length > TIMERS_LISTED) {
        this.timerList.appendChild(el("li", "bc-note", "\u2026 and " + (timers.length - TIMERS_LISTED) + " more"));
      }
      if (!timers.length) {
        var tookOne = step["do"] === "fire" || step["do"] === "cancel";
        this.timerList.appendChild(el("li", "bc-note", tookOne ? "no other timer in the wheel" : "no timer in the wheel"));
      }
    }
    this.scrollToRunning(s);
  };

  // Keeps the running task's row in view (rows have one height, so no
  // layout is read).
  Widget.prototype.scrollToRunning = function (s) {
    if (s.running === null || s.running === this.scrolledTo) return;
    this.scrolledTo = s.running;
    var row = this.rows.get(s.running);
    if (!row) return;
    var top = row.index * this.rowHeight;
    var box = this.taskScroll;
    if (top < box.scrollTop || top + 2 * this.rowHeight > box.scrollTop + this.taskHeight) {
      box.scrollTop = Math.max(0, top - 2 * this.rowHeight);
    }
  };

  Widget.prototype.renderChips = function (list, ids, total) {
    var w = this;
    var key = ids.join(",") + "|" + total;
    if (list.getAttribute("data-shown") === key) return;
    list.setAttribute("data-shown", key);
    list.textContent = "";
    ids.forEach(function (id) {
      var chip = el("li", "bc-chip", w.name(id));
      chip.setAttribute("data-task", String(id));
      list.appendChild(chip);
    });
    if (total > ids.length) list.appendChild(el("li", "bc-note", "\u2026 +" + (total - ids.length)));
    if (!total) list.appendChild(el("li", "bc-note", "empty"));
  };

  // ----- start ---------------------------------------------------------------

  var widgets = [];
  function start() {
    var roots = document.querySelectorAll(".bc-replay");
    for (var i = 0; i < roots.length; i++) {
      try {
        widgets.push(new Widget(roots[i]));
      } catch (e) {
        roots[i].textContent = "The replay widget failed: " + e.message;
        roots[i].className += " bc-broken";
      }
    }
  }
  // For tests and the curious: the widgets of this page.
  window.busyChefReplay = { widgets: widgets, parse: parseReplay, version: VERSION };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
