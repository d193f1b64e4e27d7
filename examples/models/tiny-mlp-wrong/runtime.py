"""An MLServer custom runtime that serves an ONNX model with onnxruntime (MLServer 1.7 ships none).

model-settings.json `parameters.extra` selects the behaviour of the test variants:
  delay_ms       extra latency added to every request (the slow variant)
  crash_on_load  exit the server while loading (the crash variant: the container crash-loops)
"""

import asyncio
import os

import numpy as np
import onnxruntime
from mlserver import MLModel
from mlserver.codecs import NumpyCodec
from mlserver.types import InferenceRequest, InferenceResponse
from mlserver.utils import get_model_uri


class OnnxModel(MLModel):
    async def load(self) -> bool:
        extra = (self.settings.parameters.extra if self.settings.parameters else None) or {}
        if extra.get("crash_on_load"):
            print(f"{self.name}: crash_on_load is set, exiting with status 3", flush=True)
            # os._exit, not an exception: MLServer survives a failed load and would only stay unready.
            os._exit(3)
        self._delay_s = float(extra.get("delay_ms", 0)) / 1000
        available = onnxruntime.get_available_providers()
        providers = [p for p in ("CUDAExecutionProvider", "CPUExecutionProvider") if p in available]
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = 1
        self._session = onnxruntime.InferenceSession(await get_model_uri(self.settings), options, providers=providers)
        self._output_names = [output.name for output in self._session.get_outputs()]
        return True

    async def predict(self, payload: InferenceRequest) -> InferenceResponse:
        feeds = {request_input.name: NumpyCodec.decode_input(request_input).astype(np.float32) for request_input in payload.inputs}
        if self._delay_s > 0:
            await asyncio.sleep(self._delay_s)
        results = self._session.run(self._output_names, feeds)
        return InferenceResponse(
            model_name=self.name,
            model_version=self.version,
            outputs=[NumpyCodec.encode_output(name, value) for name, value in zip(self._output_names, results)],
        )
