"""Figures for a video cue (issue 22), all in one run, printed at the end.

Run:  .venv/bin/python benchmarks/video_cpu.py [SECONDS] [--minutes M] [--runs N]

1. A 1080p video of M minutes (10 by default), 30 pictures a second with AAC
   stereo sound, made here with PyAV: H.264 (libx264, preset ultrafast, CRF 23:
   a phone's bit rate, about 15 Mbit/s) if the wheel has the encoder, else
   MPEG-4 part 2; which one is printed.
2. The time to prepare its proxy, as `calmflow check` does it (a child
   process: engine/video_making.py), and the proxy's size on disk.
3. The first picture of a session with it: `calmflow play` in tmux at 80×24,
   timed until the video's picture is on the screen (four rows of half-block
   cells), as benchmarks/startup_time.py times its screens; N runs (5), one
   more first, not counted. Target: under 1 s.
4. CPU of `calmflow play` (the player process and the audio process) with the
   video on screen from the start, at 80×24 and at 120×40, beside a bare
   Textual app that redraws the same area (the picture's cells, read off the
   player's screen) with the same pictures at the same rate (10 a second, on a
   1/12 s timer), over the same SECONDS (30 by default), with
   benchmarks/player_cpu.py's machinery. Target: calmflow at most 1.5× the bare app.
5. Peak memory (VmHWM) of the player process and of the audio process over
   that run, with the M-minute video. Target: the player under 250 MB.

Needs pulseaudio and tmux (./bootstrap test installs them).
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
from player_cpu import measure, start
from pulse_server import private_pulse
from startup_time import calmflow_command, time_to_screen

WIDTH, HEIGHT, FPS, RATE = 1920, 1080, 30, 48_000
PICTURE = r"(?:.*▀{8,}.*\n){4}"
"""The video on the screen: four rows running with half-block cells (the
breathing guide and big letters draw a few, never four rows of eight)."""
CPU_TARGET = 1.5
MEMORY_TARGET_MB = 250
FIRST_TARGET_S = 1.0

BARE_APP = """
import io, json, os, sys, time
import numpy as np
from PIL import Image
from rich.color import Color
from rich.segment import Segment
from rich.style import Style
from textual.app import App
from textual.strip import Strip
from textual.widget import Widget

folder, width, rows = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
with open(os.path.join(folder, "proxy.json")) as f:
    header = json.load(f)
count, fps = header["frames"], header["fps"]
offsets = os.open(os.path.join(folder, "frames.idx"), os.O_RDONLY)
frames = os.open(os.path.join(folder, "frames.jpg"), os.O_RDONLY)
styles = {}


def picture(i):
    span = os.pread(offsets, 16, i * 8)
    start, end = int.from_bytes(span[:8], "little"), int.from_bytes(span[8:], "little")
    return Image.open(io.BytesIO(os.pread(frames, end - start, start))).convert("RGB")


def style(top, bottom):
    found = styles.get((top, bottom))
    if found is None:
        found = Style(color=Color.from_rgb(*top), bgcolor=Color.from_rgb(*bottom))
        styles[(top, bottom)] = found
    return found


class Picture(Widget):
    def on_mount(self):
        self.index, self.lines, self.started = -1, [], time.monotonic()
        self.set_interval(1 / 12, self.tick)

    def tick(self):
        index = int((time.monotonic() - self.started) * fps) % count
        if index == self.index:
            return
        self.index = index
        px = np.asarray(picture(index).resize((width, rows * 2))).tolist()
        self.lines = [
            Strip([Segment("▀", style(tuple(a), tuple(b))) for a, b in zip(px[y], px[y + 1])])
            for y in range(0, rows * 2, 2)
        ]
        self.refresh()

    def render_line(self, y):
        return self.lines[y] if y < len(self.lines) else Strip.blank(self.size.width)


class Bare(App):
    CSS = f"Picture {{ width: {width}; height: {rows}; }}"

    def compose(self):
        yield Picture()


Bare().run()
"""


def make_video(path: Path, minutes: float) -> str:
    """A 1080p video of a soft moving shape over a drifting texture, with a
    hum as its sound; returns the codec used."""
    codec = "libx264" if "libx264" in av.codecs_available else "mpeg4"
    frames = round(minutes * 60 * FPS)
    with av.open(str(path), "w") as container:
        video = container.add_stream(codec, rate=FPS)
        video.width, video.height, video.pix_fmt = WIDTH, HEIGHT, "yuv420p"
        video.codec_context.thread_type = "AUTO"
        if codec == "libx264":
            video.options = {"preset": "ultrafast", "crf": "23"}
        else:
            video.bit_rate = 8_000_000
        sound = container.add_stream("aac", rate=RATE)
        sound.layout = "stereo"
        rng = np.random.default_rng(0)
        texture = rng.integers(0, 16, (HEIGHT, WIDTH + 600), dtype=np.uint8)
        yy = np.arange(HEIGHT, dtype=np.float32)[:, None]
        xx = np.arange(WIDTH, dtype=np.float32)[None, :]
        planes = np.empty((HEIGHT * 3 // 2, WIDTH), dtype=np.uint8)
        per_picture = RATE // FPS
        t = np.arange(per_picture) / RATE
        blob = np.zeros((HEIGHT, WIDTH), dtype=np.uint8)
        for i in range(frames):
            if i % 3 == 0:
                cx, cy = WIDTH / 2 + 600 * np.sin(i / 45), HEIGHT / 2 + 300 * np.cos(i / 60)
                shape = np.exp(-(((xx - cx) / 400) ** 2 + ((yy - cy) / 300) ** 2))
                blob = (200 * shape).astype(np.uint8)
            shift = (i * 4) % 600
            planes[:HEIGHT] = blob + texture[:, shift : shift + WIDTH] + 16
            planes[HEIGHT : HEIGHT + HEIGHT // 4] = 128 + (i // 10) % 60
            planes[HEIGHT + HEIGHT // 4 :] = 150 - (i // 15) % 50
            picture = av.VideoFrame.from_ndarray(planes, format="yuv420p")
            picture.pts = i
            for packet in video.encode(picture):
                container.mux(packet)
            hum = 0.1 * np.sin(2 * np.pi * 220 * (t + i / FPS)).astype(np.float32)
            audio = av.AudioFrame.from_ndarray(
                np.ascontiguousarray(np.stack([hum, hum])), format="fltp", layout="stereo"
            )
            audio.sample_rate, audio.pts, audio.time_base = RATE, i * per_picture, Fraction(1, RATE)
            for packet in sound.encode(audio):
                container.mux(packet)
        for stream in (video, sound):
            for packet in stream.encode(None):
                container.mux(packet)
    return codec


ROUTINE = """\
name: video-bench
cues:
  clip: {{video: "{path}", loop: true}}
phases:
  - {{name: Watch, kind: prep, duration: 30m, cues: [clip]}}
"""


def picture_cells(tmux: list[str], name: str) -> tuple[int, int]:
    """Cells wide and rows high of the video's picture on a tmux session's screen."""
    pane = subprocess.run(
        [*tmux, "capture-pane", "-p", "-t", name], capture_output=True, text=True
    ).stdout
    runs = [max((len(r) for r in re.findall("▀+", line)), default=0) for line in pane.splitlines()]
    rows = [n for n in runs if n >= 8]
    if len(rows) < 4:
        raise SystemExit(f"no picture on the screen of {name}:\n{pane}")
    return max(rows), len(rows)


def peak_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    args = sys.argv[1:]
    minutes, runs = 10.0, 5
    for flag in ("--minutes", "--runs"):
        if flag in args:
            at = args.index(flag)
            value = args[at + 1]
            del args[at : at + 2]
            if flag == "--minutes":
                minutes = float(value)
            else:
                runs = int(value)
    seconds = float(args[0]) if args else 30.0
    for program in ("tmux", "pulseaudio"):
        if shutil.which(program) is None:
            raise SystemExit(f"{program} is needed (./bootstrap test installs it)")
    figures: list[str] = []
    with tempfile.TemporaryDirectory() as tmp, private_pulse() as pulse:
        home = Path(tmp) / "home"
        home.mkdir(mode=0o700)
        (home / "welcomed").touch(mode=0o600)
        env = {
            "PULSE_SERVER": pulse["PULSE_SERVER"],
            "PULSE_RUNTIME_PATH": pulse["PULSE_RUNTIME_PATH"],
            "CALMFLOW_HOME": str(home),
        }
        clip = Path(tmp) / "clip.mp4"
        started = time.monotonic()
        codec = make_video(clip, minutes)
        made_s = time.monotonic() - started
        mbit = clip.stat().st_size * 8 / (minutes * 60) / 1e6
        figures.append(
            f"video: {minutes:g} min, {WIDTH}x{HEIGHT}, {FPS} fps, {codec}"
            f" ({'H.264' if codec == 'libx264' else 'MPEG-4 part 2'}), {mbit:.1f} Mbit/s,"
            f" {clip.stat().st_size / 1e6:.0f} MB; made in {made_s:.0f} s"
        )
        routine = Path(tmp) / "video-bench.yaml"
        routine.write_text(ROUTINE.format(path=clip))

        # 2. Preparing it, as `calmflow check` does.
        command = calmflow_command()
        started = time.monotonic()
        checked = subprocess.run(
            [*shlex.split(command), "check", str(routine)],
            env={**os.environ, **env},
            capture_output=True,
            text=True,
        )
        prepared_s = time.monotonic() - started
        if checked.returncode != 0:
            raise SystemExit(f"calmflow check failed:\n{checked.stdout}{checked.stderr}")
        (proxy,) = (home / "cache" / "videos").iterdir()
        size_mb = sum(f.stat().st_size for f in proxy.iterdir()) / 1e6
        said = checked.stderr.strip().splitlines()[-1]
        figures.append(
            f"preparing its proxy (calmflow check, a child process): {prepared_s:.1f} s"
            f" ({said}); proxy {size_mb:.0f} MB"
        )
        again = time.monotonic()
        subprocess.run(
            [*shlex.split(command), "check", str(routine)],
            env={**os.environ, **env},
            capture_output=True,
            check=True,
        )
        figures.append(f"checking it again (proxy ready): {time.monotonic() - again:.2f} s")

        tmux = ["tmux", "-S", f"{tmp}/tmux.sock"]
        try:
            # 3. The first picture of a session.
            play = f"{command} play {routine}"
            time_to_screen(tmux, play, env, PICTURE)  # warm-up, not counted
            firsts = [time_to_screen(tmux, play, env, PICTURE) for _ in range(runs)]
            worst = max(firsts)
            figures.append(
                f"first picture of a session, 80x24, {runs} runs (s): "
                + " ".join(f"{t:.3f}" for t in firsts)
                + f"; median {statistics.median(firsts):.3f}, max {worst:.3f};"
                f" target < {FIRST_TARGET_S:.0f} s: {'met' if worst < FIRST_TARGET_S else 'NOT met'}"
            )

            # 4 and 5. CPU beside a bare app drawing the same area, and peak memory.
            exports = " ".join(f"{k}={shlex.quote(v)}" for k, v in env.items())
            bare_py = Path(tmp) / "bare.py"
            bare_py.write_text(BARE_APP)
            for size in ((80, 24), (120, 40)):
                label = f"{size[0]}x{size[1]}"
                playing = start(tmux, f"play{label}", f"env {exports} {play}", size)
                cells, rows = picture_cells(tmux, f"play{label}")
                bare_cmd = f"{sys.executable} {bare_py} {proxy} {cells} {rows}"
                bare = start(tmux, f"bare{label}", bare_cmd, size)
                shares = measure({"play": playing, "bare": bare}, seconds)
                ours, theirs = shares["play"], shares["bare"]
                total = ours["main"] + ours["children"]
                ratio = total / max(theirs["main"], 1e-9)
                player_mb = peak_mb(playing[0])
                audio_mb = max((peak_mb(p) for p in playing[1:]), default=float("nan"))
                figures.append(
                    f"CPU at {label}, picture {cells}x{rows} cells, over {seconds:.0f} s, share"
                    f" of one core: player {ours['main']:.1%}, audio {ours['children']:.1%},"
                    f" both {total:.1%}; bare app {theirs['main']:.1%}; ratio {ratio:.2f}"
                    f" (target <= {CPU_TARGET}: {'met' if ratio <= CPU_TARGET else 'NOT met'})"
                )
                figures.append(
                    f"peak memory at {label}: player {player_mb:.0f} MB"
                    f" (target < {MEMORY_TARGET_MB} MB:"
                    f" {'met' if player_mb < MEMORY_TARGET_MB else 'NOT met'}),"
                    f" audio process {audio_mb:.0f} MB"
                )
                for name in (f"play{label}", f"bare{label}"):
                    subprocess.run([*tmux, "kill-session", "-t", name], capture_output=True)
                time.sleep(0.5)
        finally:
            subprocess.run([*tmux, "kill-server"], capture_output=True)
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"a video cue's figures (load average {load}):")
    for line in figures:
        print(f"  {line}")


if __name__ == "__main__":
    main()
