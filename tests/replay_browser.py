"""Drives the book's replay widget in headless Chromium, for tests/replay_browser.rs.

Standard library only: chromedriver's WebDriver HTTP API through urllib.

    python3 tests/replay_browser.py CONFIG.json

CONFIG names the built book, the browser, the replays and where to write.
The script prints one JSON object: what it checked, the step times, the
screenshot's path, and the problems found ("problems": [] when all is well).

The expected state at each step comes from `oracle_states`, a plain reading
of the replay's documented rules (executor/diagnostics/render/replay.rs, the
book's chapter "Watching it run"). It shares no code with the widget.
"""

import base64
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request


# --------------------------------------------------------------------------
# The oracle: the state after each step, by the format's rules.
# --------------------------------------------------------------------------

def oracle_states(replay):
    """Yields (step, state) for every step; state is a plain dict."""
    queue = []          # local run queue, front first
    ended = {}          # task -> how
    running = None
    turn = 0
    timers = {}         # timer -> {"task", "place", "at"}
    spawned_at = {}
    for i, step in enumerate(replay["steps"]):
        if step["do"] == "spawn":
            spawned_at.setdefault(step["task"], i)
    for i, step in enumerate(replay["steps"]):
        kind = step["do"]
        if kind == "turn":
            turn = step["turn"]
        elif kind == "spawn":
            if step["door"] is not None:
                queue.append(step["task"])
        elif kind == "wake":
            if step["door"] is not None:
                queue.append(step["task"])
        elif kind == "run":
            front = queue.pop(0) if queue else None
            if step["task"] is not None and front != step["task"]:
                raise AssertionError(
                    "step %d: the executor ran %s, but the front of the queue is %s"
                    % (i + 1, step["task"], front))
            running = step["task"]
        elif kind == "timer":
            timers[step["timer"]] = {"task": step["task"], "place": step["place"],
                                     "at": step.get("at")}
        elif kind in ("poll", "end"):
            how = step.get("ended") if kind == "poll" else step["how"]
            if how is not None:
                ended[step["task"]] = how
            if running == step["task"]:
                running = None
        elif kind == "cancel":
            timers.pop(step["timer"], None)
        elif kind == "cascade":
            if step["timer"] in timers:
                if timers[step["timer"]]["place"] != step["from"]:
                    raise AssertionError("step %d: timer %d cascades from %s, but it is at %s"
                                         % (i + 1, step["timer"], step["from"],
                                            timers[step["timer"]]["place"]))
                timers[step["timer"]]["place"] = step["to"]
        elif kind == "fire":
            timers.pop(step["timer"], None)
            queue.extend(step["woke"])
        states = {}
        for task in task_ids(replay):
            if task in spawned_at and spawned_at[task] > i:
                states[task] = "not spawned yet"
            elif task in ended:
                states[task] = "done" if ended[task] == "done" else "done (%s)" % ended[task]
            elif task == running:
                states[task] = "running"
            elif task in queue:
                states[task] = "queued"
            else:
                states[task] = "waiting"
        yield step, {
            "t": step["t"],
            "turn": turn,
            "queue": list(queue),
            "states": states,
            "timers": {number: list(t["place"]) if isinstance(t["place"], list) else t["place"]
                       for number, t in timers.items()},
        }


def task_ids(replay):
    ids = [task["id"] for task in replay.get("tasks", [])]
    return ids


# --------------------------------------------------------------------------
# WebDriver, by hand
# --------------------------------------------------------------------------

class WebDriver:
    def __init__(self, chromedriver, chromium, profile):
        self.port = free_port()
        self.log = open(os.path.join(profile, "chromedriver.log"), "w")
        self.process = subprocess.Popen(
            [chromedriver, "--port=%d" % self.port],
            stdout=self.log, stderr=subprocess.STDOUT)
        self.base = "http://127.0.0.1:%d" % self.port
        deadline = time.time() + 15
        while True:
            try:
                if self.request("GET", "/status")["ready"]:
                    break
            except (urllib.error.URLError, ConnectionError, OSError):
                pass
            if time.time() > deadline:
                raise RuntimeError("chromedriver did not start (log: %s)" % self.log.name)
            time.sleep(0.05)
        args = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage", "--window-size=1280,1600",
                "--user-data-dir=" + os.path.join(profile, "chromium")]
        caps = {"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {"binary": chromium, "args": args},
        }}}
        self.session = self.request("POST", "/session", caps)["sessionId"]

    def request(self, method, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.base + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=60) as response:
                return json.loads(response.read().decode())["value"]
        except urllib.error.HTTPError as e:
            detail = e.read().decode(errors="replace")
            raise RuntimeError("WebDriver %s %s failed: %s" % (method, path, detail[:2000]))

    def cmd(self, method, path, body=None):
        return self.request(method, "/session/%s%s" % (self.session, path), body)

    def go(self, url):
        self.cmd("POST", "/url", {"url": url})

    def js(self, script, *args):
        return self.cmd("POST", "/execute/sync", {"script": script, "args": list(args)})

    def find(self, css):
        found = self.cmd("POST", "/element", {"using": "css selector", "value": css})
        return list(found.values())[0]

    def send_file(self, element, path):
        self.cmd("POST", "/element/%s/value" % element, {"text": path})

    def keys(self, *keys):
        actions = []
        for key in keys:
            actions += [{"type": "keyDown", "value": key}, {"type": "keyUp", "value": key}]
        self.cmd("POST", "/actions", {"actions": [
            {"type": "key", "id": "keyboard", "actions": actions}]})

    def screenshot(self, element, path):
        png = self.cmd("GET", "/element/%s/screenshot" % element)
        with open(path, "wb") as out:
            out.write(base64.b64decode(png))

    def quit(self):
        try:
            self.request("DELETE", "/session/%s" % self.session)
        except Exception:
            pass
        self.process.terminate()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


RIGHT, LEFT, HOME, END = "\ue014", "\ue012", "\ue011", "\ue010"

# What the widget shows, read from the page's text (textContent).
READ = r"""
const root = document.querySelectorAll('.bc-replay')[arguments[0]];
const text = (css) => { const n = root.querySelector(css); return n ? n.textContent : null; };
return {
  counter: text('.bc-counter'),
  clock: text('.bc-clock'),
  turn: text('.bc-turn'),
  phase: text('.bc-phase'),
  event: text('.bc-event'),
  message: root.querySelector('.bc-message').hidden ? '' : text('.bc-message'),
  bodyShown: !root.querySelector('.bc-body').hidden,
  rows: [...root.querySelectorAll('tr.bc-task')].map(tr => ({
      task: Number(tr.dataset.task),
      name: tr.querySelector('.bc-name').textContent,
      state: tr.querySelector('.bc-state').textContent,
      at: tr.querySelector('.bc-at').textContent})),
  queue: [...root.querySelectorAll('.bc-local .bc-chip')].map(li => li.textContent),
  channel: [...root.querySelectorAll('.bc-channel .bc-chip')].map(li => li.textContent),
  timers: [...root.querySelectorAll('.bc-timer')].map(li => [Number(li.dataset.timer), li.dataset.place]),
  cells: [...root.querySelectorAll('.bc-slot.bc-full')].map(c => [Number(c.dataset.level), Number(c.dataset.slot), Number(c.textContent)]),
  focused: document.activeElement === root,
};
"""


def clock_us(text):
    # "clock 1.000 s" or "clock 0.185453 s"
    return round(float(text.split()[1]) * 1e6)


def compare(page, expected, names, where, problems):
    """Adds to `problems` each way the page differs from the oracle."""
    if clock_us(page["clock"]) != expected["t"]:
        problems.append("%s: the page's clock says %r, the trace says %d µs"
                        % (where, page["clock"], expected["t"]))
    turn = "turn %d" % expected["turn"] if expected["turn"] else "before the first turn"
    if page["turn"] != turn:
        problems.append("%s: the page says %r, the trace %r" % (where, page["turn"], turn))
    queue = [names[t] for t in expected["queue"]][:40]
    if page["queue"] != queue:
        problems.append("%s: the page's queue is %s, the trace's %s" % (where, page["queue"], queue))
    states = {row["task"]: row["state"] for row in page["rows"]}
    for task, state in expected["states"].items():
        if states.get(task) != state:
            problems.append("%s: %s (task-%d) is %r on the page, %r by the trace"
                            % (where, names[task], task, states.get(task), state))
    # The widget lists the first 24 timers in the wheel's order: by level
    # and slot (the overflow last), then by number.
    def rank(item):
        number, place = item
        return (place[0] * 64 + place[1] if isinstance(place, list) else 10**9, number)
    listed = sorted(expected["timers"].items(), key=rank)[:24]
    listed = [[number, ",".join(map(str, place)) if isinstance(place, list) else ("null" if place is None else place)]
              for number, place in listed]
    if page["timers"] != listed:
        problems.append("%s: the page lists the timers %s, the trace %s" % (where, page["timers"], listed))
    cells = {}
    for place in expected["timers"].values():
        if isinstance(place, list):
            cells[tuple(place)] = cells.get(tuple(place), 0) + 1
    page_cells = {(level, slot): count for level, slot, count in page["cells"]}
    if page_cells != cells:
        problems.append("%s: the page's wheel slots are %s, the trace's %s" % (where, page_cells, cells))


# --------------------------------------------------------------------------
# The checks
# --------------------------------------------------------------------------

def widget_index(driver, replay_id):
    return driver.js("return [...document.querySelectorAll('.bc-replay')]"
                     ".findIndex(r => r.dataset.replay === arguments[0]);", replay_id)


def focus(driver, index):
    driver.js("const r = document.querySelectorAll('.bc-replay')[arguments[0]];"
              "r.scrollIntoView(); r.focus();", index)


def step_through(driver, config, page, replay_id, replay_file, problems, report):
    """Every step of a replay, forward with the arrow key, against the oracle."""
    driver.go(page)
    index = widget_index(driver, replay_id)
    if index < 0:
        problems.append("%s: no widget shows %s" % (page, replay_id))
        return None
    with open(replay_file) as f:
        replay = json.load(f)
    names = {task["id"]: task["name"] for task in replay["tasks"]}
    expected = [state for _, state in oracle_states(replay)]
    focus(driver, index)
    shown = driver.js(READ, index)
    if not shown["bodyShown"] or shown["message"]:
        problems.append("%s: the widget is not showing its replay (%r)" % (replay_id, shown["message"]))
        return None
    count = len(replay["steps"])
    for i in range(count):
        where = "%s step %d/%d" % (replay_id, i + 1, count)
        if shown["counter"] != "step %d / %d" % (i + 1, count):
            problems.append("%s: the counter says %r" % (where, shown["counter"]))
        compare(shown, expected[i], names, where, problems)
        if not shown["event"]:
            problems.append("%s: no words for the step" % where)
        if i + 1 < count:
            driver.keys(RIGHT)
            shown = driver.js(READ, index)
        if len(problems) > 20:
            return index
    if not shown["focused"]:
        problems.append("%s: the widget lost the keyboard focus while stepping" % replay_id)
    # Back with the arrow, to the start and the end, and by the slider.
    for back in range(1, 4):
        driver.keys(LEFT)
        shown = driver.js(READ, index)
        compare(shown, expected[count - 1 - back], names, "%s after %d × ←" % (replay_id, back), problems)
    driver.keys(HOME)
    compare(driver.js(READ, index), expected[0], names, replay_id + " after Home", problems)
    driver.keys(END)
    compare(driver.js(READ, index), expected[-1], names, replay_id + " after End", problems)
    middle = count // 2
    driver.js("const s = document.querySelectorAll('.bc-replay')[arguments[0]].querySelector('.bc-slider');"
              "s.value = String(arguments[1]); s.dispatchEvent(new Event('input'));", index, middle)
    compare(driver.js(READ, index), expected[middle], names, replay_id + " by the slider", problems)
    report["stepped"].append({"replay": replay_id, "steps": count})
    return index


def load_file(driver, index, path):
    """Picks `path` in the widget's file picker, as a reader would."""
    element = driver.js("return document.querySelectorAll('.bc-replay')[arguments[0]]"
                        ".querySelector('input[type=file]');", index)
    driver.send_file(list(element.values())[0], path)


def wait_for(driver, script, *args, timeout=20):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = driver.js(script, *args)
        if value:
            return value
        time.sleep(0.05)
    return None


def bad_input(driver, config, problems, report):
    """Malformed and wrong-version files give a clear message, never a blank widget."""
    driver.go(config["own_page"])
    index = driver.js("return [...document.querySelectorAll('.bc-replay')]"
                      ".findIndex(r => !r.dataset.replay);")
    if index < 0:
        problems.append("the replay chapter has no empty widget for the reader's own file")
        return
    first = driver.js(READ, index)
    if "No replay loaded yet" not in (first["message"] or ""):
        problems.append("an empty widget should say how to get a replay; it says %r" % first["message"])
    for path, needles in config["bad_files"]:
        before = driver.js("return document.querySelectorAll('.bc-replay')[arguments[0]]"
                           ".querySelector('.bc-message').textContent;", index)
        load_file(driver, index, path)
        message = wait_for(driver, "const m = document.querySelectorAll('.bc-replay')[arguments[0]]"
                           ".querySelector('.bc-message');"
                           "return !m.hidden && m.textContent !== arguments[1] ? m.textContent : null;",
                           index, before)
        name = os.path.basename(path)
        report["messages"][name] = message
        if not message:
            problems.append("%s: no message in the page" % name)
            continue
        for needle in needles:
            if needle not in message:
                problems.append("%s: the message %r does not say %r" % (name, message, needle))
        shown = driver.js(READ, index)
        visible = driver.js("const r = document.querySelectorAll('.bc-replay')[arguments[0]];"
                            "return r.getBoundingClientRect().height;", index)
        if visible < 40:
            problems.append("%s: the widget is blank (%s px high)" % (name, visible))


STEP_TIMES = r"""
const w = window.busyChefReplay.widgets[arguments[0]];
const root = w.root;
const times = {forward: [], back: [], jump: []};
const n = w.replay.steps.length;
function timed(list, action) {
  const start = performance.now();
  action();
  root.getBoundingClientRect(); void root.offsetHeight; // style and layout, now
  list.push(performance.now() - start);
}
w.show(Math.floor(n / 3));
for (let k = 0; k < 400; k++) timed(times.forward, () => w.step(1));
for (let k = 0; k < 400; k++) timed(times.back, () => w.step(-1));
let x = 12345;
for (let k = 0; k < 200; k++) {
  x = (x * 1103515245 + 12345) % 2147483648;
  timed(times.jump, () => w.show(x % n));
}
return {steps: n, times: times};
"""


def stats(values):
    values = sorted(values)
    return {"mean": sum(values) / len(values),
            "p50": values[len(values) // 2],
            "p95": values[int(len(values) * 0.95)],
            "max": values[-1]}


def big_trace(driver, config, problems, report):
    driver.go(config["own_page"])
    index = driver.js("return [...document.querySelectorAll('.bc-replay')]"
                      ".findIndex(r => !r.dataset.replay);")
    started = time.time()
    load_file(driver, index, config["big"])
    loaded = wait_for(driver, "const m = document.querySelectorAll('.bc-replay')[arguments[0]]"
                      ".querySelector('.bc-message'); return m.textContent.startsWith('Loaded') ? m.textContent"
                      " : (m.textContent.startsWith('Could not') ? m.textContent : null);", index, timeout=60)
    report["big_load_seconds"] = round(time.time() - started, 2)
    if not loaded or not loaded.startswith("Loaded"):
        problems.append("the big replay did not load: %r" % loaded)
        return
    report["big_message"] = loaded
    measured = driver.js(STEP_TIMES, index)
    report["big_steps"] = measured["steps"]
    report["step_ms"] = {kind: stats(values) for kind, values in measured["times"].items()}
    # And the page still tells the truth there, at a few steps.
    with open(config["big"]) as f:
        replay = json.load(f)
    names = {task["id"]: task["name"] for task in replay["tasks"]}
    n = len(replay["steps"])
    targets = {n // 2, n - 1, 77_777 % n}
    for i, (_, state) in enumerate(oracle_states(replay)):
        if i in targets:
            driver.js("window.busyChefReplay.widgets[arguments[0]].show(arguments[1]);", index, i)
            compare(driver.js(READ, index), state, names, "big replay step %d" % (i + 1), problems)


def screenshot(driver, config, index, problems, report):
    # In the middle of the window: clear of mdBook's bar at the top.
    driver.js("window.busyChefReplay.widgets[arguments[0]].show(arguments[1]);"
              "document.querySelectorAll('.bc-replay')[arguments[0]].scrollIntoView({block: 'center'});",
              index, config["screenshot_step"] - 1)
    root = driver.js("return document.querySelectorAll('.bc-replay')[arguments[0]];", index)
    path = config["screenshot"]
    driver.screenshot(list(root.values())[0], path)
    report["screenshot"] = path


def main():
    with open(sys.argv[1]) as f:
        config = json.load(f)
    problems = []
    report = {"stepped": [], "messages": {}, "problems": problems}
    profile = tempfile.mkdtemp(prefix="busy-chef-chromium-")
    driver = None
    try:
        driver = WebDriver(config["chromedriver"], config["chromium"], profile)
        report["browser"] = driver.js("return navigator.userAgent;")
        shot_index = None
        for page, replay_id, replay_file in config["replays"]:
            index = step_through(driver, config, page, replay_id, replay_file, problems, report)
            if replay_id == config["screenshot_replay"] and index is not None:
                screenshot(driver, config, index, problems, report)
                shot_index = index
        if shot_index is None:
            problems.append("no screenshot: %s was not shown" % config["screenshot_replay"])
        bad_input(driver, config, problems, report)
        big_trace(driver, config, problems, report)
    except Exception as e:  # reported, not raised: the Rust test prints it
        problems.append("the browser test broke: %s: %s" % (type(e).__name__, e))
    finally:
        if driver:
            driver.quit()
        shutil.rmtree(profile, ignore_errors=True)
    print(json.dumps(report))


if __name__ == "__main__":
    main()
