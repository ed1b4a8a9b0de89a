# mixgrv — two commands matter: `make run` (set up, open the app) and `make test` (set up, run
# every test headless). Everything else is a helper for those or for packaging.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
UNAME  := $(shell uname -s)
STAMP  := $(VENV)/.installed

ifeq ($(UNAME),Darwin)
REQS := pyproject.toml
INSTALL_DEPS := $(PY) -m pip install -e ".[test]"
else
REQS := requirements-dev.txt pyproject.toml
INSTALL_DEPS := $(PY) -m pip install -r requirements-dev.txt && $(PY) -m pip install --no-deps --no-build-isolation -e .
endif

.PHONY: venv run test test-fast translations ts qm bench app bundle-smoke bundle-build bundle-check clean

$(STAMP): $(REQS)
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip setuptools wheel
	$(INSTALL_DEPS)
	touch $(STAMP)

venv: $(STAMP)

# Compiled translations are build products (not committed).
qm: $(STAMP)
	$(PY) -m mixgrv_app.i18n build

ts: $(STAMP)
	$(PY) -m mixgrv_app.i18n update

run: $(STAMP) qm
	$(PY) -m mixgrv_app

# MLX's Linux CPU wheel links the reference (netlib) BLAS: ~4 GFLOP/s here. Where Debian's
# OpenBLAS is installed (.ci/run installs it) the tests preload it, which makes MLX's matmuls
# ~40x faster (the same sgemm interface, results within the parity tolerances); macOS and the
# app itself never need this (MLX uses Accelerate/Metal there).
OPENBLAS := $(wildcard /usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblas.so.0)

test: $(STAMP) qm
	$(if $(OPENBLAS),LD_PRELOAD=$(OPENBLAS)) QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q $(PYTEST_ARGS)

bench: $(STAMP)
	$(PY) bench/startup.py

# The frozen app is checked against the venv right after each build (tools/bundle_smoke.py:
# same audio on torch and MLX, job processes, window); see README "Building the .app".
ifeq ($(UNAME),Darwin)
FROZEN := dist/mixgrv.app/Contents/MacOS/mixgrv
GET_PYINSTALLER := $(PY) -m pip install -q "pyinstaller>=6.6"
else
FROZEN := dist/mixgrv/mixgrv
GET_PYINSTALLER := true  # PyInstaller is pinned in requirements-dev.txt
endif

# macOS: PyInstaller onedir + BUNDLE -> dist/mixgrv.app (unsigned), then the smoke check.
app: $(STAMP) qm
	$(GET_PYINSTALLER)
	$(PY) -m PyInstaller --noconfirm build_macos.spec
	$(PY) tools/bundle_smoke.py --frozen $(FROZEN)

# Linux smoke build of the same spec (BUNDLE is a no-op off macOS) + the same check; `make test`
# does not. CI (.ci/run) builds while the tests run (bundle-build) and checks after (bundle-check).
bundle-smoke: bundle-build bundle-check

bundle-build: $(STAMP) qm
	$(GET_PYINSTALLER)
	$(PY) -m PyInstaller --noconfirm --log-level WARN build_macos.spec

bundle-check: $(STAMP)
	$(PY) tools/bundle_smoke.py --frozen $(FROZEN)

clean:
	rm -rf build dist .pytest_cache test-artifacts
