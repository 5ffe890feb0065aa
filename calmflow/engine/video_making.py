"""Making a video's proxy (engine/video_proxy.py): decoded through once, in a child process.

Decoding a phone's video is FFmpeg's work (PyAV's wheels carry its H.264 and
HEVC decoders), and FFmpeg writes to file descriptor 2, where Textual draws
the player (PITFALLS.md). As for a render (audio/wav_process.py), the work is
done in a process of its own whose stderr goes to calmflow's log file, at a
lower priority (nice), so that a video prepared while a session plays leaves
the player and the sound their share of the machine.

`make_apart(path, root, log_path)` runs it; `python -m calmflow.engine.video_making`
reads (path, root) pickled on its stdin and answers on its stdout ("done",
None), ("problem", why: the video cannot be used) or ("error", why: the proxy
could not be written).

What cannot be used, said in a person's words: not a video (a photo, a text, a
sound file), no pictures in it, damaged or cut short (its pictures or its
sound stop before the length it says it has), longer than MAX_SECONDS.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
from fractions import Fraction
from pathlib import Path
from typing import Any

from calmflow.engine.media import MediaError
from calmflow.engine.video_proxy import (
    BOX,
    FPS,
    FRAMES,
    HEADER,
    INDEX,
    SEAM_S,
    SOUND,
    VERSION,
    Proxy,
    find,
    place,
    stamp,
)
from calmflow.system.apart import EndedEarly, answer_with, run_apart, serve_apart

MAX_SECONDS = 30 * 60.0
"""The longest video a cue plays [ours]: a session lasts 15-20 min (EVIDENCE.md),
and preparing it takes about 6 s a minute of 1080p here (benchmarks/video_cpu.py)."""
CUT_SHORT_S = 0.5
"""Pictures that stop this much before the length the file says it has: cut short."""
NICE = 10
"""How much lower than the player the making runs."""
QUALITY = 90
"""Of each picture's JPEG: no difference a terminal's half-block cells can show."""
NOT_VIDEO = "not a video calmflow can show (MP4 or MOV, as a phone films them)"
NO_PICTURES = "no pictures in it: a sound, not a video; give it as a sound cue (sound: ...)"
SOUND_BLOCK = 65_536
"""Frames of sound decoded and written at a time."""


def make_proxy(path: Path, root: Path) -> Proxy:
    """The proxy of `path` in `root`, made if it is not there yet; raises
    MediaError saying what is wrong with the video, or OSError if the proxy
    cannot be written (nothing half-written is left)."""
    found = find(path, root)
    if found is not None:
        return found
    path = path.resolve()
    made_for = stamp(path)
    target = place(path, root, made_for)
    refuse_what_is_no_video(path)
    os.makedirs(root, mode=0o700, exist_ok=True)
    work = root / f".{target.name}.{os.getpid()}.part"
    shutil.rmtree(work, ignore_errors=True)  # left by a try that was killed
    work.mkdir(mode=0o700)
    try:
        header = _pictures(path, work)
        header["sound"] = _sound(path, work / SOUND)
        header.update(
            version=VERSION,
            source={"path": str(path), "size": made_for[0], "mtime_ns": made_for[1]},
        )
        _write(work / HEADER, json.dumps(header, indent=1).encode())
        try:
            os.rename(work, target)
        except OSError:
            if find(path, root) is None:  # not made meanwhile by another process
                raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
    _remove_older(target)
    proxy = find(path, root)
    if proxy is None:  # changed while it was being made
        raise MediaError(path, "it changed while it was being prepared; check it again")
    return proxy


def refuse_what_is_no_video(path: Path) -> None:
    """Raise MediaError if `path`, by its first bytes, is no MP4 or MOV file
    (a photo, a text, a WAV): nothing of FFmpeg's is needed to tell."""
    from calmflow.engine.pictures import PHOTO_BRANDS
    from calmflow.engine.readers import MP4_FORMATS, container_format

    with path.open("rb") as f:
        head = f.read(12)
    if head[4:8] == b"ftyp" and head[8:12] in PHOTO_BRANDS:
        raise MediaError(path, "a photo (HEIC or AVIF), not a video; give it as a photo cue")
    if container_format(path) != MP4_FORMATS:
        raise MediaError(path, NOT_VIDEO)


def first_look(path: Path) -> None:
    """Raise MediaError if `path` is no video calmflow can show, from its start
    only (it opens as an MP4 or MOV, with pictures FFmpeg can decode): quick,
    where `make_proxy` decodes it all."""
    from calmflow.engine.containers import open_container

    refuse_what_is_no_video(path)
    with open_container(path) as container:
        if not any(s.codec_context is not None for s in container.streams.video):
            raise MediaError(path, NO_PICTURES)


def _write(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(data)


def _fit(size: tuple[int, int]) -> tuple[int, int]:
    """`size` fitted into BOX with its proportions, never larger than it was."""
    width, height = size
    scale = min(BOX[0] / width, BOX[1] / height, 1.0)
    return max(2, round(width * scale)), max(2, round(height * scale))


def _pictures(path: Path, folder: Path) -> dict[str, Any]:
    """Decode the pictures of `path` through, writing FPS a second to FRAMES
    and INDEX in `folder`; what the header says of them. Raises MediaError."""
    import io

    import av
    import numpy as np
    from PIL import Image

    from calmflow.engine.containers import open_container

    with open_container(path) as container:
        stream = next((s for s in container.streams.video if s.codec_context is not None), None)
        if stream is None:
            raise MediaError(path, NO_PICTURES)
        for other in container.streams:
            if other.index != stream.index:
                other.discard = av.stream.Discard.all
        stream.thread_type = "AUTO"
        time_base = stream.time_base or Fraction(1, 90_000)
        declared = float(stream.duration * time_base) if stream.duration else 0.0
        if not declared and container.duration:
            declared = container.duration / 1_000_000
        if declared > MAX_SECONDS:
            raise MediaError(path, _too_long(declared))
        rate = float(stream.average_rate or stream.guessed_rate or 30)
        width = height = turns = 0
        stored = source_size = (0, 0)
        written, origin, end = 0, None, 0.0
        held: Any = None
        offsets = [0]
        frames_file = os.open(folder / FRAMES, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with open(frames_file, "wb") as frames:

            def emit_until(until: float) -> None:
                # Each picture due before `until` is the one held (the last shown).
                nonlocal written
                while written / FPS < until - 1e-6:
                    picture = held.reformat(
                        width=stored[0], height=stored[1], format="rgb24", interpolation="AREA"
                    ).to_ndarray()
                    coded = io.BytesIO()
                    upright = np.ascontiguousarray(np.rot90(picture, turns))
                    Image.fromarray(upright).save(coded, "JPEG", quality=QUALITY)
                    frames.write(coded.getbuffer())
                    offsets.append(offsets[-1] + coded.tell())
                    written += 1

            try:
                for frame in container.decode(stream):
                    if frame.pts is None:
                        continue
                    at = float(frame.pts * time_base)
                    if origin is None:
                        origin = at
                        turns = round(frame.rotation / 90) % 4
                        upright = _upright(stream, frame.width, frame.height, turns)
                        width, height = _fit(upright)
                        stored = (width, height) if turns % 2 == 0 else (height, width)
                        source_size = upright
                    at -= origin
                    if at > MAX_SECONDS:
                        raise MediaError(path, _too_long(at))
                    if held is not None:
                        emit_until(at)
                    held, end = frame, max(end, at + 1 / rate)
            except (av.error.FFmpegError, ValueError):
                raise MediaError(path, _damaged_at(end)) from None
            if held is None:
                raise MediaError(path, "it holds no pictures (is it cut short?); replace this file")
            if declared and end < declared - CUT_SHORT_S:
                raise MediaError(
                    path,
                    f"damaged or cut short: its pictures stop at {_clock(end)} of the "
                    f"{_clock(declared)} it says it has; replace this file",
                )
            emit_until(end)
    _write(folder / INDEX, np.array(offsets, dtype="<u8").tobytes())
    return {
        "width": width,
        "height": height,
        "fps": FPS,
        "frames": written,
        "seconds": round(end, 6),
        "source_width": source_size[0],
        "source_height": source_size[1],
    }


def _upright(stream: Any, width: int, height: int, turns: int) -> tuple[int, int]:
    """The picture's size as it is shown: its pixels' proportions applied, turned."""
    aspect = stream.sample_aspect_ratio or stream.codec_context.sample_aspect_ratio
    if aspect and aspect > 0 and aspect != 1:
        width = max(1, round(width * aspect))
    return (width, height) if turns % 2 == 0 else (height, width)


def _sound(path: Path, out: Path) -> dict[str, int] | None:
    """The sound track of `path` decoded to FLAC at `out`, faded over SEAM_S at
    each end; its length, or None if the video has none. Raises MediaError."""
    import numpy as np
    import soundfile as sf

    from calmflow.engine.containers import NO_SOUND_TRACK, TrackReader, open_container
    from calmflow.engine.media import probe
    from calmflow.engine.synth import fade_in

    with open_container(path) as container:
        if not container.streams.audio:
            return None
    try:
        probe(path)  # its length, rate and channels found sane, or why not
    except MediaError as exc:
        if exc.reason == NO_SOUND_TRACK:  # only tracks FFmpeg has no decoder for
            return None
        raise
    with TrackReader(path) as track:
        total, rate, channels = track.frames, track.samplerate, track.channels
        seam = min(max(1, round(SEAM_S * rate)), total // 2)
        ramp = fade_in(seam)[:, None]
        with sf.SoundFile(
            str(out), "w", samplerate=rate, channels=channels, format="FLAC", subtype="PCM_24"
        ) as flac:
            os.chmod(out, 0o600)
            at = 0
            while at < total:
                block = track.read(min(SOUND_BLOCK, total - at), always_2d=True)
                if block.shape[0] == 0:
                    raise MediaError(path, "its sound stopped while it was being prepared")
                block = np.array(block, dtype=np.float32)
                head = max(0, min(seam - at, block.shape[0]))
                block[:head] *= ramp[at : at + head]
                tail_from = total - seam
                if at + block.shape[0] > tail_from:
                    lo = max(at, tail_from)
                    block[lo - at :] *= ramp[::-1][lo - tail_from : at + block.shape[0] - tail_from]
                flac.write(block)
                at += block.shape[0]
    return {"frames": total, "rate": rate, "channels": channels}


def _too_long(seconds: float) -> str:
    return (
        f"{_clock(seconds)} long; a video cue plays at most {MAX_SECONDS / 60:g} min:"
        " cut a shorter clip on the phone"
    )


def _damaged_at(seconds: float) -> str:
    if seconds <= 0:
        return "damaged: its pictures cannot be decoded; replace this file"
    return f"damaged: its pictures cannot be decoded {_clock(seconds)} in; replace this file"


def _clock(seconds: float) -> str:
    """`seconds` as a person reads a video's time: 1.2 s, or 12:05."""
    if seconds < 60:
        return f"{seconds:.1f} s"
    whole = int(seconds)
    return f"{whole // 60}:{whole % 60:02d}"


def _remove_older(made: Path) -> None:
    """Remove the proxies of earlier versions of the same file: they are never used again."""
    by_path = made.name.rsplit("-", 1)[0]
    for other in made.parent.glob(f"{by_path}-*"):
        if other != made and not other.name.startswith("."):
            shutil.rmtree(other, ignore_errors=True)


def make_apart(path: Path, root: Path, log_path: Path | None) -> Proxy:
    """`make_proxy` in a child process (see the module docstring); raises
    MediaError saying what is wrong with the video, OSError if the proxy could
    not be written."""
    found = find(path, root)
    if found is not None:
        return found
    try:
        kind, detail = run_apart(
            "calmflow.engine.video_making",
            (str(path), str(root)),
            log_path,
            kill_if_interrupted=True,
        )
    except EndedEarly as exc:
        raise OSError(f"its preparation ended {exc}") from None
    if kind == "problem":
        raise MediaError(path, detail)
    if kind == "error":
        raise OSError(detail)
    proxy = find(path, root)
    if proxy is None:
        raise MediaError(path, "it changed while it was being prepared; check it again")
    return proxy


def main() -> None:
    (path, root), answer = serve_apart()
    with contextlib.suppress(OSError):
        os.nice(NICE)
    reply: tuple[str, Any]
    try:
        make_proxy(Path(path), Path(root))
    except MediaError as exc:
        reply = ("problem", exc.reason)
    except OSError as exc:  # a full disk, a folder that cannot be written
        reply = ("error", f"it could not be prepared ({exc.strerror or exc})")
    else:
        reply = ("done", None)
    # The player may have closed meanwhile: the proxy is made all the same, for next time.
    answer_with(answer, *reply)


if __name__ == "__main__":
    main()
