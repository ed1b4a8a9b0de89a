"""Playback of takes through sounddevice, with a position the waveform playhead follows.

One :class:`Player` per tab. It holds the decoded take in memory (float32 ``[frames, channels]``)
and feeds a PortAudio output stream from its callback; the callback only copies frames and moves
an integer cursor, so the GUI thread never waits on audio. A QTimer in the GUI thread reads the
cursor ~30 times a second and emits ``position_changed``.

``switch_to(path)`` replaces the source while keeping the position: the A/B view uses it so the
listener hears the same bar of another version.

sounddevice (and PortAudio behind it) is imported on first play, not when the window opens: a
Mac without the library, or this CI machine without an audio device, gets a clear message
(``error`` signal, translated) and the app carries on.
"""

from __future__ import annotations

from mixgrv_app import pyside_fix  # noqa: F401  - before any PySide6 call (refcount bug on 3.11)

import logging
import threading
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal, Slot

log = logging.getLogger(__name__)

STOPPED, PLAYING, PAUSED = "stopped", "playing", "paused"


class Player(QObject):
    position_changed = Signal(float)   # seconds
    state_changed = Signal(str)        # stopped / playing / paused
    source_changed = Signal(str)       # the path now loaded ("" when none)
    error = Signal(str)                # a translated sentence for the user

    POLL_MS = 33

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("player")
        self._data: Any = None              # numpy float32 [frames, channels]
        self._rate = 48000
        self._frame = 0                     # next frame the callback will play
        self._lock = threading.Lock()
        self._stream: Any = None
        self._sd: Any = None
        self._state = STOPPED
        self._source = ""
        self.frames_played = 0              # frames handed to the device since the last load (tests)
        self._timer = QTimer(self, interval=self.POLL_MS)
        self._timer.timeout.connect(self._poll)

    # -- facts -------------------------------------------------------------------------------
    @property
    def state(self) -> str:
        return self._state

    @property
    def source(self) -> str:
        return self._source

    def duration(self) -> float:
        return 0.0 if self._data is None else len(self._data) / float(self._rate)

    def position(self) -> float:
        return self._frame / float(self._rate)

    # -- loading -----------------------------------------------------------------------------
    def load(self, path: str) -> bool:
        """Decode ``path`` into memory and stop whatever played. False (and ``error``) on failure."""
        data, rate = self._read(path)
        if data is None:
            return False
        self.stop()
        self._close_stream()
        with self._lock:
            self._data, self._rate, self._frame = data, rate, 0
        self.frames_played = 0
        self._source = str(path)
        self.source_changed.emit(self._source)
        self.position_changed.emit(0.0)
        return True

    def switch_to(self, path: str) -> bool:
        """Replace the source, keep the position (in seconds) and the playing state."""
        if not self._source:
            return self.load(path)
        seconds, was = self.position(), self._state
        data, rate = self._read(path)
        if data is None:
            return False
        same_format = (
            self._data is not None and rate == self._rate and data.shape[1] == self._data.shape[1]
        )
        if not same_format:
            self.stop()
            self._close_stream()
        with self._lock:
            self._data, self._rate = data, rate
            self._frame = min(int(seconds * rate), max(0, len(data) - 1))
        self._source = str(path)
        self.source_changed.emit(self._source)
        if was == PLAYING and not same_format:
            self.play()
        self.position_changed.emit(self.position())
        return True

    def _read(self, path: str) -> tuple[Any, int]:
        try:
            import numpy as np
            import soundfile

            data, rate = soundfile.read(str(path), dtype="float32", always_2d=True)
            return np.ascontiguousarray(data), int(rate)
        except Exception as exc:  # noqa: BLE001 - any undecodable file becomes a message
            log.warning("cannot read %s for playback: %s", path, exc)
            self.error.emit(self.tr("This take cannot be played: the file {name} could not be read.").format(name=Path(path).name))
            return None, 0

    # -- transport -----------------------------------------------------------------------------
    def _device_module(self) -> Any:
        if self._sd is None:
            try:
                import sounddevice  # lazily: PortAudio may be missing on this machine
            except (OSError, ImportError) as exc:
                log.warning("sounddevice unavailable: %s", exc)
                self.error.emit(self.tr("Playback is not available: the audio library (PortAudio) could not be loaded."))
                return None
            self._sd = sounddevice
        return self._sd

    def _open_stream(self) -> bool:
        if self._stream is not None:
            return True
        sd = self._device_module()
        if sd is None:
            return False
        try:
            self._stream = sd.OutputStream(
                samplerate=self._rate, channels=int(self._data.shape[1]), dtype="float32", callback=self._callback
            )
        except Exception as exc:  # noqa: BLE001 - PortAudioError, ValueError for "no device"
            log.warning("cannot open an audio output: %s", exc)
            self._stream = None
            self.error.emit(
                self.tr("No audio output device was found. Connect headphones or speakers, or choose an output in System Settings > Sound, then press Play again.")
            )
            return False
        return True

    def _close_stream(self) -> None:
        stream, self._stream = self._stream, None
        if stream is not None:
            try:
                stream.abort()
                stream.close()
            except Exception:  # noqa: BLE001 - a device that vanished mid-play
                pass

    @Slot()
    def play(self) -> bool:
        if self._data is None:
            return False
        if self._frame >= len(self._data):
            self._frame = 0
        if not self._open_stream():
            return False
        try:
            if not self._stream.active:
                if self._stream.stopped is False:  # finished by CallbackStop: needs a fresh stream
                    self._close_stream()
                    if not self._open_stream():
                        return False
                self._stream.start()
        except Exception as exc:  # noqa: BLE001
            log.warning("cannot start playback: %s", exc)
            self._close_stream()
            self.error.emit(self.tr("Playback could not start on this audio device. Check System Settings > Sound."))
            return False
        self._set_state(PLAYING)
        self._timer.start()
        return True

    @Slot()
    def pause(self) -> None:
        if self._state != PLAYING:
            return
        if self._stream is not None:
            try:
                self._stream.stop()
            except Exception:  # noqa: BLE001
                self._close_stream()
        self._timer.stop()
        self._set_state(PAUSED)
        self.position_changed.emit(self.position())

    @Slot()
    def toggle(self) -> None:
        self.pause() if self._state == PLAYING else self.play()

    @Slot()
    def stop(self) -> None:
        if self._stream is not None:
            try:
                self._stream.stop()
            except Exception:  # noqa: BLE001
                self._close_stream()
        self._timer.stop()
        with self._lock:
            self._frame = 0
        if self._state != STOPPED:
            self._set_state(STOPPED)
        self.position_changed.emit(0.0)

    def seek(self, seconds: float) -> None:
        if self._data is None:
            return
        with self._lock:
            self._frame = max(0, min(int(seconds * self._rate), len(self._data) - 1))
        self.position_changed.emit(self.position())

    def seek_fraction(self, fraction: float) -> None:
        self.seek(fraction * self.duration())

    def shutdown(self) -> None:
        self._timer.stop()
        self._close_stream()

    # -- audio thread ---------------------------------------------------------------------------
    def _callback(self, outdata, frames, _time, _status) -> None:  # noqa: ANN001 - PortAudio thread
        with self._lock:
            data, start = self._data, self._frame
            n = 0 if data is None else max(0, min(frames, len(data) - start))
            if n:
                outdata[:n] = data[start:start + n]
            self._frame = start + n
            self.frames_played += n
        if n < frames:
            outdata[n:] = 0
            raise self._sd.CallbackStop()

    # -- GUI thread -----------------------------------------------------------------------------
    @Slot()
    def _poll(self) -> None:
        self.position_changed.emit(self.position())
        stream = self._stream
        if self._state == PLAYING and (stream is None or not stream.active):
            # reached the end: back to the start, like a Finder preview
            self._timer.stop()
            self._close_stream()
            with self._lock:
                self._frame = 0
            self._set_state(STOPPED)
            self.position_changed.emit(0.0)

    def _set_state(self, state: str) -> None:
        if state != self._state:
            self._state = state
            self.state_changed.emit(state)
