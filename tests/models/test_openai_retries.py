"""The openai adapter's HTTP behaviour against a small local server on 127.0.0.1 that fails on purpose:
retries with backoff on 429/5xx and timeouts, immediate failure on other errors, bounded concurrency."""
from __future__ import annotations

import json
import math
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from pluralbench.errors import UserError
from pluralbench.models import load_model
from pluralbench.models.base import Rendered
from pluralbench.models.http_client import ServerError


def completion_answer(top: dict[str, float]) -> dict:
    """A /v1/completions answer in the OpenAI shape, one generated token with its top alternatives."""
    first = max(top, key=top.get)
    return {"id": "cmpl-1", "object": "text_completion", "model": "flaky",
            "choices": [{"index": 0, "text": first, "finish_reason": "length",
                         "logprobs": {"tokens": [first], "token_logprobs": [top[first]], "text_offset": [0],
                                      "top_logprobs": [top]}}]}


class FlakyServer:
    """Fails the first `failures` POSTs with the given statuses (or sleeps past the client's timeout), then answers."""

    def __init__(self, failures: list, answer: dict):
        self.failures = list(failures)
        self.answer = answer
        self.posts = 0
        self.in_flight = 0
        self.max_in_flight = 0
        self.lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _send(self, status, body, headers=()):
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for k, v in headers:
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                self._send(200, {"object": "list", "data": [{"id": "flaky", "object": "model", "owned_by": "test",
                                                             "created": int(time.time())}]})

            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with server.lock:
                    server.posts += 1
                    failure = server.failures.pop(0) if server.failures else None
                    server.in_flight += 1
                    server.max_in_flight = max(server.max_in_flight, server.in_flight)
                answering = True

                def answered():  # before the answer is written: once it is, the client may send the next one
                    nonlocal answering
                    with server.lock:
                        server.in_flight -= answering
                    answering = False

                try:
                    if failure == "slow":
                        time.sleep(1.5)
                        answered()
                        self._send(200, server.answer)
                    elif failure == 429:
                        answered()
                        self._send(429, {"error": "rate limited"}, [("Retry-After", "0")])
                    elif failure is not None:
                        answered()
                        self._send(failure, {"error": {"message": f"status {failure} on purpose"}})
                    else:
                        time.sleep(0.05)  # long enough for concurrent requests to overlap
                        answered()
                        self._send(200, server.answer)
                finally:
                    answered()

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


TOP = {" A": math.log(0.6), " B": math.log(0.3), "The": math.log(0.05)}


def _adapter(server, **options):
    opts = "".join(f",{k}={v}" for k, v in options.items())
    # backoff=0.01: a fast test; the retry policy, not the wait, is what is tested.
    return load_model(f"openai:flaky,base_url={server.base_url},backoff=0.01{opts}")


def test_retries_429_and_5xx_then_succeeds():
    with FlakyServer([503, 429, 500], completion_answer(TOP)) as server:
        adapter = _adapter(server, max_retries=3)
        [out] = adapter.option_distributions([Rendered(text="Q?\nAnswer:")], [("A", "B", "C")])
        assert server.posts == 4
        assert adapter.client.stats.retries == 3
        assert adapter.client.stats.retried_statuses == {"503": 1, "429": 1, "500": 1}
    assert math.exp(out.label_logprobs[0]) == pytest.approx(0.6)
    assert math.exp(out.label_logprobs[1]) == pytest.approx(0.3)
    assert out.label_logprobs[2] is None and out.topk["unreported_labels"] == ["C"]
    assert out.covered_mass == pytest.approx(0.9)


def test_gives_up_after_max_retries_with_the_last_error():
    with FlakyServer([502, 502, 502], completion_answer(TOP)) as server:
        adapter = _adapter(server, max_retries=2)
        with pytest.raises(ServerError, match=r"failed after 3 attempts; last: HTTP 502.*status 502 on purpose"):
            adapter.option_distributions([Rendered(text="Q?")], [("A", "B")])
        assert server.posts == 3


def test_client_errors_are_not_retried():
    with FlakyServer([400], completion_answer(TOP)) as server:
        adapter = _adapter(server, max_retries=5)
        with pytest.raises(ServerError, match="HTTP 400"):
            adapter.option_distributions([Rendered(text="Q?")], [("A", "B")])
        assert server.posts == 1


def test_timeout_is_retried():
    with FlakyServer(["slow"], completion_answer(TOP)) as server:
        adapter = _adapter(server, timeout=0.5, max_retries=2)
        [out] = adapter.option_distributions([Rendered(text="Q?")], [("A", "B")])
        assert server.posts == 2 and adapter.client.stats.retries == 1
    assert math.exp(out.label_logprobs[0]) == pytest.approx(0.6)


def test_concurrency_is_bounded():
    with FlakyServer([], completion_answer(TOP)) as server:
        adapter = _adapter(server, concurrency=3)
        outs = adapter.option_distributions([Rendered(text=f"Q{i}?") for i in range(12)], [("A", "B")] * 12)
        assert len(outs) == 12 and server.posts == 12
        assert 2 <= server.max_in_flight <= 3


def test_spec_errors_are_user_errors():
    with pytest.raises(UserError, match="needs base_url"):
        load_model("openai:m")
    with pytest.raises(UserError, match="not an http"):
        load_model("openai:m,base_url=ftp://x")
    with pytest.raises(UserError, match="unknown option"):
        load_model("openai:m,base_url=http://127.0.0.1:9/v1,topk=3")
    with pytest.raises(UserError, match="cannot reach the server"):
        load_model("openai:m,base_url=http://127.0.0.1:9/v1,max_retries=0")
    with FlakyServer([], completion_answer(TOP)) as server:
        with pytest.raises(UserError, match="does not serve model 'other'; it serves: flaky"):
            load_model(f"openai:other,base_url={server.base_url}")


def test_a_failed_request_carries_the_answers_before_it_and_stops_the_rest():
    from pluralbench.errors import partial_answers

    with FlakyServer([None, 400], completion_answer(TOP)) as server:
        adapter = _adapter(server, concurrency=1)
        with pytest.raises(ServerError, match="HTTP 400") as info:
            adapter.option_distributions([Rendered(text=f"Q{i}?") for i in range(4)], [("A", "B")] * 4)
        assert server.posts == 2  # the two after the failure were never sent
    kept = partial_answers(info.value)
    assert list(kept) == [0] and kept[0].covered_mass == pytest.approx(0.9)
