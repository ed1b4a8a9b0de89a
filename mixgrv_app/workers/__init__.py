"""Thin bridges: run a core job off the GUI thread (a Python thread, not a QThread; see
base.py), forward its events as Qt signals in the GUI thread, cancel."""
