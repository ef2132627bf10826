"""Classifier benchmark: texts/s at batch 1 and at the worker's batch size, latency
percentiles, model size and load time (torch fp32 path).

    .venv/bin/socialcare classify convert-base && .venv/bin/socialcare classify train
    .venv/bin/python bench/classify.py
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from pathlib import Path

import torch

from services.classify.data import load
from services.classify.settings import ClassifySettings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=None)
    parser.add_argument("--texts", type=int, default=480)
    parser.add_argument("--batch", type=int, default=ClassifySettings().classify_batch_size)
    args = parser.parse_args()
    model_dir = args.model or ClassifySettings().model_dir

    started = time.perf_counter()
    from services.classify.predict import Predictor  # torch + transformers import included

    predictor = Predictor(model_dir, batch_size=args.batch)
    load_seconds = time.perf_counter() - started
    size = sum(p.stat().st_size for p in model_dir.iterdir() if p.is_file())
    texts = [e.text for e in load(split="test")]
    random.Random(1).shuffle(texts)
    texts = (texts * (args.texts // len(texts) + 1))[: args.texts]
    predictor.predict(texts[:8])  # warm-up

    latencies = []
    for text in texts[:200]:
        t = time.perf_counter()
        predictor.predict([text])
        latencies.append((time.perf_counter() - t) * 1000)
    single = len(latencies) / (sum(latencies) / 1000)

    t = time.perf_counter()
    predictor.predict(texts)
    batched = len(texts) / (time.perf_counter() - t)

    latencies.sort()
    print(
        f"model {predictor.version}: {size / 1e6:.0f} MB on disk, loaded in {load_seconds:.1f} s "
        f"(torch {torch.__version__}, {torch.get_num_threads()} threads, fp32)"
    )
    print(
        f"batch 1: {single:.0f} texts/s, latency p50 {statistics.median(latencies):.1f} ms, "
        f"p99 {latencies[int(len(latencies) * 0.99) - 1]:.1f} ms"
    )
    print(f"batch {args.batch}, length-sorted: {batched:.0f} texts/s over {len(texts)} texts")


if __name__ == "__main__":
    main()
