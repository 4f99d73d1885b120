"""A server that answers some of a batch and then fails one request for good: the answers it gave are
journalled (and cached) before the error ends the run, requests after the failure are not sent, and a
rerun asks the server only for what is missing. A real llama.cpp server behind a small real proxy on
127.0.0.1 that returns HTTP 400 for its Nth POST."""
from __future__ import annotations

import json
import threading
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from conftest import assert_user_error, run_cli
from llama_server import embedded_smollm2_server

FAIL_AT = 21  # the server answers 20 requests, then refuses the 21st


class FailingProxy:
    """Forwards to `upstream`; answers the `fail_at`-th POST (1-based) with HTTP 400 instead."""

    def __init__(self, upstream: str, fail_at: int | None):
        self.fail_at, self.posts = fail_at, 0
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _reply(self, status: int, body: bytes):
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _forward(self, body: bytes | None):
                request = urllib.request.Request(upstream + self.path, data=body, method=self.command,
                                                 headers={"Content-Type": "application/json"})
                with urllib.request.urlopen(request, timeout=120) as resp:
                    self._reply(resp.status, resp.read())

            def do_GET(self):
                self._forward(None)

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                proxy.posts += 1
                if proxy.posts == proxy.fail_at:
                    self._reply(400, json.dumps({"error": {"message": "refused on purpose"}}).encode())
                else:
                    self._forward(body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture(scope="module")
def llama_upstream(tmp_path_factory):
    server = embedded_smollm2_server(tmp_path_factory.mktemp("llama"))
    yield f"http://127.0.0.1:{server.port}"
    server.stop()


def _run(proxy: FailingProxy, shared_data, out, env):
    # concurrency=1: requests go one at a time, so "the first 20 answered" is exact.
    spec = f"openai:smollm2,base_url={proxy.base_url},concurrency=1,max_retries=0,timeout=600"
    return run_cli(["run", "--model", spec, "--tasks", "distributional_moralchoice_small", "--limit", "24", "--data-dir",
                    str(shared_data), "--output", str(out), "--no-progress"], env=env)


def test_a_failed_request_keeps_the_batch_answers_before_it(llama_upstream, shared_data, tmp_path, isolated_env):
    proxy = FailingProxy(llama_upstream, FAIL_AT)  # one proxy (one address, so one run id) for both runs
    try:
        result = _run(proxy, shared_data, tmp_path / "out", isolated_env)
        assert_user_error(result, "HTTP 400", "refused on purpose", "20 other answer(s) are kept")
        assert proxy.posts == FAIL_AT  # nothing was sent after the failure
        [run_dir] = (tmp_path / "out").iterdir()
        assert len((run_dir / "journal.jsonl").read_text().splitlines()) == FAIL_AT - 1

        proxy.fail_at, proxy.posts = None, 0
        assert _run(proxy, shared_data, tmp_path / "out", isolated_env).returncode == 0
    finally:
        proxy.close()
    counts = json.loads((run_dir / "manifest.json").read_text())["counts"]
    assert counts["journal_hits"] == FAIL_AT - 1
    assert counts["model_calls"] == proxy.posts == counts["unique_requests"] - (FAIL_AT - 1) > 0
