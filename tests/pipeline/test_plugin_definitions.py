"""meltano.yml and the README settings tables mirror what the plugins report about themselves
(`--about --format=json`), and `--version` names the package version."""

from __future__ import annotations

import copy
import subprocess
from importlib.metadata import version

import pytest
import yaml

from local_services.plugin_definitions import (PLUGINS, ROOT, about, differences, meltano_plugin,
                                               readme_with_tables)


@pytest.fixture(scope="module")
def infos():
    return {name: about(name) for name in PLUGINS.values()}


@pytest.mark.parametrize("kind,name", PLUGINS.items())
def test_meltano_yml_mirrors_about(infos, kind, name):
    diffs = differences(infos[name], meltano_plugin(kind, name))
    assert not diffs, "meltano.yml differs from --about:\n" + "\n".join(diffs)


def test_readme_settings_tables_are_current(infos):
    readme = (ROOT / "README.md").read_text()
    assert readme_with_tables(readme, list(infos.values())) == readme, (
        "README.md settings tables are out of date: run .venv/bin/python -m local_services.plugin_definitions --readme")


def test_drift_is_named(infos):
    plugin = copy.deepcopy(meltano_plugin("extractors", "tap-zohobooks"))
    settings = {s["name"]: s for s in plugin["settings"]}
    plugin["settings"] = [s for s in plugin["settings"] if s["name"] != "page_size"]
    settings["lookback_seconds"]["value"] = 30
    settings["client_secret"].pop("sensitive")
    settings["region"].pop("description")
    settings["max_retries"]["kind"] = "string"
    plugin["capabilities"].remove("batch")
    diffs = "\n".join(differences(infos["tap-zohobooks"], plugin))
    for expected in ("setting page_size is not declared", "lookback_seconds: meltano.yml value 30",
                     "client_secret: meltano.yml sensitive=False", "region: no description in meltano.yml",
                     "max_retries: meltano.yml kind 'string'", "capability batch is not declared"):
        assert expected in diffs


@pytest.mark.parametrize("plugin", PLUGINS.values())
def test_version_is_the_package_version(plugin):
    out = subprocess.run([str(ROOT / ".venv" / "bin" / plugin), "--version"], capture_output=True, text=True,
                         check=True).stdout
    assert out.startswith(f"{plugin} v{version('zohobooks-bigquery')},"), out


def test_meltano_yml_is_valid_yaml_with_every_job_plugin_declared():
    project = yaml.safe_load((ROOT / "meltano.yml").read_text())
    names = {p["name"] for kind in project["plugins"].values() for p in kind}
    for job in project["jobs"]:
        for task in job["tasks"]:
            assert set(task.split()) <= names, task
