#!/usr/bin/env python3
"""rlb-browse.py: load a page in headless Chromium and report on it (Chrome DevTools Protocol).

usage: rlb-browse.py --url URL [--wait JS_EXPR] [--eval JS_EXPR] [--screenshot FILE.png]
                     [--full-page] [--timeout SECONDS] [--width 1280 --height 900]

Starts /usr/bin/chromium (or $CHROMIUM) headless with a temporary profile, opens URL
in a WIDTHxHEIGHT viewport, polls --wait (a JS expression) until it is truthy, then
prints the JSON value of --eval on stdout (and nothing else), and saves a PNG
screenshot if asked. Console errors (console.error) and uncaught exceptions of the
page are printed on stderr.

Exit status: 0 success; 1 the page did not load, --wait timed out, --eval threw, or
the page threw uncaught exceptions / logged console errors; 2 usage or browser start
errors (or the DevTools connection broke); 128+N when stopped by signal N (SIGTERM,
SIGHUP, SIGINT). Chromium and its temporary directory are always removed.

Needs python3 and the Debian packages chromium and python3-websocket.
"""

import argparse
import base64
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

try:
    import websocket
except ImportError:  # a python3 other than Debian's (pyenv, venv): use Debian's copy
    sys.path.append("/usr/lib/python3/dist-packages")
    try:
        import websocket
    except ImportError:
        websocket = None

PROG = "rlb-browse"


class Stop(BaseException):
    """Raised by the signal handler so that the finally blocks run (not an Exception: nothing
    on the way catches it)."""

    def __init__(self, signum):
        BaseException.__init__(self, signum)
        self.signum = signum


class BrowserError(Exception):
    """Chromium did not start or the DevTools connection broke: exit 2."""


def log(msg):
    print("%s: %s" % (PROG, msg), file=sys.stderr, flush=True)


class Browser:
    def __init__(self, exe, width, height):
        self.exe = exe
        self.width = width
        self.height = height
        self.dir = None
        self.proc = None
        self.ws = None
        self.session = None
        self.next_id = 0
        self.problems = []  # console errors and uncaught exceptions, in order

    # -- process -----------------------------------------------------------
    def start(self, timeout):
        self.dir = tempfile.mkdtemp(prefix="rlb-browse.")
        profile = os.path.join(self.dir, "profile")
        os.mkdir(profile)
        args = [
            self.exe, "--headless=new", "--no-sandbox", "--disable-gpu",
            "--disable-dev-shm-usage", "--no-first-run", "--no-default-browser-check",
            "--disable-extensions", "--disable-background-networking", "--disable-sync",
            "--disable-component-update", "--disable-breakpad", "--disable-crash-reporter",
            "--mute-audio", "--hide-scrollbars",
            "--remote-debugging-port=0", "--user-data-dir=" + profile,
            "--window-size=%d,%d" % (self.width, self.height), "about:blank",
        ]
        logf = open(os.path.join(self.dir, "chromium.log"), "wb")
        try:
            self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=logf,
                                         stderr=subprocess.STDOUT, start_new_session=True)
        except OSError as e:
            raise BrowserError("cannot start %s: %s" % (self.exe, e.strerror))
        finally:
            logf.close()
        portfile = os.path.join(profile, "DevToolsActivePort")
        end = time.monotonic() + timeout
        lines = []
        while time.monotonic() < end:
            if self.proc.poll() is not None:
                raise BrowserError("%s exited with status %d:\n%s"
                                   % (self.exe, self.proc.returncode, self.log_tail()))
            try:
                with open(portfile) as f:
                    lines = f.read().split("\n")
                if len(lines) >= 2 and lines[0].strip().isdigit() and lines[1].strip():
                    break
            except OSError:
                pass
            time.sleep(0.05)
        else:
            raise BrowserError("no %s after %g s:\n%s" % (portfile, timeout, self.log_tail()))
        url = "ws://127.0.0.1:%s%s" % (lines[0].strip(), lines[1].strip())
        try:
            self.ws = websocket.create_connection(url, timeout=timeout, suppress_origin=True)
        except Exception as e:
            raise BrowserError("cannot connect to %s: %s" % (url, e))

    def log_tail(self):
        try:
            with open(os.path.join(self.dir, "chromium.log"), "rb") as f:
                return f.read()[-2000:].decode("utf-8", "replace")
        except OSError:
            return ""

    def close(self):
        if self.ws is not None:
            try:
                self.ws.close(timeout=0.5)
            except Exception:
                pass
            self.ws = None
        if self.proc is not None:
            if self.proc.poll() is None:
                for sig, wait in ((signal.SIGTERM, 3), (signal.SIGKILL, 5)):
                    try:
                        os.killpg(self.proc.pid, sig)  # its own session: Chromium and its helpers
                    except ProcessLookupError:
                        break
                    try:
                        self.proc.wait(wait)
                        break
                    except subprocess.TimeoutExpired:
                        pass
            else:  # Chromium gone: make sure its helpers are too
                try:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
            self.proc = None
        if self.dir is not None:
            for _ in range(3):
                shutil.rmtree(self.dir, ignore_errors=True)
                if not os.path.exists(self.dir):
                    break
                time.sleep(0.2)
            self.dir = None

    # -- DevTools protocol ---------------------------------------------------
    def event(self, msg):
        method, p = msg.get("method"), msg.get("params", {})
        if method == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
            parts = []
            for a in p.get("args", []):
                if "value" in a:
                    v = a["value"]
                    parts.append(v if isinstance(v, str) else json.dumps(v))
                else:
                    parts.append(a.get("description") or a.get("type", "?"))
            where = ""
            frames = (p.get("stackTrace") or {}).get("callFrames") or []
            if frames:
                where = " (%s:%d)" % (frames[0].get("url", ""), frames[0].get("lineNumber", 0) + 1)
            self.problems.append("console.%s: %s%s" % (p.get("type"), " ".join(parts), where))
        elif method == "Runtime.exceptionThrown":
            d = p.get("exceptionDetails", {})
            text = (d.get("exception") or {}).get("description") or d.get("text", "exception")
            self.problems.append("uncaught: %s (%s:%d:%d)" % (text, d.get("url", ""),
                                                               d.get("lineNumber", 0) + 1,
                                                               d.get("columnNumber", 0) + 1))
        elif method == "Inspector.detached" or method == "Target.detachedFromTarget":
            raise BrowserError("the page went away (%s)" % method)

    def recv(self, timeout):
        self.ws.settimeout(max(timeout, 0.001))
        try:
            raw = self.ws.recv()
        except websocket.WebSocketTimeoutException:
            return None
        except Exception as e:
            raise BrowserError("DevTools connection: %s" % e)
        msg = json.loads(raw)
        if "id" not in msg:
            self.event(msg)
        return msg

    def call(self, method, params=None, timeout=30, page=True):
        self.next_id += 1
        mid = self.next_id
        msg = {"id": mid, "method": method, "params": params or {}}
        if page and self.session:
            msg["sessionId"] = self.session
        try:
            self.ws.send(json.dumps(msg))
        except Exception as e:
            raise BrowserError("DevTools connection: %s" % e)
        end = time.monotonic() + timeout
        while True:
            left = end - time.monotonic()
            if left <= 0:
                raise BrowserError("%s: no answer within %g s" % (method, timeout))
            m = self.recv(left)
            if m is not None and m.get("id") == mid:
                if "error" in m:
                    raise BrowserError("%s: %s" % (method, m["error"].get("message", m["error"])))
                return m.get("result", {})

    def drain(self, seconds):
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            self.recv(end - time.monotonic())

    def open_page(self):
        t = self.call("Target.createTarget", {"url": "about:blank"}, page=False)
        a = self.call("Target.attachToTarget", {"targetId": t["targetId"], "flatten": True}, page=False)
        self.session = a["sessionId"]
        self.call("Runtime.enable")
        self.call("Page.enable")
        self.viewport(self.width, self.height)

    def viewport(self, width, height):
        self.call("Emulation.setDeviceMetricsOverride",
                  {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600})

    def evaluate(self, expr, timeout=10):
        """(ok, value or error text)"""
        r = self.call("Runtime.evaluate", {"expression": expr, "returnByValue": True,
                                           "awaitPromise": True, "timeout": int(timeout * 1000)},
                      timeout=timeout + 5)
        if "exceptionDetails" in r:
            d = r["exceptionDetails"]
            return False, (d.get("exception") or {}).get("description") or d.get("text", "exception")
        return True, r.get("result", {}).get("value")


def main():
    ap = argparse.ArgumentParser(prog="rlb-browse.py",
                                 description="Load a page in headless Chromium and report on it.")
    ap.add_argument("--url", required=True)
    ap.add_argument("--wait", metavar="JS_EXPR", help="wait until this JS expression is truthy")
    ap.add_argument("--eval", metavar="JS_EXPR", help="print the JSON value of this JS expression")
    ap.add_argument("--screenshot", metavar="FILE.png")
    ap.add_argument("--full-page", action="store_true", help="screenshot the whole page, not the viewport")
    ap.add_argument("--timeout", type=float, default=30.0, metavar="SECONDS")
    ap.add_argument("--width", type=int, default=1280)
    ap.add_argument("--height", type=int, default=900)
    o = ap.parse_args()
    if o.timeout <= 0 or not 100 <= o.width <= 10000 or not 100 <= o.height <= 10000:
        ap.error("--timeout must be > 0, --width and --height within 100..10000")
    if websocket is None:
        log("no websocket module: apt-get install python3-websocket")
        return 2
    exe = os.environ.get("CHROMIUM") or "/usr/bin/chromium"

    def on_signal(signum, frame):
        raise Stop(signum)

    for s in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
        signal.signal(s, on_signal)

    b = Browser(exe, o.width, o.height)
    start = time.monotonic()
    deadline = start + o.timeout
    status = 0
    try:
        try:
            b.start(min(o.timeout, 30) if o.timeout > 10 else 10)
            b.open_page()
        except BrowserError as e:
            log(str(e))
            return 2

        try:
            nav = b.call("Page.navigate", {"url": o.url})
            if nav.get("errorText"):
                log("%s: %s" % (o.url, nav["errorText"]))
                return 1
            # The load event, then --wait.
            ready = "document.readyState === 'complete'"
            cond = ready if not o.wait else "(%s) && !!(%s)" % (ready, o.wait)
            last_err = None
            while True:
                ok, v = b.evaluate(cond, timeout=max(1, deadline - time.monotonic()))
                if ok and v:
                    break
                last_err = None if ok else v
                if time.monotonic() >= deadline:
                    log("timed out after %g s waiting for %s%s"
                        % (o.timeout, o.wait or "the page to load",
                           " (last error: %s)" % last_err if last_err else ""))
                    status = 1
                    break
                b.drain(min(0.1, max(0, deadline - time.monotonic())))

            if o.eval is not None:
                ok, v = b.evaluate(o.eval, timeout=max(5, deadline - time.monotonic()))
                if ok:
                    sys.stdout.write(json.dumps(v, ensure_ascii=False) + "\n")
                    sys.stdout.flush()
                else:
                    log("--eval threw: %s" % v)
                    status = 1

            if o.screenshot:
                params = {"format": "png"}
                if o.full_page:
                    m = b.call("Page.getLayoutMetrics")
                    size = m.get("cssContentSize") or m.get("contentSize") or {}
                    h = int(min(max(o.height, size.get("height", o.height)), 10000))
                    b.viewport(o.width, h)
                    b.drain(0.3)  # let the page re-layout (and its charts redraw)
                shot = b.call("Page.captureScreenshot", params)
                with open(o.screenshot, "wb") as f:
                    f.write(base64.b64decode(shot["data"]))

            b.drain(0.2)  # late console errors
        except BrowserError as e:
            log(str(e))
            return 2
        for p in b.problems:
            log(p)
        if b.problems:
            status = 1
        return status
    except (Stop, KeyboardInterrupt) as e:
        signum = e.signum if isinstance(e, Stop) else signal.SIGINT
        log("stopped by signal %d" % signum)
        return 128 + signum
    finally:
        for s in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
            signal.signal(s, signal.SIG_IGN)  # let the cleanup finish
        b.close()


if __name__ == "__main__":
    sys.exit(main())
