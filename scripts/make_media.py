"""Synthesize calmflow's bundled media, so that nothing third-party ships with it.

Run from the repository's root:  python scripts/make_media.py
The output is deterministic (fixed seeds), so re-running it changes nothing.
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import numpy as np
import soundfile as sf

MEDIA = Path(__file__).resolve().parent.parent / "media"


def waves(seconds: float = 32.0, rate: int = 44_100) -> np.ndarray:
    """Soft sea-like noise that loops without a seam, even after lossy encoding.

    The noise is made in the frequency domain over exactly the loop's length, so
    it is periodic; a slow swell (4 per loop) gives it the rhythm of waves. The
    swell's trough at the loop point falls to a lull, a moment of near-silence
    between two sets of waves: Vorbis does not keep a file's last samples equal
    to what would come before its first, and at the lull what it changes is far
    below hearing, so the decoded file goes round without a tick.
    """
    n = int(seconds * rate)
    rng = np.random.default_rng(20261123)
    freqs = np.fft.rfftfreq(n, 1 / rate)
    # Brown-ish noise, rolled off above ~900 Hz: a hush, not a hiss.
    shape = 1 / np.maximum(freqs, 40.0) / (1 + (freqs / 900.0) ** 4)
    spectrum = shape * np.exp(2j * np.pi * rng.random(freqs.size))
    spectrum[0] = 0
    noise = np.fft.irfft(spectrum, n)
    t = np.arange(n) / rate
    swell = 0.45 + 0.55 * np.sin(np.pi * t * 4 / seconds) ** 2  # troughs at 0, 8, 16, 24 s
    from_seam = np.minimum(t, seconds - t)  # seconds to the loop point, either way round
    lull = np.where(from_seam < LULL_S, 0.5 - 0.5 * np.cos(np.pi * from_seam / LULL_S), 1.0)
    out = noise * swell * lull
    return (0.5 * out / np.max(np.abs(out))).astype(np.float32)


LULL_S = 1.5
"""The lull at the loop point: the swell's trough there fades to silence and back."""
INAUDIBLE_DB = -90.0
"""A tick above 8 kHz this quiet is under the noise of any playback."""


def seam_db(sound: np.ndarray, rate: int) -> tuple[float, float]:
    """How loud the loop point is above 8 kHz (where a tick shows and this sound
    has nothing), and the loudest anywhere else, in dBFS: a seamless loop has the
    first no higher than the second, or far below hearing."""
    n = sound.shape[0]
    looped = np.concatenate([sound[-n // 2 :], sound, sound[: n // 2]]).astype(np.float64)
    spectrum = np.fft.rfft(looped)
    spectrum[np.fft.rfftfreq(looped.shape[0], 1 / rate) < 8000] = 0
    high = np.abs(np.fft.irfft(spectrum, looped.shape[0]))
    start = n - n // 2  # where the sound itself starts in `looped`; it ends at start + n
    at = high[start + n - 441 : start + n + 441].max()
    elsewhere = high[start + 4410 : start + n - 4410].max()
    return 20 * np.log10(max(at, 1e-12)), 20 * np.log10(max(elsewhere, 1e-12))


def _png(width: int, height: int, rgb: np.ndarray) -> bytes:
    raw = b"".join(b"\x00" + rgb[y].astype(np.uint8).tobytes() for y in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw, 9))
        + chunk(b"IEND", b"")
    )


def calm_picture(width: int = 320, height: int = 200) -> bytes:
    """A soft dawn: a pale sky over a low warm sun and a calm sea."""
    y, x = np.mgrid[0:height, 0:width].astype(float)
    horizon = height * 0.62
    sky_top = np.array([120, 150, 200])
    sky_low = np.array([250, 205, 170])
    sea_top = np.array([150, 150, 185])
    sea_low = np.array([60, 80, 120])
    f = np.clip(y / horizon, 0, 1)[..., None]
    sky = sky_top * (1 - f) + sky_low * f
    g = np.clip((y - horizon) / (height - horizon), 0, 1)[..., None]
    sea = sea_top * (1 - g) + sea_low * g
    img = np.where((y < horizon)[..., None], sky, sea)
    d = np.hypot(x - width * 0.5, (y - horizon) * 1.1)
    sun = np.clip(1 - d / (height * 0.16), 0, 1)[..., None] * (y < horizon)[..., None]
    img = img * (1 - sun) + np.array([255, 236, 200]) * sun
    return _png(width, height, np.clip(img, 0, 255))


def main() -> None:
    MEDIA.mkdir(exist_ok=True)
    sf.write(MEDIA / "waves.ogg", waves(), 44_100, format="OGG", subtype="VORBIS")
    decoded, rate = sf.read(MEDIA / "waves.ogg", dtype="float32")
    at, elsewhere = seam_db(decoded, rate)
    if at > max(elsewhere + 6, INAUDIBLE_DB):
        raise SystemExit(f"waves.ogg does not loop cleanly: {at:.1f} dBFS at its seam")
    (MEDIA / "calm.png").write_bytes(calm_picture())
    print(f"wrote {MEDIA / 'waves.ogg'} (seam {at:.0f} dBFS above 8 kHz) and {MEDIA / 'calm.png'}")


if __name__ == "__main__":
    main()
