"""QThread bridges: run a core job off the GUI thread, forward its events as Qt signals, cancel."""
