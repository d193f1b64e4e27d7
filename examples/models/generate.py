"""Generates the example models: a tiny ONNX multi-layer perceptron with fixed-seed weights, built
with the onnx package's helper API (no download), in three variants that share the same weights:

  tiny-mlp/        serves normally (MLServer custom runtime around onnxruntime)
  tiny-mlp-slow/   the same model with a fixed extra delay per request (for latency-gate tests)
  tiny-mlp-crash/  exits while loading, so its container crash-loops (for rollout-failure tests)
  tiny-mlp-wrong/  the output layer's columns shuffled: as fast as tiny-mlp, answers wrong (answers check)
  tiny-mlp-fp16/   every weight rounded to fp16 (stored as float32): answers within the default tolerance

plus a V2 inference request and the outputs onnxruntime computes for it; and the weights of the
tiny chat model (tiny-chat/, a word-level language model its own server.py decodes greedily over
the OpenAI chat protocol), a variant's weights that answer some prompts wrong, a request set of
chat prompts (streamed and not) and the answers tiny-chat/server.py gives them. Every file is a pure
function of this script and the pinned package versions, so regenerating gives identical bytes.

Usage: python generate.py [--out DIR]   (DIR defaults to this script's folder)
"""

import argparse
import json
import sys
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


CHAT_VOCABULARY = (
    "the a model answers fast slow right wrong canary stable weights token prompt server gpu batch "
    "queue cache layer tensor output input request reply ready serving latency error metric shift "
    "tail rollout promote revert traffic share step check pass fail test data text word and is "
    "not ."
).split()
# Rows of the variant's current-word scores that are rotated: prompts ending in these words (or
# reaching them while decoding) get other answers.
CHAT_WRONG_ROWS = 3
CHAT_PROMPTS = [
    "Is the canary ready",
    "Promote the model",
    "Revert the canary",
    "Which weights are served",
    "Describe the latency of the server",
    "What is in the queue",
    "Explain the rollout step by step",
    "Say one word",
    "Is the gpu batch full",
    "Report the error rate",
    "What does the cache hold",
    "Compare stable and canary",
    "Name the output tensor",
    "Check the reply of the model",
    "Shift traffic to the canary",
    "Does the test pass or fail",
    "Which metric matters",
    "Write a short text",
    "Give the tail latency",
    "Read the input request",
    "Tell me about tokens",
    "Where is the data",
    "Summarize the prompt",
    "Is serving slow",
]


def chat_weights(seed: int) -> dict:
    rng = np.random.RandomState(seed)
    size = len(CHAT_VOCABULARY)
    def matrix():
        return np.round(rng.uniform(-1.0, 1.0, size=(size, size)), 4)
    return {"vocabulary": CHAT_VOCABULARY, "current": matrix().tolist(), "previous": matrix().tolist()}


def chat_wrong_weights(weights: dict) -> dict:
    current = [list(row) for row in weights["current"]]
    for row in range(0, len(current), len(current) // CHAT_WRONG_ROWS):
        current[row] = current[row][7:] + current[row][:7]
    return {**weights, "current": current}


def chat_request(index: int, prompt: str) -> dict:
    # Every other request streams, so both answer shapes are compared.
    return {
        "id": f"prompt-{index + 1:02d}",
        "model": "tiny-chat",
        "messages": [{"role": "user", "content": prompt}],
        "max_tokens": 16,
        "temperature": 0,
        "seed": 7,
        "stream": index % 2 == 1,
    }


def write_chat_model(out: Path) -> None:
    sys.path.insert(0, str(HERE / "tiny-chat"))
    import server  # the served decoding, so the expected answers are what the server says

    weights = chat_weights(SEED + 2)
    for name, variant in {"weights.json": weights, "weights-wrong.json": chat_wrong_weights(weights)}.items():
        write(out / "tiny-chat" / name, (json.dumps(variant, separators=(",", ":")) + "\n").encode())
    requests = [chat_request(index, prompt) for index, prompt in enumerate(CHAT_PROMPTS)]
    loaded = (weights["vocabulary"], weights["current"], weights["previous"])
    expected = [
        {
            "id": request["id"],
            "choices": [{"index": 0, "message": {"role": "assistant", "content": server.answer_text(
                server.generate(request["messages"][-1]["content"], loaded, request["max_tokens"]))}}],
        }
        for request in requests
    ]
    # The unstreamed half: a probe that times only whole answers (no time to first token), so a
    # slower queue shows in the server's metrics before the probe's latency (docs/metrics.md).
    unstreamed = [request for request in requests if not request["stream"]]
    for name, lines in {
        "tiny-chat.jsonl": requests,
        "tiny-chat.expected.jsonl": expected,
        "tiny-chat-unstreamed.jsonl": unstreamed,
    }.items():
        write(out / "payloads" / name, "".join(json.dumps(line) + "\n" for line in lines).encode())


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
    write_chat_model(out)


if __name__ == "__main__":
    main()
