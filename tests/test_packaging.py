"""The package as an application's tests meet it: installed beside a checkout (`pip install .`
leaves pg_eventstore.egg-info/ in the repository root, its entry points on the tests' path; an
installed package has the same entry point: either way the pytest plugin loads once), and its
plugin's throwaway server, which must not outlive a killed pytest."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.helpers import built_distributions

REPO = Path(__file__).resolve().parent.parent


def test_the_suite_runs_with_the_package_built_in_the_checkout(tmp_path):
    """Before, the plugin came twice (the egg-info's entry point and conftest.py's
    pytest_plugins) and every run stopped with "Plugin already registered under a different
    name"."""
    copy = tmp_path / "checkout"
    tracked = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=REPO, check=True,
                             capture_output=True, text=True).stdout.split()
    for name in tracked:
        if (REPO / name).is_file():
            (copy / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / name, copy / name)
    # What `pip install .` leaves behind in the checkout (its metadata step), without the network.
    subprocess.run([sys.executable, "setup.py", "-q", "egg_info"], cwd=copy, check=True, capture_output=True)
    entry_points = (copy / "pg_eventstore.egg-info" / "entry_points.txt").read_text()
    assert "[pytest11]" in entry_points and "eventstore.pytest_plugin" in entry_points
    done = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "no:xdist", "-q",
                           "tests/test_readme_flags.py::test_the_readme_names_flags"],
                          cwd=copy, capture_output=True, text=True, timeout=300)
    output = done.stdout + done.stderr
    assert "already registered" not in output, output
    assert done.returncode == 0 and "1 passed" in output, output


PLUGIN_TEST = '''
import os, time
from pathlib import Path

def test_waits(eventstore, eventstore_server):
    assert eventstore.stream_version("T", __import__("uuid").uuid4()) == 0
    Path(os.environ["MARK"]).write_text(str(eventstore_server.base_dir))
    time.sleep(600)
'''


@pytest.mark.slow
@pytest.mark.parametrize("signal_name", ["SIGTERM", "SIGKILL"])
def test_the_plugins_throwaway_server_goes_with_a_killed_pytest(tmp_path, signal_name):
    """An application's pytest run on the plugin's throwaway server, killed mid-test (a CI
    cancel sends SIGTERM; an OOM kill, SIGKILL): the server stops and its directory goes.
    Before, the postmaster ran on and /tmp/eventstore-pytest-* stayed, one per run."""
    (tmp_path / "test_app.py").write_text(PLUGIN_TEST)
    mark = tmp_path / "base_dir"
    run = subprocess.Popen([sys.executable, "-m", "pytest", "-p", "eventstore.pytest_plugin", "-p", "no:cacheprovider",
                            "-q", "test_app.py"], cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                           env={**os.environ, "PYTHONPATH": str(REPO), "MARK": str(mark)})
    try:
        deadline = time.monotonic() + 120
        while not mark.exists() and time.monotonic() < deadline and run.poll() is None:
            time.sleep(0.2)
        assert mark.exists(), "the test ran on a throwaway server"
        base = Path(mark.read_text())
        postmaster = int((base / "data" / "postmaster.pid").read_text().split()[0])
        os.kill(postmaster, 0)  # running
        run.send_signal(getattr(signal, signal_name))
        run.wait(30)
    finally:
        if run.poll() is None:
            run.kill()
    deadline = time.monotonic() + 30
    while (base.exists() or alive(postmaster)) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not alive(postmaster), "the server stopped"
    assert not base.exists(), "its directory is gone"


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


INSTALLED_USE = '''
import sys, uuid
import eventstore
from eventstore import EventStore, NewEvent, NO_STREAM
assert "site-packages" in eventstore.__file__, eventstore.__file__
with EventStore.connect(sys.argv[1], max_size=1) as store:
    stream = uuid.uuid4()
    version = store.append("Parcel", stream, [NewEvent("Sent", {"to": "ann"})], expected_version=NO_STREAM)
    print(version, [e.event_type for e in store.read_stream("Parcel", stream)])
'''


@pytest.mark.slow  # builds the sdist and the wheel, and installs into a new venv from the package index: ~1 min
def test_the_built_wheel_installs_into_a_clean_venv_and_deploys_and_runs_a_store(db, tmp_path):
    """What a user does with no checkout: pip install the wheel (pg-eventstore) into a new venv,
    deploy the bundle the wheel carries into an empty database, append and read. The sdist and
    the wheel pass twine check."""
    wheel, sdist = built_distributions(tmp_path)
    checked = subprocess.run([sys.executable, "-m", "twine", "check", "--strict", str(wheel), str(sdist)],
                             capture_output=True, text=True, timeout=120)
    assert checked.returncode == 0, checked.stdout + checked.stderr

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    installed = subprocess.run([str(venv / "bin" / "pip"), "install", "-q", str(wheel)], capture_output=True,
                               text=True, timeout=600)
    assert installed.returncode == 0, installed.stdout + installed.stderr
    elsewhere = tmp_path / "elsewhere"  # no checkout on the path
    elsewhere.mkdir()
    empty = f"wheel_{os.getpid()}"
    db.cluster.create_database(empty)
    try:
        conninfo = db.cluster.conninfo(empty)
        deployed = subprocess.run([str(venv / "bin" / "python"), "-m", "eventstore", "deploy", conninfo,
                                   "--without-sqitch"], cwd=elsewhere, capture_output=True, text=True, timeout=300)
        assert deployed.returncode == 0, deployed.stdout + deployed.stderr
        used = subprocess.run([str(venv / "bin" / "python"), "-c", INSTALLED_USE, conninfo], cwd=elsewhere,
                              capture_output=True, text=True, timeout=120)
        assert used.returncode == 0, used.stdout + used.stderr
        assert used.stdout.strip() == "1 ['Sent']"
    finally:
        db.cluster.drop_database(empty)
