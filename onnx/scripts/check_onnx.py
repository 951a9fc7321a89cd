"""ONNX's own checker (with full shape inference) and ONNX Runtime on files `dl convert` wrote.

Not a test dependency: the Java tests run ONNX Runtime's Java API; this is the second opinion of the reference
Python tools. Usage: python check_onnx.py MODEL.onnx... (pip install onnx onnxruntime numpy)
"""
import sys

import numpy as np
import onnx
import onnxruntime as ort

for path in sys.argv[1:]:
    model = onnx.load(path)
    onnx.checker.check_model(model, full_check=True)
    inferred = onnx.shape_inference.infer_shapes(model, strict_mode=True)
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
    feeds = {}
    for i in session.get_inputs():
        shape = [7 if isinstance(d, str) else d for d in i.shape]
        feeds[i.name] = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    outputs = session.run(None, feeds)
    ops = sorted({n.op_type for n in model.graph.node})
    print(f"{path}: checker ok (full), opset {model.opset_import[0].version}, IR {model.ir_version}, "
          f"{len(model.graph.node)} nodes {ops}, outputs {[o.shape for o in outputs]} at batch 7, "
          f"{len(inferred.graph.value_info)} inferred value infos")
