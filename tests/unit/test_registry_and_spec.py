"""Model specs, the plugin registry and entry-point discovery (through a real installed-style plugin)."""
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import pluralbench

from pluralbench.errors import UnknownName, UserError
from pluralbench.models.spec import parse_model_spec
from pluralbench.registry import Registry, metrics


def test_spec_parsing():
    spec = parse_model_spec("hf:/models/x,gguf_file=m.gguf,dtype=float32")
    assert (spec.kind, spec.name, spec.options) == ("hf", "/models/x", {"gguf_file": "m.gguf", "dtype": "float32"})
    assert spec.canonical() == "hf:/models/x,dtype=float32,gguf_file=m.gguf"
    assert parse_model_spec("embedded:smollm2-135m-instruct").options == {}
    assert parse_model_spec("hf:x,trust_remote_code=true").bool_option("trust_remote_code") is True
    # the thread count is how fast, not which model: kept in the canonical spec, left out of the identity
    threaded = parse_model_spec("embedded:smollm2-135m-instruct,threads=1,dtype=bfloat16")
    assert threaded.canonical() == "embedded:smollm2-135m-instruct,dtype=bfloat16,threads=1"
    assert threaded.identity() == "embedded:smollm2-135m-instruct,dtype=bfloat16"


@pytest.mark.parametrize("text, fragment", [
    ("smollm2", "needs a kind"),
    ("hf:", "needs both a kind and a name"),
    ("hf:x,dtype", "is not key=value"),
    ("hf:x,a=1,a=2", "given twice"),
])
def test_bad_specs(text, fragment):
    with pytest.raises(UserError, match=fragment):
        parse_model_spec(text)


def test_unknown_names_list_the_known_ones():
    reg = Registry("widget", "pluralbench.test_widgets_none")
    reg.register("b", 1)
    reg.register("a", 2)
    with pytest.raises(UnknownName) as err:
        reg.get("c")
    assert str(err.value) == "unknown widget 'c'; known widgets: a, b"
    with pytest.raises(UserError, match="registered twice"):
        reg.register("a", 3)
    assert "js_distance" in metrics.names()


def write_plugin(root, module_source: str, task_metric_line: str):
    """An installed-style plugin package: a metric in the `pluralbench.metrics` entry-point group and a task
    directory in `pluralbench.tasks` whose one task uses that metric."""
    pkg = root / "pb_plugin_demo"
    (pkg / "tasks").mkdir(parents=True)
    (pkg / "__init__.py").write_text(module_source)
    (pkg / "tasks" / "__init__.py").write_text("")
    (pkg / "tasks" / "demo_plugin_task.yaml").write_text(textwrap.dedent("""\
        name: demo_plugin_task
        version: 3
        family: multiple_choice_distribution
        description: a task from a plugin
        data: {local: {path: demo.json, format: modular_pluralism_mc}}
        params:
        """) + f"  {task_metric_line}\n")
    dist = root / "pb_plugin_demo-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: pb-plugin-demo\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text(
        "[pluralbench.metrics]\nhalf_distance = pb_plugin_demo:half_distance\n\n"
        "[pluralbench.tasks]\ndemo = pb_plugin_demo.tasks\n")


def run_with_plugin(root, code: str):
    # This checkout's pluralbench (not whichever one is installed) next to the plugin.
    checkout = str(Path(pluralbench.__file__).resolve().parent.parent)
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
                          env={"PYTHONPATH": os.pathsep.join([str(root), checkout]), "PATH": "/usr/bin:/bin"})


def test_entry_point_plugins_add_tasks_and_metrics(tmp_path):
    """A third-party package adds a declared metric and a task directory through entry points."""
    write_plugin(tmp_path, textwrap.dedent("""\
        from pluralbench.metrics.declared import declare_metric

        @declare_metric("half_distance", "distribution_pair", direction="lower", bounds=(0, 1),
                        description="always one half")
        def half_distance(p, q, base=2):
            return 0.5
        """), "metrics: [{name: half, metric: half_distance}]")
    out = run_with_plugin(tmp_path, """\
        from pluralbench.registry import metrics
        from pluralbench.taskfile import get_task, task_names
        assert metrics.get("half_distance")([1], [1]) == 0.5
        assert metrics.get("half_distance").direction == "lower"
        assert "demo_plugin_task" in task_names()
        task = get_task("demo_plugin_task")
        print(task.version, task.family_impl().metric_parameters(task)["metrics"][0]["direction"])
        """)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "3 lower"


def test_an_undeclared_plugin_metric_is_refused_saying_how_to_declare_it(tmp_path):
    write_plugin(tmp_path, "def half_distance(p, q, base=2):\n    return 0.5\n",
                 "metrics: [{name: half, metric: half_distance, direction: lower}]")
    out = run_with_plugin(tmp_path, """\
        from pluralbench.errors import UserError
        from pluralbench.taskfile import get_task
        try:
            get_task("demo_plugin_task")
        except UserError as exc:
            print(exc)
        """)
    assert out.returncode == 0, out.stderr
    [line] = out.stdout.splitlines()
    assert "$.metrics[0].metric" in line
    assert "metric 'half_distance' (pb_plugin_demo.half_distance) is not declared" in line
    assert "declare_metric('half_distance', kind, direction=" in line and "distribution_pair" in line


def test_task_plugin_may_be_a_namespace_package(tmp_path):
    """A `pluralbench.tasks` entry point naming a package without __init__.py (no __file__) is a directory too."""
    import types

    from pluralbench.taskfile import _plugin_dir

    namespace = types.ModuleType("pb_tasks_ns")
    namespace.__file__ = None
    namespace.__path__ = [str(tmp_path)]
    assert _plugin_dir(namespace) == tmp_path
    assert _plugin_dir(str(tmp_path)) == tmp_path
