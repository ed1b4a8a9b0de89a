"""A tiny ChildService handler for tests/unit/test_jobs.py: state kept between calls, events,
cancellation, a MixgrvError, an unexpected exception, and a way to die."""

from __future__ import annotations

import os
import time

from mixgrv_app.core.errors import MixgrvError
from mixgrv_app.core.jobs import Progress


class Counter:
    def __init__(self, init: dict) -> None:
        self.total = int(init.get("start", 0))

    def add(self, args, events, cancel):
        for i in range(int(args["n"])):
            cancel.raise_if_cancelled()
            self.total += 1
            events(Progress("count", i + 1, args["n"], None, f"{self.total}"))
            time.sleep(float(args.get("pause", 0.0)))
        return {"total": self.total, "pid": os.getpid()}

    def refuse(self, args, events, cancel):
        raise MixgrvError("request.bad_steps", "steps must be 1..200", steps=args["steps"])

    def crash(self, args, events, cancel):
        return {"x": 1 / 0}

    def die(self, args, events, cancel):
        os._exit(3)


def create(init: dict) -> Counter:
    return Counter(init)
