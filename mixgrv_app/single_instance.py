"""One mixgrv window per user and data folder: a second start hands its files to the first.

The first instance listens on a QLocalServer whose name is derived from the user and the data
root (so tests with separate ``$MIXGRV_HOME`` folders never see each other). A later instance
connects, sends ``{"paths": [...]}`` as one JSON line, waits for ``ok`` and exits; the first
raises its window and imports the paths. A socket left behind by a crash is removed; a first
instance that does not answer in time is treated as gone (this one starts normally).
"""

from __future__ import annotations

from mixgrv_app import pyside_fix  # noqa: F401  - before any PySide6 call (refcount bug on 3.11)

import json
import logging
import os
import zlib
from typing import TYPE_CHECKING

from PySide6.QtCore import QDir, QObject, Signal, Slot

if TYPE_CHECKING:
    from PySide6.QtNetwork import QLocalServer

# QtNetwork is imported where it is used: when no instance is running (the usual start) the
# check below is one stat() and the server is opened after the first frame (~8 ms saved).

log = logging.getLogger(__name__)

CONNECT_TIMEOUT_MS = 300
REPLY_TIMEOUT_MS = 2000


def server_name() -> str:
    from mixgrv_app import paths

    user = os.environ.get("USER") or os.environ.get("USERNAME") or str(getattr(os, "getuid", lambda: 0)())
    key = f"{user}\0{paths.data_root()}".encode()
    # crc32 is enough to keep data roots apart, and zlib is already loaded (hashlib costs ms)
    return f"mixgrv-{zlib.crc32(key):08x}-{len(key):x}"


class SingleInstance(QObject):
    """``claim()`` once at start; connect ``paths_received`` to the window's import entry point."""

    paths_received = Signal(list)  # paths sent by a later instance (may be empty: just "show")

    def __init__(self, name: str | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.name = name or server_name()
        self.server: QLocalServer | None = None

    def send_to_running(self, paths: list[str]) -> bool:
        """True when another instance is running and accepted ``paths``."""
        if os.name == "posix" and not os.path.exists(os.path.join(QDir.tempPath(), self.name)):
            return False  # no socket file: nobody is listening
        from PySide6.QtNetwork import QLocalSocket

        socket = QLocalSocket()
        socket.connectToServer(self.name)
        if not socket.waitForConnected(CONNECT_TIMEOUT_MS):
            return False
        socket.write((json.dumps({"paths": paths}) + "\n").encode("utf-8"))
        socket.flush()
        socket.waitForBytesWritten(REPLY_TIMEOUT_MS)
        answered = socket.waitForReadyRead(REPLY_TIMEOUT_MS) and socket.readAll().data().startswith(b"ok")
        socket.disconnectFromServer()
        if not answered:
            log.warning("a mixgrv instance is listening on %s but did not answer; starting anyway", self.name)
        return answered

    def listen(self) -> bool:
        """Become the instance others talk to. False (logged) when the name cannot be taken."""
        from PySide6.QtNetwork import QLocalServer

        if self.server is not None:
            return True
        server = QLocalServer(self)
        server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        if not server.listen(self.name):
            # A socket file left by a crashed instance: nobody answered above, so remove it.
            QLocalServer.removeServer(self.name)
            if not server.listen(self.name):
                log.warning("cannot listen on %s: %s", self.name, server.errorString())
                return False
        server.newConnection.connect(self._accept)
        self.server = server
        return True

    def claim(self, paths: list[str]) -> bool:
        """True: this is the first instance (now listening). False: ``paths`` went to the running one."""
        if self.send_to_running(paths):
            return False
        self.listen()
        return True

    def close(self) -> None:
        if self.server is not None:
            self.server.close()
            self.server = None

    @Slot()
    def _accept(self) -> None:
        while self.server is not None and self.server.hasPendingConnections():
            from PySide6.QtNetwork import QLocalSocket

            socket = self.server.nextPendingConnection()
            buffer = bytearray()

            def read(socket: QLocalSocket = socket, buffer: bytearray = buffer) -> None:
                buffer.extend(socket.readAll().data())
                if b"\n" not in buffer:
                    return
                line = bytes(buffer).split(b"\n", 1)[0]
                try:
                    paths = [str(p) for p in json.loads(line.decode("utf-8")).get("paths", [])]
                except (ValueError, AttributeError, TypeError):
                    log.warning("ignoring a malformed message from another mixgrv instance")
                    socket.disconnectFromServer()
                    return
                socket.write(b"ok\n")
                socket.flush()
                self.paths_received.emit(paths)

            socket.readyRead.connect(read)
            socket.disconnected.connect(socket.deleteLater)
            if socket.bytesAvailable():
                read()
            if socket.state() == QLocalSocket.LocalSocketState.UnconnectedState:
                socket.deleteLater()
