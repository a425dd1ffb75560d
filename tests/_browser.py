"""A stdlib-only headless-Chromium driver over the DevTools protocol on a pipe, for the HTML report's browser tests.

For one local HTML file it:
  (a) loads it (``file://``) in a fresh headless Chromium with a throw-away profile;
  (b) collects console errors: ``console.error``/``assert``, uncaught exceptions and browser log entries (CSP
      violations, failed loads) — ``Runtime.consoleAPICalled``, ``Runtime.exceptionThrown``, ``Log.entryAdded``;
  (c) records every request other than the page itself and ``data:`` URLs (``Network.requestWillBeSent``,
      ``Network.loadingFailed`` with its ``blockedReason``) and, with Fetch interception on every URL, fails each one
      before it can reach the network, so a test never leaks traffic even when the page is wrong;
  (d) returns the visible text (``document.body.innerText``, evaluated by DevTools: works with page scripts off);
  (e) saves a PNG screenshot (the full page, or its top ``clip_height`` pixels).

Transport: ``--remote-debugging-pipe`` (fd 3: commands to the browser, fd 4: replies; NUL-terminated JSON). No TCP
port is opened, no websocket library is needed, nothing else on the machine can attach to the browser. The browser
runs with every background service off and ``--host-resolver-rules=MAP * ~NOTFOUND`` (no DNS lookup leaves it); as
root it also runs in an empty network namespace (``unshare --net``) where the machine allows one.

Debian's ``/usr/bin/chromium`` is a wrapper script that exports API keys and adds extension flags (which turn
background networking back on): the real binary ``/usr/lib/chromium/chromium`` is used when present.
``TRAJDYN_CHROMIUM`` names another binary.

    python -m tests._browser PAGE.html [--shot out.png] [--clip-height PX] [--width PX] [--js-off] [--timeout 30]
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import queue
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CANDIDATES = (
    "/usr/lib/chromium/chromium",  # Debian: the real binary, skips the /usr/bin wrapper's flags
    "chromium",
    "chromium-browser",
    "google-chrome",
    "chrome-headless-shell",
)

FLAGS = (
    "--headless",  # "new" headless (the only one in Chromium >= 132)
    "--no-sandbox",  # needed as root; the page is our own file and never leaves the machine
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
    "--disable-features=MediaRouter,OptimizationHints,Translate,AutofillServerCommunication,"
    "CertificateTransparencyComponentUpdater,DialMediaRouteProvider",
    "--disable-domain-reliability",
    "--disable-client-side-phishing-detection",
    "--disable-breakpad",
    "--disable-crash-reporter",
    "--metrics-recording-only",
    "--no-pings",
    "--disable-quic",
    "--safebrowsing-disable-auto-update",
    "--password-store=basic",
    "--use-mock-keychain",
    "--mute-audio",
    "--hide-scrollbars",
    "--force-color-profile=srgb",
    "--font-render-hinting=none",
    "--host-resolver-rules=MAP * ~NOTFOUND",  # no DNS lookup can leave the browser
    "--remote-debugging-pipe",
)


def _netns_unshare() -> str | None:
    """``unshare`` when it can give a process an empty network namespace here (root, and a kernel or container that
    allows it: many containers do not), else ``None``: the browser then runs in the machine's namespace, where
    the Fetch interception still fails every request and the host-resolver rule still blocks every lookup."""
    unshare = shutil.which("unshare")
    if unshare is None or os.geteuid() != 0:
        return None
    try:
        probe = subprocess.run([unshare, "--net", "--", "true"], capture_output=True, timeout=30, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return unshare if probe.returncode == 0 else None


class CDPError(RuntimeError):
    """The browser could not be started, driven or did not answer in time."""


def find_chromium() -> str | None:
    """The Chromium binary to use: ``TRAJDYN_CHROMIUM``, else the first of :data:`CANDIDATES` found."""
    env = os.environ.get("TRAJDYN_CHROMIUM")
    if env:
        return env if os.access(env, os.X_OK) else None
    for c in CANDIDATES:
        p = c if Path(c).is_absolute() else shutil.which(c)
        if p and os.access(p, os.X_OK):
            return p
    return None


@dataclass
class PageResult:
    """What loading one page gave."""

    url: str
    console: list[dict[str, Any]] = field(default_factory=list)  # every console/log entry
    errors: list[str] = field(default_factory=list)  # the error-level ones, as text
    requests: list[dict[str, Any]] = field(default_factory=list)  # every non-page, non-data: request
    text: str = ""  # rendered text (innerText: not display:none, not inside a closed <details>)
    all_text: str = ""  # every text node (textContent)
    screenshot: Path | None = None
    load_s: float = 0.0
    probes: dict[str, Any] = field(default_factory=dict)  # the value of each probe expression


class Browser:
    """One headless Chromium process driven over ``--remote-debugging-pipe``.

    ``isolate_network``: as root, start it under ``unshare --net`` (an empty network namespace).
    """

    def __init__(
        self,
        binary: str | None = None,
        timeout: float = 30.0,
        extra_flags: tuple[str, ...] = (),
        isolate_network: bool = True,
    ) -> None:
        binary = binary or find_chromium()
        if binary is None:
            raise CDPError("no Chromium found (set TRAJDYN_CHROMIUM or apt-get install -y chromium)")
        self.timeout = timeout
        self.profile = tempfile.mkdtemp(prefix="cdp-profile-")
        self.log_path = Path(self.profile) / "chromium.log"
        # to_browser: we write, Chromium reads on fd 3; from_browser: Chromium writes on fd 4, we read.
        cmd_r, self._cmd_w = os.pipe()
        self._res_r, res_w = os.pipe()
        log_fd = os.open(self.log_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        devnull = os.open(os.devnull, os.O_RDONLY)
        argv = [binary, *FLAGS, *extra_flags, f"--user-data-dir={self.profile}", "about:blank"]
        # Belt and braces: as root, run the browser in a fresh network namespace (loopback only), so
        # not even the browser's own background services can reach another host. unshare execs, so the
        # pid stays the browser's.
        unshare = _netns_unshare() if isolate_network else None
        self.network_isolated = unshare is not None
        if self.network_isolated:
            assert unshare is not None
            argv = [unshare, "--net", "--", *argv]
            binary = unshare
        env = {k: v for k, v in os.environ.items() if not k.startswith(("GOOGLE_", "CHROME_"))}
        try:
            self.pid = os.posix_spawn(
                binary,
                argv,
                env,
                file_actions=[
                    (os.POSIX_SPAWN_DUP2, devnull, 0),
                    (os.POSIX_SPAWN_DUP2, log_fd, 1),
                    (os.POSIX_SPAWN_DUP2, log_fd, 2),
                    (os.POSIX_SPAWN_DUP2, cmd_r, 3),
                    (os.POSIX_SPAWN_DUP2, res_w, 4),
                ],
                setsid=True,  # own process group: we can kill the renderer/GPU/zygote children with it
            )
        finally:
            for fd in (cmd_r, res_w, log_fd, devnull):
                os.close(fd)
        self._next_id = 0
        self._lock = threading.Lock()
        self._pending: dict[int, queue.Queue[dict[str, Any]]] = {}
        self.events: queue.Queue[dict[str, Any]] = queue.Queue()
        self._reader = threading.Thread(target=self._read_loop, daemon=True)
        self._reader.start()
        self.call("Browser.getVersion")  # fails fast if the pipe is not up

    # -- transport -------------------------------------------------------------------------------
    def _read_loop(self) -> None:
        buf = b""
        while True:
            try:
                chunk = os.read(self._res_r, 1 << 16)
            except OSError:
                chunk = b""
            if not chunk:
                self.events.put({"method": "__closed__"})
                for q in list(self._pending.values()):
                    q.put({"error": {"message": "browser pipe closed"}})
                return
            buf += chunk
            while b"\0" in buf:
                raw, buf = buf.split(b"\0", 1)
                msg = json.loads(raw)
                if "id" in msg:
                    waiter = self._pending.pop(msg["id"], None)
                    if waiter is not None:
                        waiter.put(msg)
                else:
                    self.events.put(msg)

    def send(
        self, method: str, params: dict[str, Any] | None = None, session: str | None = None
    ) -> queue.Queue[dict[str, Any]]:
        q: queue.Queue[dict[str, Any]] = queue.Queue(maxsize=1)
        with self._lock:
            self._next_id += 1
            mid = self._next_id
            self._pending[mid] = q
        msg: dict[str, Any] = {"id": mid, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        data = json.dumps(msg).encode() + b"\0"
        while data:
            n = os.write(self._cmd_w, data)
            data = data[n:]
        return q

    def wait(self, q: queue.Queue[dict[str, Any]], what: str, timeout: float | None = None) -> dict[str, Any]:
        try:
            msg = q.get(timeout=timeout or self.timeout)
        except queue.Empty:
            raise CDPError(f"timed out waiting for the reply to {what}") from None
        if "error" in msg:
            raise CDPError(f"{what}: {msg['error']}")
        result: dict[str, Any] = msg.get("result", {})
        return result

    def call(
        self,
        method: str,
        params: dict[str, Any] | None = None,
        session: str | None = None,
        timeout: float | None = None,
    ) -> dict[str, Any]:
        # the reply queue exists before the message is written, so a fast reply is never lost
        return self.wait(self.send(method, params, session), method, timeout)

    def close(self) -> None:
        """Close the browser (kill its process group after 5 s) and remove its profile."""
        with suppress(OSError):
            self.send("Browser.close")
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            pid, _ = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                break
            time.sleep(0.05)
        else:
            with suppress(ProcessLookupError):
                os.killpg(self.pid, signal.SIGKILL)  # the group we created with setsid, nothing else
            os.waitpid(self.pid, 0)
        os.close(self._cmd_w)
        self._reader.join(timeout=5)
        if not self._reader.is_alive():
            os.close(self._res_r)
        shutil.rmtree(self.profile, ignore_errors=True)

    # -- one page --------------------------------------------------------------------------------
    def open_page(
        self,
        path: str | Path,
        *,
        js: bool = True,
        screenshot: str | Path | None = None,
        width: int = 1280,
        height: int = 900,
        settle_s: float = 0.3,
        clip_height: int | None = None,
        probes: dict[str, str] | None = None,
    ) -> PageResult:
        """Load ``path`` and collect (a)–(e) of the module docstring; ``js=False`` disables the page's scripts.

        ``screenshot``: where to save a PNG of the full page (at most 16,384 pixels high), or of its top
        ``clip_height`` pixels. Raises :class:`CDPError` when the page does not load within the timeout, the renderer
        crashes or the browser exits. ``probes``: name → JavaScript expression, evaluated by DevTools after the load
        (also with the page's scripts off); the values are in ``PageResult.probes``.
        """
        deadline = time.monotonic() + self.timeout
        url = Path(path).resolve().as_uri()
        res = PageResult(url=url)
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        sid = self.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        try:
            for domain in ("Inspector", "Page", "Runtime", "Log", "Network", "Audits"):
                self.call(f"{domain}.enable", session=sid)
            self.call("Page.setLifecycleEventsEnabled", {"enabled": True}, session=sid)
            # Every request pauses here first; only the page itself is let through.
            self.call("Fetch.enable", {"patterns": [{"urlPattern": "*", "requestStage": "Request"}]}, session=sid)
            self.call(
                "Emulation.setDeviceMetricsOverride",
                {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
                session=sid,
            )
            if not js:
                self.call("Emulation.setScriptExecutionDisabled", {"value": True}, session=sid)
            t0 = time.monotonic()
            # Do not block on the reply: it only comes once the document request, which Fetch pauses, goes on.
            nav_q: queue.Queue[dict[str, Any]] | None = self.send("Page.navigate", {"url": url}, session=sid)
            loaded = False
            quiet_until: float | None = None
            while True:
                now = time.monotonic()
                if now > deadline:
                    raise CDPError(f"timed out loading {url} (loaded={loaded})")
                if nav_q is not None and not nav_q.empty():
                    nav = self.wait(nav_q, "Page.navigate")
                    nav_q = None
                    if nav.get("errorText"):
                        raise CDPError(f"navigation to {url} failed: {nav['errorText']}")
                if loaded and nav_q is None and quiet_until is not None and now >= quiet_until:
                    break
                try:
                    ev = self.events.get(timeout=0.05)
                except queue.Empty:
                    continue
                if ev.get("method") == "__closed__":
                    raise CDPError("browser exited; see " + str(self.log_path))
                if ev.get("sessionId") not in (sid, None):
                    continue
                m: str = ev.get("method", "")
                p: dict[str, Any] = ev.get("params", {})
                if m in ("Inspector.targetCrashed", "Target.targetCrashed", "Inspector.detached"):
                    raise CDPError(f"renderer crashed or detached while loading {url}: {m}")
                if m == "Page.loadEventFired":
                    loaded = True
                    res.load_s = time.monotonic() - t0
                    quiet_until = time.monotonic() + settle_s
                elif m == "Fetch.requestPaused":
                    rurl = p["request"]["url"]
                    if rurl == url:
                        self.send("Fetch.continueRequest", {"requestId": p["requestId"]}, session=sid)
                    else:
                        res.requests.append({"url": rurl, "via": "Fetch.requestPaused", "blocked_by": "test"})
                        self.send(
                            "Fetch.failRequest",
                            {"requestId": p["requestId"], "errorReason": "BlockedByClient"},
                            session=sid,
                        )
                    if loaded:
                        quiet_until = time.monotonic() + settle_s
                elif m == "Network.requestWillBeSent":
                    rurl = p["request"]["url"]
                    if rurl != url and not rurl.startswith("data:"):
                        res.requests.append(
                            {
                                "url": rurl,
                                "via": m,
                                "type": p.get("type"),
                                "initiator": p.get("initiator", {}).get("type"),
                            }
                        )
                elif m == "Network.loadingFailed":
                    if p.get("blockedReason") or p.get("corsErrorStatus"):
                        res.requests.append(
                            {
                                "requestId": p["requestId"],
                                "via": m,
                                "blocked_by": p.get("blockedReason"),
                                "error": p.get("errorText"),
                            }
                        )
                elif m == "Runtime.consoleAPICalled":
                    text = " ".join(str(a.get("value", a.get("description", ""))) for a in p.get("args", []))
                    level = "error" if p["type"] in ("error", "assert") else p["type"]
                    res.console.append({"source": "console", "level": level, "text": text})
                elif m == "Runtime.exceptionThrown":
                    d = p["exceptionDetails"]
                    text = d.get("exception", {}).get("description") or d.get("text", "")
                    res.console.append({"source": "exception", "level": "error", "text": text})
                elif m == "Log.entryAdded":
                    e = p["entry"]
                    res.console.append(
                        {"source": e.get("source"), "level": e.get("level"), "text": e.get("text"), "url": e.get("url")}
                    )
                elif m == "Audits.issueAdded":
                    issue = p["issue"]
                    res.console.append(
                        {
                            "source": "audits",
                            "level": "issue",
                            "text": issue.get("code"),
                            "details": issue.get("details"),
                        }
                    )
            res.errors = [f"{c['source']}: {c['text']}" for c in res.console if c["level"] == "error"]
            r = self.call(
                "Runtime.evaluate",
                {"expression": "document.body ? document.body.innerText : ''", "returnByValue": True},
                session=sid,
            )
            res.text = r.get("result", {}).get("value", "")
            r = self.call(
                "Runtime.evaluate",
                {"expression": "document.documentElement.textContent", "returnByValue": True},
                session=sid,
            )
            res.all_text = r.get("result", {}).get("value", "")
            for name, expression in (probes or {}).items():
                r = self.call("Runtime.evaluate", {"expression": expression, "returnByValue": True}, session=sid)
                res.probes[name] = r.get("result", {}).get("value")
            if screenshot is not None:
                m2 = self.call("Page.getLayoutMetrics", session=sid)
                size = m2.get("cssContentSize") or m2["contentSize"]
                shot = self.call(
                    "Page.captureScreenshot",
                    {
                        "format": "png",
                        "captureBeyondViewport": True,
                        "clip": {
                            "x": 0,
                            "y": 0,
                            "width": max(width, size["width"]),
                            "height": min(size["height"], clip_height or 16384),
                            "scale": 1,
                        },
                    },
                    session=sid,
                )
                Path(screenshot).write_bytes(base64.b64decode(shot["data"]))
                res.screenshot = Path(screenshot)
        finally:
            with suppress(CDPError):
                self.call("Target.closeTarget", {"targetId": target}, timeout=5)
        return res


@contextmanager
def browser(timeout: float = 30.0) -> Iterator[Browser]:
    """A :class:`Browser` for the ``with`` block, closed after it."""
    b = Browser(timeout=timeout)
    try:
        yield b
    finally:
        b.close()


def main() -> None:
    """Load one page and print what was found as JSON (see the module docstring)."""
    ap = argparse.ArgumentParser(prog="python -m tests._browser")
    ap.add_argument("page")
    ap.add_argument("--shot")
    ap.add_argument("--clip-height", type=int)
    ap.add_argument("--width", type=int, default=1280)
    ap.add_argument("--js-off", action="store_true")
    ap.add_argument("--timeout", type=float, default=30.0)
    a = ap.parse_args()
    t = time.monotonic()
    with browser(a.timeout) as b:
        t_start = time.monotonic() - t
        r = b.open_page(a.page, js=not a.js_off, screenshot=a.shot, clip_height=a.clip_height, width=a.width)
    out = {
        "network_isolated": b.network_isolated,
        "start_s": round(t_start, 2),
        "load_s": round(r.load_s, 2),
        "total_s": round(time.monotonic() - t, 2),
        "errors": r.errors,
        "requests": r.requests,
        "console": r.console,
        "text": r.text[:500],
        "screenshot": str(r.screenshot) if r.screenshot else None,
    }
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
