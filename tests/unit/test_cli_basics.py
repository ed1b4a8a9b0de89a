"""The CLI entry point: --version and doctor run fast and without heavy imports."""

import json
import subprocess
import sys

from mixgrv_app import __version__


def _run(*args, env=None):
    return subprocess.run([sys.executable, "-m", "mixgrv_app", *args], capture_output=True, text=True, timeout=120, env=env)


def test_version():
    res = _run("--version")
    assert res.returncode == 0
    assert res.stdout.strip() == f"mixgrv {__version__}"


def test_doctor_json_reports_versions_and_data_root(tmp_path):
    res = _run("doctor", "--json", "--models", str(tmp_path))
    assert res.returncode == 0, res.stderr
    info = json.loads(res.stdout)
    assert info["python"].count(".") == 2
    assert "cpu" in info["devices"]
    assert info["models_root"] == str(tmp_path)
    assert info["torch"]  # installed in the test environment


def test_doctor_does_not_import_torch_or_mlx():
    code = (
        "import sys; from mixgrv_app.cli import main; main(['doctor']); "
        "bad = [m for m in ('torch', 'mlx', 'peft', 'PySide6') if m in sys.modules]; "
        "print('HEAVY', bad)"
    )
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    assert "HEAVY []" in res.stdout
