"""Start and stop a real llama-cpp-python OpenAI-compatible server on 127.0.0.1 for the tests."""
from __future__ import annotations

import importlib.util
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def require_llama_cpp() -> None:
    if importlib.util.find_spec("llama_cpp") is None:
        message = "llama-cpp-python[server] is not installed (./scripts/setup.sh builds and installs it)"
        if os.environ.get("CI"):
            pytest.fail(message)  # CI must run the server tests, not skip them
        pytest.skip(message)


class LlamaServer:
    def __init__(self, gguf: Path, alias: str, log_path: Path, threads: int = 2):
        self.port = free_port()
        self.alias = alias
        self.log_path = log_path
        self.args = [sys.executable, "-m", "llama_cpp.server", "--model", str(gguf), "--model_alias", alias,
                     "--host", "127.0.0.1", "--port", str(self.port), "--n_ctx", "2048", "--n_threads", str(threads),
                     "--n_threads_batch", str(threads), "--seed", "0", "--verbose", "false"]
        self.proc: subprocess.Popen | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def start(self, timeout_s: float = 120.0) -> "LlamaServer":
        log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(self.args, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"llama server exited with {self.proc.returncode}: {self.log_path.read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(f"{self.base_url}/models", timeout=2) as resp:
                    if json.load(resp).get("data"):
                        return self
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"llama server not ready after {timeout_s}s: {self.log_path.read_text()[-2000:]}")

    def stop(self) -> None:
        """Stop our own server by its PID: SIGTERM, then SIGKILL if it lingers."""
        if self.proc is None or self.proc.poll() is not None:
            return
        os.kill(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=15)


def embedded_smollm2_server(log_dir: Path, threads: int = 2) -> LlamaServer:
    """A started server on the embedded SmolLM2 GGUF, served under the alias 'smollm2'."""
    require_llama_cpp()
    from pluralbench.models.embedded import EMBEDDED_MODELS

    gguf = EMBEDDED_MODELS["smollm2-135m-instruct"].locate()
    return LlamaServer(gguf, "smollm2", Path(log_dir) / "server.log", threads=threads).start()


def first_unique_questions(data_dir: Path, n: int, task_name: str = "distributional_globalopinionqa"):
    """The first n distinct prompts of a task (the server/transformers agreement set) and its answer prefix."""
    from pluralbench.data import load_task_data
    from pluralbench.runner.execute import loader_context
    from pluralbench.taskfile import get_task

    task = get_task(task_name)
    dataset = load_task_data(task.data, loader_context(task, data_dir))
    seen, items = set(), []
    for item in dataset.items:
        if item["prompt"] not in seen:
            seen.add(item["prompt"])
            items.append(item)
        if len(items) == n:
            break
    return items, task.prompt.get("answer_prefix")
