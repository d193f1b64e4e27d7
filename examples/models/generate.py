"""Generates the example models: a tiny ONNX multi-layer perceptron with fixed-seed weights, built
with the onnx package's helper API (no download), in three variants that share the same weights:

  tiny-mlp/        serves normally (MLServer custom runtime around onnxruntime)
  tiny-mlp-slow/   the same model with a fixed extra delay per request (for latency-gate tests)
  tiny-mlp-crash/  exits while loading, so its container crash-loops (for rollout-failure tests)
  tiny-mlp-wrong/  the output layer's columns shuffled: as fast as tiny-mlp, answers wrong (answers check)
  tiny-mlp-fp16/   every weight rounded to fp16 (stored as float32): answers within the default tolerance

plus a V2 inference request and the outputs onnxruntime computes for it. Every file is a pure
function of this script and the pinned package versions, so regenerating gives identical bytes.

Usage: python generate.py [--out DIR]   (DIR defaults to this script's folder)
"""

import argparse
import json
import shutil
from pathlib import Path

import numpy as np
import onnx
import onnxruntime
from onnx import TensorProto, helper, numpy_helper

SEED = 20260425
LAYER_SIZES = [8, 32, 32, 4]
MODEL_NAME = "tiny-mlp"
SLOW_DELAY_MS = 40
HERE = Path(__file__).resolve().parent
# Hand-written files every variant shares; they live in tiny-mlp/ and are copied to the others.
SHARED_SOURCES = ["runtime.py", "requirements.txt"]


def shuffle_outputs(weight: np.ndarray, bias: np.ndarray, last: bool) -> tuple[np.ndarray, np.ndarray]:
    # A fixed derangement of the output classes: the scores are right, their labels are not.
    if not last:
        return weight, bias
    order = np.roll(np.arange(weight.shape[1]), 1)
    return weight[:, order], bias[order]


def round_to_fp16(weight: np.ndarray, bias: np.ndarray, last: bool) -> tuple[np.ndarray, np.ndarray]:
    return weight.astype(np.float16).astype(np.float32), bias.astype(np.float16).astype(np.float32)


def build_model(transform=None) -> onnx.ModelProto:
    # RandomState's stream is frozen across numpy versions (default_rng's is not promised to be).
    rng = np.random.RandomState(SEED)
    nodes, initializers = [], []
    previous = "input"
    layers = list(zip(LAYER_SIZES[:-1], LAYER_SIZES[1:]))
    for index, (fan_in, fan_out) in enumerate(layers):
        weight = (rng.standard_normal((fan_in, fan_out)) * np.sqrt(2.0 / fan_in)).astype(np.float32)
        bias = (rng.standard_normal(fan_out) * 0.1).astype(np.float32)
        if transform is not None:
            weight, bias = transform(weight, bias, index == len(layers) - 1)
        initializers += [numpy_helper.from_array(weight, f"w{index}"), numpy_helper.from_array(bias, f"b{index}")]
        gemm_out = f"dense{index}"
        nodes.append(helper.make_node("Gemm", [previous, f"w{index}", f"b{index}"], [gemm_out], name=f"dense{index}"))
        if index < len(layers) - 1:
            nodes.append(helper.make_node("Relu", [gemm_out], [f"relu{index}"], name=f"relu{index}"))
            previous = f"relu{index}"
        else:
            previous = gemm_out
    nodes.append(helper.make_node("Softmax", [previous], ["probabilities"], name="softmax", axis=-1))
    graph = helper.make_graph(
        nodes,
        "tiny_mlp",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["batch", LAYER_SIZES[0]])],
        [helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, ["batch", LAYER_SIZES[-1]])],
        initializers,
    )
    # IR 9 / opset 17 load in every onnxruntime since 1.15 (and Triton's onnxruntime backend).
    model = helper.make_model(
        graph,
        producer_name="model-canary-examples",
        producer_version="1",
        opset_imports=[helper.make_opsetid("", 17)],
        ir_version=9,
    )
    onnx.checker.check_model(model, full_check=True)
    return model


def model_settings(extra: dict) -> str:
    settings = {
        "name": MODEL_NAME,
        "implementation": "runtime.OnnxModel",
        "parameters": {"uri": "./model.onnx", "version": "1", "extra": extra},
    }
    return json.dumps(settings, indent=2) + "\n"


def request_batch() -> np.ndarray:
    rng = np.random.RandomState(SEED + 1)
    return rng.uniform(-1.0, 1.0, size=(3, LAYER_SIZES[0])).astype(np.float32)


def write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", type=Path, default=HERE)
    out = parser.parse_args().out.resolve()

    model_bytes = build_model().SerializeToString()
    variants = {
        MODEL_NAME: {},
        f"{MODEL_NAME}-slow": {"delay_ms": SLOW_DELAY_MS},
        f"{MODEL_NAME}-crash": {"crash_on_load": True},
    }
    variant_models = {
        f"{MODEL_NAME}-wrong": build_model(shuffle_outputs).SerializeToString(),
        f"{MODEL_NAME}-fp16": build_model(round_to_fp16).SerializeToString(),
    }
    variants.update({folder: {} for folder in variant_models})
    for folder, extra in variants.items():
        write(out / folder / "model.onnx", variant_models.get(folder, model_bytes))
        write(out / folder / "model-settings.json", model_settings(extra).encode())
        for name in SHARED_SOURCES:
            source = HERE / MODEL_NAME / name
            if out / folder / name != source:
                write(out / folder / name, source.read_bytes())

    batch = request_batch()
    request = {
        "inputs": [
            {"name": "input", "shape": list(batch.shape), "datatype": "FP32", "data": batch.flatten().tolist()}
        ]
    }
    write(out / "payloads" / f"{MODEL_NAME}-v2.json", (json.dumps(request, indent=2) + "\n").encode())

    session = onnxruntime.InferenceSession(model_bytes, providers=["CPUExecutionProvider"])
    (probabilities,) = session.run(["probabilities"], {"input": batch})
    expected = {
        "model_name": MODEL_NAME,
        "outputs": [
            {
                "name": "probabilities",
                "shape": list(probabilities.shape),
                "datatype": "FP32",
                # float32 values printed as the shortest decimal that reads back to the same float32.
                "data": [float(np.format_float_positional(v, unique=True)) for v in probabilities.flatten()],
            }
        ],
    }
    write(out / "payloads" / f"{MODEL_NAME}-v2.expected.json", (json.dumps(expected, indent=2) + "\n").encode())


if __name__ == "__main__":
    main()
