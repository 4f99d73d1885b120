"""The command's model, loaded only when some task needs answers: a task whose run has finished is
answered from its run directory (runner/finished.py) with the fingerprint remembered from an earlier load."""
from __future__ import annotations

import sys
import time

from tqdm import tqdm  # tqdm.write: stderr lines above the command's progress bar, not through it

from pluralbench.models import ModelSpec, load_model
from pluralbench.runner import fingerprint_cache
from pluralbench.runner.execute import PreparedTask, RunOptions, RunSummary
from pluralbench.runner.fingerprint_cache import KnownModel
from pluralbench.runner.finished import finished_summary

BUILT_IN = {"hf", "vllm", "openai", "lmeval"}  # spec kinds whose adapter kind is the same name


class ModelOnDemand:
    def __init__(self, spec_text: str, spec: ModelSpec, opts: RunOptions):
        self.spec_text, self.spec, self.opts = spec_text, spec, opts
        # The files' key is taken before any load: a file replaced meanwhile is not remembered as the old one.
        self.key = fingerprint_cache.model_key(opts.cache_dir, spec)
        self.known = fingerprint_cache.lookup(opts.cache_dir, self.key)
        self.adapter = None
        self.load_seconds = 0.0

    @property
    def kind(self) -> str | None:
        """The adapter kind (ModelAdapter.kind) before any load: embedded models are served by the hf adapter;
        None for a plugin's kind, known only once its adapter has loaded."""
        if self.adapter is not None:
            return self.adapter.kind
        return {"embedded": "hf"}.get(self.spec.kind, self.spec.kind if self.spec.kind in BUILT_IN else None)

    def finished(self, prepared: PreparedTask, judge, opts: RunOptions | None = None) -> RunSummary | None:
        """The stored result of this task's finished run (under `opts`, default the command's), or None when
        it must run."""
        if self.known is None:
            return None
        summary = finished_summary(prepared, self.known, self.spec.identity(), opts or self.opts, judge)
        if summary is not None:
            tqdm.write(f"{prepared.task.name}: finished earlier: answered from its run directory without loading "
                       f"{self.known.describe()}", file=sys.stderr)
        return summary

    def get(self):
        """The loaded adapter (loaded on the first call); its fingerprint is then remembered."""
        if self.adapter is None:
            t0 = time.perf_counter()
            self.adapter = load_model(self.spec_text)
            self.load_seconds = time.perf_counter() - t0
            tqdm.write(f"loaded {self.adapter.describe()} in {self.load_seconds:.1f}s "
                       f"(fingerprint {self.adapter.fingerprint_id()})", file=sys.stderr)
            fingerprint_cache.remember(self.opts.cache_dir, self.key, self.spec, self.adapter)
            # Now known for any kind of model: a later task of this command that has finished is answered
            # from its run directory too, not re-scored.
            self.known = KnownModel(self.adapter.fingerprint(), self.adapter.has_chat_template(),
                                    self.adapter.describe())
        return self.adapter
