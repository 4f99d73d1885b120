"""A plumbing-only NLI model for tests: the packaged MiniLM encoder with a freshly initialised 3-way
classification head. It exercises the NLI judge's code path; its scores are noise, never a result."""
import torch

from pluralbench.judges.minilm import packaged_minilm_dir


def build_plumbing_nli(directory, id2label):
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    source = packaged_minilm_dir()
    torch.manual_seed(0)
    model = AutoModelForSequenceClassification.from_pretrained(
        str(source), num_labels=3, id2label=id2label, label2id={v: k for k, v in id2label.items()})
    model.save_pretrained(directory)
    AutoTokenizer.from_pretrained(str(source)).save_pretrained(directory)
    return directory
