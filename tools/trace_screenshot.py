#!/usr/bin/env python3
"""Screenshot of an arsim trace (`arsim run --trace`) in Chrome's trace viewer, offline.

ui.perfetto.dev cannot be reached from the machines arsim is built on, so the docs' trace
pictures come from the trace viewer that chrome://tracing shows (Catapult's), which reads the same
JSON trace-event format. Catapult's `tracing/bin/trace2html` turns a trace into one HTML page with
the viewer inside; this script runs it, opens the page in Debian's headless chromium and saves a
PNG. The viewer imports a trace over many animation frames, which `chromium --screenshot` never
gives it, so the page is driven through the DevTools protocol over a pipe (no network, no extra
Python package).

    git clone https://github.com/catapult-project/catapult /tmp/catapult   # nothing of it is kept here
    arsim run Workloads/scenarios/ar-campus.json --set bin_s=0.02 --trace campus.json \\
        --trace-window 10:10.4 --trace-clients 2 --db /tmp/t.db
    tools/trace_screenshot.py campus.json docs/img/trace.png --catapult /tmp/catapult

`--processes GPUs,clients` keeps only those processes (tracks grouped by the trace's
process_name) for a picture of them alone.
"""
import argparse
import base64
import json
import os
import subprocess
import sys
import tempfile
import time


def devtools(url, out, width, height, settle):
    """Loads `url` in headless chromium, waits `settle` seconds, hides the viewer's empty
    selection pane and writes a PNG to `out`."""
    to_chrome_r, to_chrome_w = os.pipe()
    from_chrome_r, from_chrome_w = os.pipe()

    def child_fds():
        # --remote-debugging-pipe reads commands on fd 3 and answers on fd 4.
        a, b = os.dup(to_chrome_r), os.dup(from_chrome_w)
        os.dup2(a, 3)
        os.dup2(b, 4)

    browser = subprocess.Popen(
        ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
         "--remote-debugging-pipe", f"--window-size={width},{height}", "about:blank"],
        preexec_fn=child_fds, close_fds=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(to_chrome_r)
    os.close(from_chrome_w)
    pending = b""
    next_id = 0

    def call(method, params=None, session=None):
        nonlocal pending, next_id
        next_id += 1
        message = {"id": next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(to_chrome_w, json.dumps(message).encode() + b"\0")
        while True:
            while b"\0" in pending:
                raw, pending = pending.split(b"\0", 1)
                reply = json.loads(raw)
                if reply.get("id") == next_id:
                    if "error" in reply:
                        sys.exit(f"trace_screenshot: chromium: {method}: {reply['error']}")
                    return reply["result"]
            chunk = os.read(from_chrome_r, 1 << 20)
            if not chunk:
                sys.exit("trace_screenshot: chromium closed its pipe")
            pending += chunk

    try:
        page = next(t for t in call("Target.getTargets")["targetInfos"] if t["type"] == "page")
        s = call("Target.attachToTarget", {"targetId": page["targetId"], "flatten": True})["sessionId"]
        call("Page.enable", session=s)
        call("Emulation.setDeviceMetricsOverride",
             {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False}, session=s)
        call("Page.navigate", {"url": url}, session=s)
        time.sleep(settle)
        hidden = call("Runtime.evaluate", {"returnByValue": True, "expression": """(() => {
            const v = document.querySelector('tr-ui-timeline-view');
            if (!v || !v.$) return 'no viewer';
            v.$.analysis.style.display = 'none';
            v.$.drag_handle.style.display = 'none';
            return 'ok'; })()"""}, session=s)["result"].get("value")
        if hidden != "ok":
            sys.exit(f"trace_screenshot: the page has no trace viewer ({hidden})")
        time.sleep(1)
        png = call("Page.captureScreenshot", {"format": "png"}, session=s)["data"]
        with open(out, "wb") as f:
            f.write(base64.b64decode(png))
        call("Browser.close")
    finally:
        try:
            browser.wait(timeout=20)
        except subprocess.TimeoutExpired:
            browser.kill()


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("trace", help="a trace written by arsim run --trace (JSON, not .gz)")
    p.add_argument("out", help="the PNG to write")
    p.add_argument("--catapult", required=True, help="a checkout of github.com/catapult-project/catapult")
    p.add_argument("--processes", help="comma-separated process names to keep (default: all)")
    p.add_argument("--width", type=int, default=1400)
    p.add_argument("--height", type=int, default=1200)
    p.add_argument("--settle", type=float, default=8, help="seconds to let the viewer import the trace")
    a = p.parse_args()
    trace2html = os.path.join(a.catapult, "tracing", "bin", "trace2html")
    if not os.path.exists(trace2html):
        sys.exit(f"trace_screenshot: {trace2html} not found: --catapult should be a catapult checkout")
    with tempfile.TemporaryDirectory() as tmp:
        trace = a.trace
        if a.processes:
            keep = set(a.processes.split(","))
            with open(a.trace) as f:
                events = json.load(f)
            names = {e["pid"]: e["args"]["name"] for e in events if e.get("ph") == "M" and e.get("name") == "process_name"}
            unknown = keep - set(names.values())
            if unknown:
                sys.exit(f"trace_screenshot: --processes: no process {sorted(unknown)}; the trace has {sorted(names.values())}")
            trace = os.path.join(tmp, os.path.basename(a.trace))
            with open(trace, "w") as f:
                json.dump([e for e in events if names.get(e.get("pid")) in keep], f)
        page = os.path.join(tmp, "trace.html")
        subprocess.run([sys.executable, trace2html, trace, "--output", page], check=True, stdout=subprocess.DEVNULL)
        devtools("file://" + page, a.out, a.width, a.height, a.settle)


if __name__ == "__main__":
    main()
