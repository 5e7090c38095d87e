import subprocess
import sys
from pathlib import Path


def test_the_package_type_checks_strictly():
    package = Path(__file__).parents[1] / "src" / "keygate"
    checked = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--cache-dir", "/dev/null", str(package)], capture_output=True, text=True
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
