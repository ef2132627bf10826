"""The ONNX Runtime int8 form of a trained model: ``model.int8.onnx`` beside the weights.

The graph is exported with torch's dynamo exporter (dynamic batch and sequence axes)
and quantized with dynamic int8 *per channel*: per-tensor weight scales move the
sentence embeddings far from fp32 (minimum cosine 0.77; per-channel 0.974 at the same
speed: docs/performance.md).

The feed-forward output projections (intermediate -> hidden) stay fp32. Dynamic
quantization scales a MatMul's activations over the whole batch, so a text's scores
depend a little on its batch neighbours; with those projections quantized too,
sentiment macro-F1 at batch 16 fell 0.9 points below fp32 (0.913 vs 0.921), with them
in fp32 it is within 0.2 points, for about 15 % of the speed (README, "Classifier").
"""

from __future__ import annotations

import logging
import tempfile
import warnings
from pathlib import Path

from socialcare.classify.tokenizer import encode, load_tokenizer

INT8_FILE = "model.int8.onnx"
INPUTS = ("input_ids", "attention_mask")
# Not "embedding": the exporter already uses that name inside the encoder graph.
OUTPUTS = ("intent_logits", "sentiment_logits", "sentence_embedding")
# torch's exporter builds its operator registry from onnxscript's whole torch library,
# which includes torchvision's detection ops (nms, roi_align, ...); without torchvision
# installed (a classifier has no use for it) it warns once per op on every export.
_REGISTRY_LOGGER = "torch.onnx._internal.exporter._registration"


def _not_about_torchvision(record: logging.LogRecord) -> bool:
    return not record.getMessage().startswith("torchvision is not installed")


def export_int8(model_dir: Path) -> Path:
    """Write ``model_dir/model.int8.onnx`` from the model's torch weights."""
    # Imported here: the serving path imports this module's names without torch.
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic

    from socialcare.classify.model import Classifier

    model = Classifier.load(model_dir)
    ids, mask = encode(load_tokenizer(model_dir, 16), ["an example to trace", "hi"])
    batch, sequence = torch.export.Dim("batch"), torch.export.Dim("sequence", max=512)
    target = model_dir / INT8_FILE
    logging.getLogger(_REGISTRY_LOGGER).addFilter(_not_about_torchvision)
    with tempfile.TemporaryDirectory() as scratch, warnings.catch_warnings():
        # The exporter warns that the two inputs share their axis names: they do, by design.
        warnings.simplefilter("ignore", UserWarning)
        fp32 = Path(scratch) / "model.onnx"
        torch.onnx.export(
            model,
            (torch.from_numpy(ids), torch.from_numpy(mask)),
            str(fp32),
            dynamo=True,
            # Not its "[torch.onnx] Run decompositions... ✅" lines: callers say what runs.
            verbose=False,
            external_data=False,
            input_names=list(INPUTS),
            output_names=list(OUTPUTS),
            dynamic_shapes={name: {0: batch, 1: sequence} for name in INPUTS},
        )
        config = model.encoder.config
        keep_fp32 = _matmuls_of_shape(fp32, [config.intermediate_size, config.hidden_size])
        # The quantizer logs a pre-processing hint on the root logger on every call.
        root, level = logging.getLogger(), logging.getLogger().level
        root.setLevel(logging.ERROR)
        try:
            quantize_dynamic(
                fp32,
                target.with_suffix(".tmp"),
                per_channel=True,
                weight_type=QuantType.QInt8,
                nodes_to_exclude=keep_fp32,
            )
        finally:
            root.setLevel(level)
    target.with_suffix(".tmp").replace(target)
    return target


def _matmuls_of_shape(onnx_file: Path, weight_shape: list[int]) -> list[str]:
    """The MatMul nodes whose weight has this shape (the feed-forward projections)."""
    import onnx

    graph = onnx.load(str(onnx_file)).graph
    shapes = {init.name: list(init.dims) for init in graph.initializer}
    return [
        node.name
        for node in graph.node
        if node.op_type == "MatMul" and shapes.get(node.input[1]) == weight_shape
    ]
