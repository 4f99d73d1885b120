"""Embedding judge: cosine similarity of sentence embeddings, mapped to [0, 1] as max(0, cosine).

all-MiniLM-L6-v2 (mean pooling over tokens, L2-normalised, as its sentence-transformers config
says) is a similarity model, not an entailment model: it is symmetric, so both directions give the
same score, and it rewards shared topic as well as shared meaning. Negative cosines (rare with this
model) are clipped to 0: "no evidence of coverage". The score is not a probability, so a fixed
threshold such as 0.33 means something different than for an NLI judge; `pluralbench judge-eval`
measures how well the scores separate matched from mismatched pairs.

MiniLM is small, so it runs in float64 and scores are rounded to 9 decimals: float32 results moved
by up to 2e-7 with the process's memory history (measured), which would make a resumed run's
numbers differ in the last digits from an uninterrupted run's.
"""
from __future__ import annotations

import json
from collections import OrderedDict
from pathlib import Path
from typing import Sequence

import numpy as np

from pluralbench.errors import UserError
from pluralbench.hashing import sha256_files
from pluralbench.judges.base import Judge
from pluralbench.judges.minilm import PACKAGE, package_version, packaged_minilm_dir
from pluralbench.judges.spec import JudgeSpec

DIGITS = 9  # rounding of scores computed in float64 (see the module docstring)
MEMO_TEXTS = 20_000  # embeddings kept between batches: an explanation meets every sentence of its response


class EmbeddingJudge(Judge):
    name = "embedding"
    score_rule = "max(0, cosine similarity) of mean-pooled, L2-normalised sentence embeddings"
    default_batch_size = 64

    def __init__(self, spec: str, model, tokenizer, *, weights: dict, max_length: int, batch_size: int):
        super().__init__(spec)
        self.model = model.eval()
        self.tokenizer = tokenizer
        self.max_length = max_length
        self.batch_size = batch_size
        self._weights = weights
        self._memo: OrderedDict[str, np.ndarray] = OrderedDict()

    def fingerprint(self) -> dict:
        import transformers

        return {"judge": self.name, "weights": self._weights, "pooling": "mean", "normalise": True,
                "max_length": self.max_length, "score": self.score_rule, "dtype": "float64", "digits": DIGITS,
                "engine": "transformers",
                "engine_version": transformers.__version__}

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        import torch

        out = []
        with torch.inference_mode():
            for start in range(0, len(texts), self.batch_size):
                chunk = list(texts[start:start + self.batch_size])
                enc = self.tokenizer(chunk, padding=True, truncation=True, max_length=self.max_length,
                                     return_tensors="pt")
                hidden = self.model(**enc).last_hidden_state.double()
                mask = enc["attention_mask"].unsqueeze(-1).double()
                pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
                out.append(torch.nn.functional.normalize(pooled, p=2, dim=1).numpy())
        return np.concatenate(out) if out else np.zeros((0, 0))

    def score_pairs(self, pairs):
        if not pairs:
            return []
        texts = sorted({t for pair in pairs for t in pair})  # each distinct text embedded once
        new = [t for t in texts if t not in self._memo]
        for text, vector in zip(new, self.embed(new)):
            self._memo[text] = vector
        vectors = {}
        for text in texts:
            self._memo.move_to_end(text)
            vectors[text] = self._memo[text]
        while len(self._memo) > MEMO_TEXTS:
            self._memo.popitem(last=False)
        return [round(max(0.0, min(1.0, float(np.dot(vectors[p], vectors[h])))), DIGITS) for p, h in pairs]


def load_embedding_judge(spec: JudgeSpec) -> EmbeddingJudge:
    import torch
    from transformers import AutoModel, AutoTokenizer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    hf_logging.set_verbosity_error()

    spec.check_options({"batch_size"})
    if spec.argument in (None, PACKAGE):
        directory = packaged_minilm_dir()
        origin = {"package": PACKAGE, "version": package_version()}
    else:
        directory = Path(spec.argument).expanduser()
        if not directory.is_dir():
            raise UserError(f"embedding judge: {directory} is not a directory (give a sentence-transformers model "
                            f"directory, or omit it to use the packaged MiniLM from {PACKAGE})")
        origin = {"directory": str(directory)}
    files = [p for p in directory.iterdir() if p.suffix in (".safetensors", ".bin") or p.name in
             ("config.json", "tokenizer.json", "vocab.txt")]
    max_length = 256
    st_config = directory / "sentence_bert_config.json"
    if st_config.is_file():
        max_length = int(json.loads(st_config.read_text()).get("max_seq_length", max_length))
    try:
        tokenizer = AutoTokenizer.from_pretrained(str(directory))
        model = AutoModel.from_pretrained(str(directory), dtype=torch.float64)
    except OSError as exc:
        raise UserError(f"embedding judge: could not load {directory}: {str(exc).splitlines()[0]}") from None
    weights = origin | {"files_sha256": sha256_files(files, directory)}
    canonical = spec.canonical() if spec.argument not in (None, PACKAGE) or spec.options else "embedding"
    return EmbeddingJudge(canonical, model, tokenizer, weights=weights, max_length=max_length,
                          batch_size=spec.int_option("batch_size", EmbeddingJudge.default_batch_size))
