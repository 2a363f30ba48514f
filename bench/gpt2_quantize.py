"""Writes onnx/model_quantized.onnx (weight-only int8) next to the fp32 onnx/model.onnx of a
benchmark model, with the fixture script's own quantizer, so that the bench's quantized variant is
made the same way as the tested one.

    /usr/bin/python3 bench/gpt2_quantize.py bench/models/gpt2-124m
"""
import os
import sys

import onnx

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "scripts", "fixtures"))
from make_gpt2 import to_weight_int8  # noqa: E402


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: gpt2_quantize.py MODEL_DIR (a folder with onnx/model.onnx)")
    onnx_dir = os.path.join(sys.argv[1], "onnx")
    tmp = os.path.join(onnx_dir, "model_quantized.onnx.tmp")
    to_weight_int8(onnx.load(os.path.join(onnx_dir, "model.onnx")), tmp)
    os.replace(tmp, os.path.join(onnx_dir, "model_quantized.onnx"))
    print(f"wrote {os.path.join(onnx_dir, 'model_quantized.onnx')}")


if __name__ == "__main__":
    main()
