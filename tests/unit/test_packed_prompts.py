"""The token trie a packed batch runs (models/packed_prompts.py), by hand."""
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from transformers import DynamicCache

from pluralbench.models.packed_prompts import ancestor_mask, row_paths, token_trie, worth_packing
from pluralbench.models.sample_groups import SampleGroups, grouped_attention
from pluralbench.models.trie_attention import TrieRows, slot_width, trie_attention


def test_trie_runs_each_shared_token_once():
    rows = [[1, 2, 3], [1, 2, 4, 5], [1, 2], [7]]
    tokens, depths, parents, ends = token_trie(rows)
    assert tokens == [1, 2, 3, 4, 5, 7]
    assert depths == [0, 1, 2, 2, 3, 0]  # positions count each row's own tokens
    assert parents == [-1, 0, 1, 1, 3, -1]
    assert ends == [2, 4, 1, 5]  # a row that is the beginning of another ends inside it


def test_identical_rows_share_every_node():
    tokens, _, _, ends = token_trie([[5, 6], [5, 6]])
    assert tokens == [5, 6] and ends == [1, 1]


def test_each_token_attends_to_itself_and_its_ancestors_only():
    _, _, parents, _ = token_trie([[1, 2, 3], [1, 2, 4, 5], [7]])
    expected = np.array([
        [1, 0, 0, 0, 0, 0],
        [1, 1, 0, 0, 0, 0],
        [1, 1, 1, 0, 0, 0],
        [1, 1, 0, 1, 0, 0],  # token 4 sees 1, 2 and itself, not its sibling 3
        [1, 1, 0, 1, 1, 0],
        [0, 0, 0, 0, 0, 1],  # another root sees nothing of the first tree
    ], dtype=bool)
    assert np.array_equal(ancestor_mask(parents), expected)


def test_packing_only_when_it_saves_a_fifth_of_the_padded_tokens():
    rows = [list(range(40)) + [100 + i] for i in range(4)]  # trie 44 against a padded 164
    assert worth_packing(rows, len(token_trie(rows)[0]))
    same_length = [[i, i + 1, i + 2] for i in (0, 10)]  # nothing shared, nothing padded
    assert not worth_packing(same_length, len(token_trie(same_length)[0]))
    assert not worth_packing(rows[:1], 41)  # one row
    long_rows = [list(range(1000)) + [5000 + i] for i in range(2)] + [[9] * 1200]
    assert not worth_packing(long_rows, len(token_trie(long_rows)[0]))  # beyond MAX_PACKED_TOKENS


def test_row_paths_walk_each_row_from_its_first_token():
    tokens, _, parents, ends = token_trie([[1, 2, 3], [1, 2, 4], [5]])
    assert [[tokens[n] for n in path] for path in row_paths(parents, ends)] == [[1, 2, 3], [1, 2, 4], [5]]


def _dense_reference(q, prompt_k, prompt_v, mask, own_k, own_v, prompt, scaling, window=None):
    """One query's attention written out with numpy: its prompt's real tokens and its own tokens so far
    (own_k: (kv, steps, dim)), query head h reading key/value head h // (heads / kv heads)."""
    real = np.flatnonzero(mask[prompt])
    keys = np.concatenate([prompt_k[prompt][:, real], own_k], axis=1)  # (kv, keys, dim)
    values = np.concatenate([prompt_v[prompt][:, real], own_v], axis=1)
    positions = np.arange(keys.shape[1])
    here = positions[-1]
    out = []
    for h in range(q.shape[0]):
        kv = h // (q.shape[0] // keys.shape[0])
        scores = keys[kv] @ q[h] * scaling
        if window is not None:
            scores = np.where(here - positions < window, scores, -np.inf)
        weights = np.exp(scores - scores.max())
        out.append(weights / weights.sum() @ values[kv])
    return np.stack(out)


@pytest.mark.parametrize("window", [None, 3])
def test_grouped_attention_equals_each_samples_own_dense_attention(window):
    """Two prompts (the second left-padded), three samples each, grouped-query heads (4 query, 2 key/value);
    two steps with samples leaving: every query's output equals attention over exactly its prompt's tokens
    and its own, computed alone; with a window, keys `window` positions back are left out."""
    rng = np.random.default_rng(0)
    mask = torch.tensor([[1, 1, 1, 1], [0, 1, 1, 1]])
    prompt_k, prompt_v = (torch.from_numpy(rng.normal(size=(2, 2, 4, 8))).float() for _ in range(2))
    cache = DynamicCache()
    cache.update(prompt_k, prompt_v, 0)
    groups = SampleGroups.start(cache, mask, samples=3, max_new_tokens=4)
    module = SimpleNamespace(layer_idx=0)
    fed: dict[int, list] = {r: [] for r in range(6)}  # each sample's keys and values so far, as fed
    for step, active in enumerate([[0, 1, 2, 3, 5], [0, 3, 5]]):
        positions = groups.set_step(active, 3, step, mask.sum(-1))
        q = torch.from_numpy(rng.normal(size=(1, 4, len(active), 8))).float()
        k, v = (torch.from_numpy(rng.normal(size=(1, 2, len(active), 8))).float() for _ in range(2))
        out, _ = grouped_attention(module, q, k, v, None, scaling=0.3, sliding_window=window, sample_groups=groups)
        assert out.shape == (1, len(active), 4, 8)
        assert positions[0].tolist() == [int(mask[r // 3].sum()) + step for r in active]
        for i, r in enumerate(active):
            fed[r].append((k[0, :, i].numpy(), v[0, :, i].numpy()))
            own_k, own_v = (np.stack([kv[j] for kv in fed[r]], axis=1) for j in (0, 1))
            expected = _dense_reference(q[0, :, i].numpy(), prompt_k.numpy(), prompt_v.numpy(), mask.numpy(),
                                        own_k, own_v, r // 3, 0.3, window)
            np.testing.assert_allclose(out[0, i].numpy(), expected, rtol=1e-5, atol=1e-6)


def test_trie_rows_give_each_node_one_query_over_its_rows_path():
    """Rows [1 2 3], [1 2 4 5], [1 2]: row 0 owns nodes 0-2, row 1 nodes 3-4 (its path 0 1 3 4), row 2
    none (a prefix of row 0, so no block); every node has exactly one slot, and a slot sees its path up to
    itself."""
    trie = token_trie([[1, 2, 3], [1, 2, 4, 5], [1, 2]])
    rows = TrieRows.of(trie, torch.float32, "cpu")
    assert rows.queries.tolist() == [[0, 1, 2], [3, 4, 0]]
    assert rows.keys.tolist() == [[0, 1, 2, 0], [0, 1, 3, 4]]
    assert rows.place.tolist() == [0, 1, 2, 3, 4]
    seen = (rows.bias[:, 0] == 0).int().tolist()
    assert seen[1] == [[1, 1, 1, 0], [1, 1, 1, 1], [1, 0, 0, 0]]  # node 3 at depth 2, node 4 at 3, a padding slot


def test_a_long_row_splits_into_blocks_of_the_common_width():
    """Row 0 owns 6 nodes, rows 1-3 two each: blocks of 2 leave 12 query slots, one block of 6 per row 24;
    row 0's three blocks keep its whole path as keys and see it causally from their own first node on."""
    trie = token_trie([[1, 2, 3, 4, 5, 6], [1, 2, 3, 4, 7, 8], [1, 2, 3, 4, 9, 10], [1, 2, 3, 4, 11, 12]])
    assert slot_width([6, 2, 2, 2]) == 2 and slot_width([3, 2, 0]) == 3 and slot_width([0]) == 1
    rows = TrieRows.of(trie, torch.float32, "cpu")
    assert rows.queries.tolist() == [[0, 1], [2, 3], [4, 5], [6, 7], [8, 9], [10, 11]]
    assert rows.keys.tolist()[1] == [0, 1, 2, 3, 4, 5] and rows.keys.tolist()[3] == [0, 1, 2, 3, 6, 7]
    seen = (rows.bias[:, 0] == 0).int().tolist()
    assert seen[1] == [[1, 1, 1, 0, 0, 0], [1, 1, 1, 1, 0, 0]]
    assert seen[3] == [[1, 1, 1, 1, 1, 0], [1, 1, 1, 1, 1, 1]]
    assert rows.place.tolist() == list(range(12))


def test_trie_attention_equals_the_dense_ancestor_mask():
    """Random queries, keys and values over a real trie shape, grouped-query heads 4:2: attending row by
    row gives every node what torch's attention gives it under the dense ancestor mask."""
    trie = token_trie([[1, 2, 3, 9, 4, 4, 4, 4], [1, 2, 4, 5, 6], [1, 7], [1, 2, 4, 8], [1, 7, 2], [3]])
    nodes = len(trie[0])
    gen = torch.Generator().manual_seed(0)
    q = torch.randn((1, 4, nodes, 8), generator=gen)
    k, v = (torch.randn((1, 2, nodes, 8), generator=gen) for _ in range(2))
    out, _ = trie_attention(None, q, k, v, None, scaling=0.3, trie_rows=TrieRows.of(trie, torch.float32, "cpu"))
    allowed = torch.from_numpy(ancestor_mask(trie[2]))
    dense = torch.nn.functional.scaled_dot_product_attention(q, k.repeat_interleave(2, 1), v.repeat_interleave(2, 1),
                                                             attn_mask=allowed, scale=0.3)
    torch.testing.assert_close(out[0], dense[0].transpose(0, 1), rtol=1e-5, atol=1e-6)
