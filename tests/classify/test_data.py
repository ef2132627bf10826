"""The project's data files: what the data card (data/README.md) says of them."""

import json

from socialcare.classify.data import HELDOUT_DIR, UNLABELLED_DIR, load, load_unlabelled


def test_unlabelled_messages_are_new_text_in_their_files_language():
    examples = load_unlabelled()
    assert len(examples) > 10_000
    texts = {e.text for e in examples}
    for path in UNLABELLED_DIR.glob("*.jsonl"):
        rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
        assert all(set(r) == {"text", "language"} and r["text"].strip() for r in rows)
        assert {r["language"] for r in rows} == {path.stem}
        # No repeats within a language (an emoji-only message may recur in another).
        assert len({r["text"] for r in rows}) == len(rows)
    # Written apart from the labelled sets: none of their texts, so training on these
    # never touches a dev, test or held-out text.
    labelled = {e.text for e in load()} | {e.text for e in load(HELDOUT_DIR)}
    assert not labelled & texts
    assert not any(e.labelled for e in examples)
