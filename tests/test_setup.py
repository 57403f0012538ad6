"""The setup script checks before it installs, and says exactly what to install when it cannot."""

import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def check(**env) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["bash", "scripts/setup.sh", "--check"], capture_output=True, text=True, cwd=ROOT, env={**os.environ, **env}
    )


def test_check_reports_everything_in_place():
    done = check()
    assert done.returncode == 0, done.stdout + done.stderr
    for part in ("Debian packages: ok", "Python environment .venv: ok", "reveal.js 6.0.1: ok", "presenter (Qt): ok"):
        assert part in done.stdout


def test_check_names_the_exact_install_line_for_missing_packages():
    done = check(GPTANIM_APT_PACKAGES="pkg-config gptanim-no-such-package")
    assert done.returncode == 1
    assert "apt-get install -y --no-install-recommends gptanim-no-such-package" in done.stdout
