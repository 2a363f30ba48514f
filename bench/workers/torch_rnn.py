"""PyTorch side of the RNN benchmark, speaking the bench worker protocol (JSON lines on stdout,
"run" on stdin). The model is the tutorial's RNNModel: Embedding -> nn.RNN/LSTM/GRU -> Linear,
trained with Adam on CrossEntropyLoss by truncated BPTT (state carried and detached between steps),
or run greedily one token at a time for generation."""
import ctypes
import json
import os
import resource
import sys
import time

import numpy as np
import torch
import torch.nn as nn

CELLS = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}


class RNNModel(nn.Module):
    def __init__(self, cell, vocab_size, embed_size, hidden_size, num_layers):
        super().__init__()
        self.embed = nn.Embedding(vocab_size, embed_size)
        self.rnn = CELLS[cell](embed_size, hidden_size, num_layers)
        self.linear = nn.Linear(hidden_size, vocab_size)

    def forward(self, x, h):
        out, h = self.rnn(self.embed(x), h)
        return self.linear(out), h


def send(msg):
    sys.stdout.write(json.dumps(msg) + "\n")
    sys.stdout.flush()


def loaded_blas():
    """The BLAS libraries this process mapped, by real path, and OpenBLAS's core if it is one."""
    libs = set()
    with open("/proc/self/maps") as maps:
        for line in maps:
            path = line.split()[-1]
            name = os.path.basename(path)
            if "blas" in name or "mkl" in name:
                libs.add(os.path.realpath(path))
    core = None
    for path in libs:
        try:
            lib = ctypes.CDLL(path)
            lib.openblas_get_corename.restype = ctypes.c_char_p
            core = lib.openblas_get_corename().decode()
            break
        except (OSError, AttributeError):
            continue
    return sorted(libs), core


def detach(h):
    return tuple(x.detach() for x in h) if isinstance(h, tuple) else h.detach()


def zero_state(cell, layers, batch, hidden):
    h = torch.zeros(layers, batch, hidden)
    return (h, torch.zeros_like(h)) if cell == "lstm" else h


def main():
    opts = json.loads(sys.argv[1])
    cfg = opts["config"]
    cell = opts["cell"]
    threads = opts["threads"]
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    V, E, H, L = cfg["vocabSize"], cfg["embedSize"], cfg["hiddenSize"], cfg["numLayers"]
    T, B = cfg["seqLen"], cfg["batch"]
    model = RNNModel(cell, V, E, H, L)
    # Touch the BLAS before asking which one is mapped: some builds load it lazily.
    torch.randn(64, 64) @ torch.randn(64, 64)
    libs, core = loaded_blas()
    info = {
        "torch": torch.__version__,
        "python": sys.version.split()[0],
        "threads": torch.get_num_threads(),
        "blas": libs,
        "openblasCore": core,
        "OPENBLAS_CORETYPE": os.environ.get("OPENBLAS_CORETYPE"),
    }

    if opts["mode"] == "train":
        data = torch.from_numpy(np.fromfile(opts["dataFile"], dtype=np.int32).astype(np.int64)).view(-1, B)
        batches = (data.shape[0] - 1) // T
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)
        loss_fn = nn.CrossEntropyLoss()
        steps = opts["stepsPerSample"]
        state = {"h": zero_state(cell, L, B, H), "k": 0}

        def run():
            t0 = time.perf_counter()
            loss = None
            for _ in range(steps):
                i = (state["k"] % batches) * T
                state["k"] += 1
                x, y = data[i:i + T], data[i + 1:i + 1 + T]
                logits, h = model(x, detach(state["h"]))
                state["h"] = h
                loss = loss_fn(logits.view(-1, V), y.reshape(-1))
                opt.zero_grad()
                loss.backward()
                opt.step()
            seconds = time.perf_counter() - t0
            return {"seconds": seconds, "tokens": steps * T * B, "loss": float(loss)}
    else:
        model.eval()
        tokens = opts["tokensPerSample"]

        def run():
            with torch.no_grad():
                h = zero_state(cell, L, 1, H)
                tok = torch.tensor([[1]])
                t0 = time.perf_counter()
                for _ in range(tokens):
                    logits, h = model(tok, h)
                    tok = logits.argmax(-1)
                seconds = time.perf_counter() - t0
            return {"seconds": seconds, "tokens": tokens}

    send({"ready": info})
    for line in sys.stdin:
        if line.strip() == "exit":
            break
        sample = run()
        sample["peakRssBytes"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        send({"sample": sample})


if __name__ == "__main__":
    try:
        main()
    except Exception as err:  # the orchestrator shows this and moves on to the other cases
        import traceback
        send({"error": "".join(traceback.format_exception(err))})
        sys.exit(1)
