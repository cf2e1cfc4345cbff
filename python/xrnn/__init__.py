"""xrnn: RNN / GRU / LSTM layers with backpropagation through time, from Python.

The C++ library (xtensor + OpenBLAS) through pybind11, on NumPy arrays:

    import numpy as np, xrnn
    rnn = xrnn.Recurrent('lstm', input_size=5, hidden_size=6, num_layers=2, dtype=np.float64, seed=1)
    y, (h, c) = rnn.forward(x)              # x (seq_len, batch, 5), C order, float64
    dx, dh0, dc0 = rnn.backward(dy)         # parameter gradients accumulate in rnn.named_grads()
    rnn.state_dict()['weight_hh_l0']        # a writable view of the model's own weights

    xrnn.gradflow.probe(cell='rnn', activation=['tanh', 'relu'])   # the xrnn-gradflow sweeps
    lm = xrnn.load_char_model('best.ckpt'); lm.sample(prime='ROMEO:', length=200)

Arrays are never converted implicitly: a wrong dtype, order or shape is a TypeError /
ValueError naming the argument. Long calls release the GIL.
"""
from ._xrnn import (CharLM, CheckpointError, ClipResult, GradMonitor, Recurrent, activations, cells,
                    get_num_threads, inits, load_char_model, set_num_threads)
from . import gradflow

__all__ = ["Recurrent", "GradMonitor", "ClipResult", "CharLM", "CheckpointError", "load_char_model", "gradflow",
           "cells", "activations", "inits", "set_num_threads", "get_num_threads"]
