"""Real browsers as video-call clients of "Sketch Camera", for tests/device/test_clients.py.

Meet, Teams and Zoom-on-the-web reach a webcam only through getUserMedia, so the only honest
test of "works in a browser call" is a real browser doing what they do: enumerate the cameras,
pick one by its label, open it by deviceId, read its track settings and draw its frames. The
page below does exactly that and POSTs what it saw back to a tiny http.server on 127.0.0.1
(localhost is a secure context, which getUserMedia requires); the test then judges the frames
with the same reference as the ffmpeg tests.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import signal
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import cv2
import numpy as np
import pytest

# The page: enumerate -> (grant, re-enumerate: labels are hidden before any camera permission)
# -> getUserMedia by deviceId -> count presented frames for DURATION ms, snapshot a few -> POST.
PAGE = """<!doctype html><meta charset="utf-8"><title>sketchd call</title><body><script>
const LABEL = %(label)s, DURATION = %(duration)d, SNAPS = %(snaps)d;
const t0 = performance.now();
const secs = () => ((performance.now() - t0) / 1000).toFixed(1);
function say(msg) { fetch("/log", {method: "POST", body: secs() + "s " + msg}).catch(() => {}); }
const cams = async () => (await navigator.mediaDevices.enumerateDevices())
  .filter(d => d.kind === "videoinput");
async function main() {
  const out = {userAgent: navigator.userAgent};
  say("page loaded");
  let devs = await cams();
  out.labels_before = devs.map(d => d.label);
  let cam = devs.find(d => d.label === LABEL);
  if (!cam) {  // like Meet: ask for any camera once, then the labels are visible
    const any = await navigator.mediaDevices.getUserMedia({video: true});
    out.first_track = any.getVideoTracks()[0].label;
    any.getTracks().forEach(t => t.stop());
    devs = await cams();
    cam = devs.find(d => d.label === LABEL);
  }
  out.labels = devs.map(d => d.label);
  say("cameras: " + JSON.stringify(out.labels));
  if (!cam) { out.error = "no camera labelled " + LABEL; return out; }
  const stream = await navigator.mediaDevices.getUserMedia(
    {video: {deviceId: {exact: cam.deviceId}}});
  const track = stream.getVideoTracks()[0];
  out.track_label = track.label;
  out.settings = track.getSettings();
  say("opened: " + JSON.stringify(out.settings));
  const video = document.createElement("video");
  video.muted = true; video.playsInline = true; video.srcObject = stream;
  document.body.appendChild(video);
  await video.play();
  const canvas = document.createElement("canvas");
  const small = document.createElement("canvas");
  small.width = 32; small.height = 18;
  const ctx = canvas.getContext("2d", {willReadFrequently: true});
  const sctx = small.getContext("2d", {willReadFrequently: true});
  const rvfc = "requestVideoFrameCallback" in video;
  out.counter = rvfc ? "requestVideoFrameCallback" : "getVideoPlaybackQuality";
  const times = [], pictures = new Set(), snaps = [];
  let lastCount = -1, first = null;
  await new Promise(done => {
    const deadline = performance.now() + 3 * DURATION + 30000;
    function tick(now, meta) {
      const count = rvfc ? meta.presentedFrames : video.getVideoPlaybackQuality().totalVideoFrames;
      if (count !== lastCount && video.videoWidth) {  // a new frame is on screen
        lastCount = count;
        const t = performance.now();
        if (first === null) {
          first = t;
          say("first frame " + video.videoWidth + "x" + video.videoHeight);
        }
        times.push(t);
        sctx.drawImage(video, 0, 0, small.width, small.height);
        pictures.add(Array.from(sctx.getImageData(0, 0, small.width, small.height).data,
                                v => v >> 3).join(","));
        if (snaps.length < SNAPS && t - first >= snaps.length * DURATION / SNAPS) {
          canvas.width = video.videoWidth; canvas.height = video.videoHeight;
          ctx.drawImage(video, 0, 0);
          snaps.push(canvas.toDataURL("image/png"));
        }
      }
      const over = first !== null && performance.now() - first >= DURATION && snaps.length >= SNAPS;
      if (over || performance.now() > deadline) return done();
      if (rvfc) video.requestVideoFrameCallback(tick); else setTimeout(tick, 50);
    }
    if (rvfc) video.requestVideoFrameCallback(tick); else setTimeout(tick, 50);
  });
  out.frames = times.length;
  out.distinct_pictures = pictures.size;
  out.seconds = times.length > 1 ? (times[times.length - 1] - times[0]) / 1000 : 0;
  out.video_size = [video.videoWidth, video.videoHeight];
  out.settings_after = track.getSettings();
  if (track.stats) out.track_stats = track.stats.toJSON();  // Chromium: frames captured
  out.snapshots = snaps;
  track.stop();
  return out;
}
main().catch(e => ({error: String(e && e.name) + ": " + String(e && e.message)}))
  .then(out => fetch("/result", {method: "POST", body: JSON.stringify(out)}));
</script>"""


class PageServer:
    """http.server on 127.0.0.1:<free port> serving PAGE; keeps the page's log and result."""

    def __init__(self, label: str, duration_ms: int = 4000, snapshots: int = 3):
        page = PAGE % {"label": json.dumps(label), "duration": duration_ms, "snaps": snapshots}
        self.log: list[tuple[float, str]] = []
        self.result: dict | None = None
        self._got = threading.Event()
        server = self  # the handler's threads tell it through record() and deliver()

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                server.record(f"GET {self.path}")
                body = page.encode() if self.path in ("/", "/index.html") else b""
                self.send_response(200 if body else 404)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self):
                data = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                self.send_response(204)
                self.end_headers()
                if self.path == "/log":
                    server.record(data.decode(errors="replace"))
                elif self.path == "/result":
                    server.deliver(json.loads(data or b"{}"))

            def log_message(self, *args):  # keep pytest's output for the test's report
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}/"
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()

    def record(self, line: str) -> None:
        """A line of the page's log (a request, or what the page posted to /log)."""
        self.log.append((time.monotonic(), line))

    def deliver(self, result: dict) -> None:
        """The page's result, once: ``wait`` returns it."""
        self.result = result
        self._got.set()

    def wait(self, timeout: float, alive=lambda: True) -> dict | None:
        """The page's result, or None at the deadline or once the browser died (alive())."""
        end = time.monotonic() + timeout
        while time.monotonic() < end and alive():
            if self._got.wait(0.5):
                return self.result
        return self.result

    def close(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()


def loopback_up() -> None:
    """The guest's `lo` starts down; a page on 127.0.0.1 needs it up."""
    ip = shutil.which("ip")
    cmd = [ip, "link", "set", "lo", "up"] if ip else ["busybox", "ip", "link", "set", "lo", "up"]
    done = subprocess.run(cmd, capture_output=True, text=True)
    assert done.returncode == 0, f"{' '.join(cmd)}: {done.stderr}"


def need(*names: str) -> str:
    """The first of these programs on PATH; skip the test without one (fail in CI)."""
    for name in names:
        path = shutil.which(name)
        if path:
            return path
    msg = f"{' or '.join(names)} is not installed"
    if os.environ.get("SKETCHD_REQUIRE_DEVICE") or os.environ.get("SKETCHD_REQUIRE_PIPEWIRE"):
        pytest.fail(msg)
    pytest.skip(msg)


class Browser:
    """A browser process in its own session (it forks a dozen helpers), output to a log."""

    def __init__(self, cmd: list[str], log: Path, env: dict | None = None):
        self.cmd, self.log = cmd, log
        self._out = log.open("wb")
        self.started = time.monotonic()
        self.proc = subprocess.Popen(
            cmd,
            stdin=subprocess.DEVNULL,
            stdout=self._out,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
        )

    def alive(self) -> bool:
        return self.proc.poll() is None

    def tail(self, lines: int = 40) -> str:
        text = self.log.read_text(errors="replace").splitlines()
        return "\n".join(text[-lines:])

    def stop(self) -> None:
        """SIGTERM to the browser's own process group, SIGKILL after a grace period."""
        for sig, grace in ((signal.SIGTERM, 20), (signal.SIGKILL, 10)):
            try:
                os.killpg(self.proc.pid, sig)
            except ProcessLookupError:
                break
            try:
                self.proc.wait(grace)
                break
            except subprocess.TimeoutExpired:
                continue
        self._out.close()


def browser_env(home: Path, **extra: str) -> dict:
    """HOME, profile and runtime dir on tmpfs: dconf and the profile's databases mmap their
    files, which fails on the 9p share that holds the test's tmp_path (dconf then aborts)."""
    run = Path("/run/user/0") if os.geteuid() == 0 else home / "run"
    run.mkdir(parents=True, exist_ok=True, mode=0o700)
    return dict(os.environ, HOME=str(home), XDG_RUNTIME_DIR=str(run), **extra)


def chromium(
    binary: str, url: str, tmp: Path, home: Path, *, pipewire_env: dict | None = None
) -> Browser:
    """Headless Chromium as root in the guest (flags from ../shared/README.md); camera
    permission is granted by --use-fake-ui-for-media-stream, the capture code logs to stderr.
    Logs go to ``tmp``, the profile to ``home`` (tmpfs). ``pipewire_env``: find cameras
    through the camera portal and PipeWire instead (WebRtcPipeWireCamera), in that session."""
    profile = home / "chromium-profile"
    profile.mkdir()
    cmd = [
        binary,
        "--no-sandbox",
        "--headless=new",
        "--use-fake-ui-for-media-stream",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--no-first-run",
        "--no-default-browser-check",
        "--disable-sync",
        "--disable-features=WebUIOmniboxPopup",
        "--autoplay-policy=no-user-gesture-required",
        f"--user-data-dir={profile}",
        "--enable-logging=stderr",
        "--v=0",
        "--vmodule=*video_capture*=1,*v4l2*=1,*camera_portal*=1,*pipewire*=1",
        *(["--enable-features=WebRtcPipeWireCamera"] if pipewire_env else []),
        url,
    ]
    env = dict(pipewire_env, HOME=str(home)) if pipewire_env else browser_env(home)
    return Browser(cmd, tmp / "chromium.log", env)


FIREFOX_PREFS = {
    # the call's permission prompt, answered yes; real devices, not Firefox's fake ones
    "media.navigator.permission.disabled": True,
    "media.navigator.streams.fake": False,
    "media.autoplay.default": 0,
    # one content process, none prelaunched: the guest has 2 emulated cores, and each extra
    # process costs tens of seconds there (the page then loads ~100 s after launch)
    "dom.ipc.processCount": 1,
    "fission.autostart": False,
    "dom.ipc.processPrelaunch.enabled": False,
    "browser.startup.page": 0,
    # nothing phones home or updates during a test
    "app.update.disabledForTesting": True,
    "app.update.auto": False,
    "app.normandy.enabled": False,
    "extensions.update.enabled": False,
    "browser.shell.checkDefaultBrowser": False,
    "browser.startup.homepage_override.mstone": "ignore",
    "browser.aboutwelcome.enabled": False,
    "browser.newtabpage.enabled": False,
    "browser.safebrowsing.malware.enabled": False,
    "browser.safebrowsing.phishing.enabled": False,
    "browser.safebrowsing.downloads.enabled": False,
    "browser.ping-centre.telemetry": False,
    "datareporting.policy.dataSubmissionEnabled": False,
    "datareporting.healthreport.uploadEnabled": False,
    "toolkit.telemetry.enabled": False,
    "toolkit.telemetry.unified": False,
    "network.captive-portal-service.enabled": False,
    "network.connectivity-service.enabled": False,
    "network.dns.disablePrefetch": True,
    "network.prefetch-next": False,
    "services.settings.server": "http://127.0.0.1:9/",
    "extensions.getAddons.cache.enabled": False,
}


def firefox(binary: str, url: str, tmp: Path, home: Path) -> Browser:
    """Headless Firefox ESR with a fresh profile (user.js above) in ``home``; MediaManager and
    CamerasParent log to a file in ``tmp`` for diagnosis."""
    profile = home / "firefox-profile"
    profile.mkdir()
    (profile / "user.js").write_text(
        "".join(f"user_pref({json.dumps(k)}, {json.dumps(v)});\n" for k, v in FIREFOX_PREFS.items())
    )
    env = browser_env(
        home,
        MOZ_LOG="MediaManager:4,CamerasParent:4",
        MOZ_LOG_FILE=str(tmp / "firefox-moz.log"),
        MOZ_CRASHREPORTER_DISABLE="1",
    )
    cmd = [binary, "--headless", "--no-remote", "--new-instance", "--profile", str(profile), url]
    return Browser(cmd, tmp / "firefox.log", env)


def decode_snapshot(data_url: str) -> np.ndarray:
    """A canvas.toDataURL PNG → its gray picture (full range, as the browser drew it)."""
    head, _, data = data_url.partition(",")
    assert head == "data:image/png;base64", head[:40]
    img = cv2.imdecode(np.frombuffer(base64.b64decode(data), np.uint8), cv2.IMREAD_COLOR)
    assert img is not None, "the snapshot is not a PNG"
    return cv2.cvtColor(img, cv2.COLOR_BGR2GRAY)


def summary(result: dict) -> dict:
    """The result without its (large) snapshots, for reports and assertion messages."""
    return {k: v for k, v in result.items() if k != "snapshots"} | {
        "snapshots": len(result.get("snapshots") or [])
    }
