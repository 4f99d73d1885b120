"""What the DailyDilemmas families share: a dilemma asked with its two actions in both orders, and the
order-averaged reading of the answers.

Action 1 is "to do" (what the dilemma's question asks about), Action 2 "not to do", as in Chiu et al.
2024. Each dilemma is asked twice, the to-do action listed first and then second (`ORDERS`), each time
as an OptionQuery, so any elicitation method applies. Per dilemma: P(to do) in each order, their
difference (the position bias: 2 x P(first-listed action) - 1 averaged over the orders, so > 0 when the
model favours whichever action comes first) and the order-averaged P(to do), which is the model's
answer; its entropy in bits (1 = torn evenly between the actions, 0 = certain).
"""
from __future__ import annotations

import numpy as np

from pluralbench.core.prompts import fill, lettered
from pluralbench.data.daily_dilemmas import ACTIONS
from pluralbench.elicitation import OptionQuery
from pluralbench.elicitation.predictions import sample_output_fields
from pluralbench.errors import UserError
from pluralbench.families.common import BOOTSTRAP_SCHEMA, NOTES_SCHEMA
from pluralbench.hashing import sha256_text
from pluralbench.metrics.rowwise import entropy_rows
from pluralbench.metrics.summary import means_with_ci

ORDERS = {"to_do_first": ("to_do", "not_to_do"), "not_to_do_first": ("not_to_do", "to_do")}
READING = ("p_to_do", "entropy", "position_bias", "p_to_do_listed_first", "p_to_do_listed_second")
# The task file's option wording for each action (the prompt lists them as A. / B.).
ACTIONS_SCHEMA = {"type": "object", "additionalProperties": False, "required": list(ACTIONS),
                  "properties": {a: {"type": "string", "minLength": 1} for a in ACTIONS}}


def dilemma_params_schema(**properties) -> dict:
    """A DailyDilemmas family's params schema: the actions' wording (required), the family's own
    `properties`, then the bootstrap settings and notes every family takes."""
    return {"type": "object", "additionalProperties": False, "required": ["actions"],
            "properties": {"actions": ACTIONS_SCHEMA, **properties, "bootstrap": BOOTSTRAP_SCHEMA,
                           "notes": NOTES_SCHEMA}}


def template(task) -> str:
    """The task's prompt template: {question} is the dilemma, {options} the lettered actions."""
    text = task.prompt.get("template")
    if not text or "{question}" not in text or "{options}" not in text:
        raise UserError(f"task {task.name}: prompt.template must hold {{question}} (the dilemma) and {{options}} "
                        "(the two actions)")
    return text


def action_queries(task, dilemma: str, system: str | None = None) -> list[OptionQuery]:
    """The dilemma asked in each order of ORDERS."""
    wording, prefix = task.params["actions"], task.prompt.get("answer_prefix")
    queries = []
    for order in ORDERS.values():
        options = tuple(wording[a] for a in order)
        prompt = fill(template(task), f"task {task.name} prompt.template", question=dilemma,
                      options=lettered(list(options)))
        queries.append(OptionQuery(prompt, options, prefix, system=system))
    return queries


def reading(first: dict, second: dict) -> dict | None:
    """The predictions of the two orders -> the dilemma's numbers; None when either order got no option mass."""
    if first["distribution"] is None or second["distribution"] is None:
        return None
    listed_first, listed_second = float(first["distribution"][0]), float(second["distribution"][1])
    p = (listed_first + listed_second) / 2.0
    return {"p_to_do": p, "entropy": float(entropy_rows(np.asarray([[p, 1.0 - p]]), 2)[0]),
            "position_bias": listed_first - listed_second, "p_to_do_listed_first": listed_first,
            "p_to_do_listed_second": listed_second}


def order_blocks(queries: list[OptionQuery], predictions: list[dict]) -> dict:
    """Each order's answer for a sample: prompt hash, options as listed, distribution, covered mass."""
    return {order: {"prompt_sha256": sha256_text(q.prompt), "options": list(q.options),
                    "model_distribution": pred["distribution"]} | sample_output_fields(pred)
            for order, q, pred in zip(ORDERS, queries, predictions)}


def covered_mass(predictions: list[dict]) -> float | None:
    """The mean option mass of the orders' answers (None when a prediction carries none)."""
    masses = [p["covered_mass"] for p in predictions]
    return None if None in masses else float(np.mean(masses))


def column_means(columns: dict[str, np.ndarray], idx, *, clusters=None, bootstrap: dict, seed: int,
                 directions: dict | None = None) -> dict:
    """means_with_ci of every column over the rows at `idx` (clusters given per row, or None)."""
    idx = list(idx)
    return means_with_ci({name: np.asarray(col)[idx] for name, col in columns.items()},
                         clusters=None if clusters is None else [clusters[i] for i in idx], bootstrap=bootstrap,
                         seed=seed, directions=directions)


def reading_parameters(task) -> dict:
    """The manifest's description of how the two actions are asked and read."""
    return {"actions": dict(task.params["actions"]), "orders": {k: list(v) for k, v in ORDERS.items()},
            "template": template(task),
            "answer": "the order-averaged P(to do) = (P(to do | listed first) + P(to do | listed second)) / 2",
            "position_bias": "P(to do | listed first) - P(to do | listed second)",
            "entropy": "entropy in bits of the order-averaged [P(to do), P(not to do)]"}
