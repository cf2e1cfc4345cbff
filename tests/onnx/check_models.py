# tests/onnx/check_models.py -- the ONNX checker (Debian's python3-onnx) on every exported model,
# with full_check: the graph, every operator's schema at the model's opset, and strict shape
# inference, which must agree with the declared input and output shapes.
# usage: /usr/bin/python3 check_models.py DIR
import glob
import os
import sys

import onnx

paths = sorted(glob.glob(os.path.join(sys.argv[1], "*.onnx")))
if not paths:
    sys.exit("FAIL: no .onnx files in " + sys.argv[1])
for p in paths:
    try:
        onnx.checker.check_model(p, full_check=True)
    except Exception as e:  # the checker raises ValidationError, shape inference InferenceError
        sys.exit("FAIL: onnx.checker on %s: %s" % (os.path.basename(p), e))
    m = onnx.load(p)
    opsets = {o.domain: o.version for o in m.opset_import}
    if opsets.get("", 0) < 14:
        sys.exit("FAIL: %s imports opset %s; ONNX's RNN/GRU/LSTM need >= 14" % (p, opsets))
print("onnx %s checker (full_check): %d models pass, opset %s, IR version %d"
      % (onnx.__version__, len(paths), opsets.get(""), m.ir_version))
