"""The token trie a packed batch runs (models/packed_prompts.py), by hand."""
import numpy as np
import torch

from pluralbench.models.packed_prompts import ancestor_mask, row_paths, token_trie, worth_packing
from pluralbench.models.sample_groups import Columns


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


def test_sample_columns_attend_to_their_prompt_and_their_own_tokens():
    """Two prompts (the second left-padded by one), two samples each; after two steps a sample's query
    sees its prompt's real tokens and its own columns only, and a padding slot sees itself alone."""
    columns = Columns.of_prompts(torch.tensor([[1, 1, 1], [0, 1, 1]]), samples=2)
    first = columns.add_step([[0, 1], [2, 3]], np.array([[3, 3], [2, 2]]), None, torch.float32)
    second = columns.add_step([[1], [2, 3]], np.array([[4, 4], [3, 3]]), None, torch.float32)
    assert first.shape == (2, 1, 2, 5) and second.shape == (2, 1, 2, 7)
    seen = (second[:, 0] == 0).numpy()
    assert seen[0, 0].tolist() == [True, True, True, False, True, True, False]  # sample 1: prompt, col 4, col 5
    assert seen[0, 1].tolist() == [False] * 6 + [True]  # padding slot
    assert seen[1, 0].tolist() == [False, True, True, True, False, True, False]  # sample 2
    assert seen[1, 1].tolist() == [False, True, True, False, True, False, True]  # sample 3
    assert columns.positions[1].tolist() == [-1, 0, 1, 2, 2, 3, 3]


def test_sample_columns_apply_a_sliding_window_by_position():
    columns = Columns.of_prompts(torch.tensor([[1, 1, 1, 1]]), samples=1)
    masks = columns.add_step([[0]], np.array([[4]]), 3, torch.float32)
    assert (masks["full_attention"][0, 0, 0] == 0).tolist() == [True] * 5
    assert (masks["sliding_attention"][0, 0, 0] == 0).tolist() == [False, False, True, True, True]  # 4 - position < 3
