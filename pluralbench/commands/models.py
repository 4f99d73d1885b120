"""pluralbench models: list adapter kinds and embedded models."""
from __future__ import annotations


def register(sub) -> None:
    p = sub.add_parser("models", help="list model adapter kinds and embedded models")
    p.set_defaults(handler=handle)


def handle(args) -> int:
    from pluralbench.models.embedded import DEFAULT_MODEL, EMBEDDED_MODELS
    from pluralbench.registry import model_kinds

    print("adapter kinds (--model KIND:NAME[,key=value...]):")
    for name, loader in model_kinds.items():
        doc = (loader.__doc__ or "").strip().splitlines()[0] if loader.__doc__ else ""
        print(f"  {name:<10} {doc}")
    print("embedded models (--model embedded:NAME):")
    for name, model in EMBEDDED_MODELS.items():
        status = "installed" if model.installed() else f"not installed: {model.install_hint()}"
        default = " (default)" if f"embedded:{name}" == DEFAULT_MODEL else ""
        print(f"  {name}{default}: {model.description} [{status}]")
    return 0
