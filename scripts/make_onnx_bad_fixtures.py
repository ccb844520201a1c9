#!/usr/bin/env python3
"""Small ONNX files (written with the `onnx` package) for the reader's bad-input tests:
external data outside the model folder, out-of-range offsets, wrong lengths, and one good
file with external data. Run: .venv/bin/python scripts/make_onnx_bad_fixtures.py"""
import os
import numpy as np
import onnx
from onnx import helper, TensorProto, numpy_helper

out = os.path.join(os.path.dirname(__file__), "..", "Tests", "FrontendsTests", "Fixtures", "onnx_bad")
os.makedirs(out, exist_ok=True)
values = np.arange(6, dtype=np.float32).reshape(2, 3) / 4


def model(tensor):
    node = helper.make_node("Add", ["x", "w"], ["y"], name="add0")
    g = helper.make_graph([node], "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 3])], [tensor])
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 18)], producer_name="make_onnx_bad_fixtures")


def external(location, offset=0, length=24):
    t = TensorProto()
    t.name, t.data_type = "w", TensorProto.FLOAT
    t.dims.extend([2, 3])
    t.data_location = TensorProto.EXTERNAL
    for k, v in (("location", location), ("offset", str(offset)), ("length", str(length))):
        e = t.external_data.add()
        e.key, e.value = k, v
    return t


with open(os.path.join(out, "weights.bin"), "wb") as f:
    f.write(b"\0" * 8 + values.tobytes())
onnx.save_model(model(external("weights.bin", 8)), os.path.join(out, "good_external.onnx"))
onnx.save_model(model(numpy_helper.from_array(values, "w")), os.path.join(out, "good_inline.onnx"))
cases = {
    "dotdot": external("../onnx_bad/weights.bin", 8),
    "absolute": external("/etc/passwd"),
    "missing_file": external("nothere.bin"),
    "offset_past_end": external("weights.bin", 64),
    "wrong_length": external("weights.bin", 8, 20),
}
for name, t in cases.items():
    onnx.save_model(model(t), os.path.join(out, f"bad_{name}.onnx"))
print("wrote", sorted(os.listdir(out)))


# Graphs the importer must refuse with a clear error: an operator outside its set, and a
# normalization that is neither RMSNorm nor LayerNorm (mean of |x| instead of x²).
def lm(nodes, inits):
    g = helper.make_graph(nodes, "lm", [helper.make_tensor_value_info("input_ids", TensorProto.INT64, [1, "seq"])],
                          [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, "seq", 8])], inits)
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 18)], producer_name="make_onnx_bad_fixtures")


emb = numpy_helper.from_array(np.ones((8, 4), np.float32), "emb")
head = numpy_helper.from_array(np.ones((4, 8), np.float32), "head")
axes = numpy_helper.from_array(np.array([-1], np.int64), "axes")
onnx.save_model(lm([helper.make_node("Gather", ["emb", "input_ids"], ["x"], name="embed"),
                    helper.make_node("Einsum", ["x"], ["y"], name="odd_einsum", equation="bij->bij"),
                    helper.make_node("MatMul", ["y", "head"], ["logits"], name="lm_head")], [emb, head]),
                os.path.join(out, "bad_op.onnx"))
onnx.save_model(lm([helper.make_node("Gather", ["emb", "input_ids"], ["x"], name="embed"),
                    helper.make_node("Abs", ["x"], ["a"], name="abs"),
                    helper.make_node("ReduceMean", ["a", "axes"], ["m"], name="mean"),
                    helper.make_node("Div", ["x", "m"], ["y"], name="odd_norm"),
                    helper.make_node("MatMul", ["y", "head"], ["logits"], name="lm_head")], [emb, head, axes]),
                os.path.join(out, "bad_norm.onnx"))
print("wrote bad_op.onnx, bad_norm.onnx")

# A constant that would expand to 2^40 numbers: refused before any allocation.
big = numpy_helper.from_array(np.array([1 << 20, 1 << 20], np.int64), "big_shape")
one = numpy_helper.from_array(np.array(1.0, np.float32), "one")
onnx.save_model(lm([helper.make_node("Gather", ["emb", "input_ids"], ["x"], name="embed"),
                    helper.make_node("Expand", ["one", "big_shape"], ["huge"], name="huge_expand"),
                    helper.make_node("MatMul", ["x", "head"], ["logits"], name="lm_head")], [emb, head, big, one]),
                os.path.join(out, "bad_huge.onnx"))
print("wrote bad_huge.onnx")
