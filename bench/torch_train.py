"""PyTorch CPU peer of bench/train.mjs: the authors' model structure
(embedding, a selective SSM scanned step by step, readout of the last step),
binary cross-entropy with the spread penalty, autograd and Adam, on one
thread. Prints one JSON object of median milliseconds per case.

Usage: torch_train.py T BATCH SEQUENCES
"""
import json
import statistics
import sys
import time

import torch


class Model(torch.nn.Module):
    def __init__(self, vocab, d, n_states):
        super().__init__()
        self.embedding = torch.nn.Embedding(vocab, d)
        self.A = torch.nn.Parameter(-10 * torch.rand(d, n_states))
        self.W_B = torch.nn.Parameter(torch.randn(n_states, d))
        self.W_C = torch.nn.Parameter(torch.randn(n_states, d))
        self.q = torch.nn.Parameter(torch.randn(d))
        self.p = torch.nn.Parameter(torch.randn(1))
        self.w = torch.nn.Parameter(torch.randn(d))

    def forward(self, tokens):
        u = self.embedding(tokens)                                # batch × T × d
        delta = torch.nn.functional.softplus(self.p + u @ self.q)  # batch × T
        B = u @ self.W_B.T                                        # batch × T × N
        C = u @ self.W_C.T
        decay = torch.exp(delta[..., None, None] * self.A)        # batch × T × d × N
        inputs = delta[..., None, None] * B[:, :, None, :] * u[..., None]
        h = torch.zeros(tokens.shape[0], self.A.shape[0], self.A.shape[1])
        for t in range(tokens.shape[1]):
            h = decay[:, t] * h + inputs[:, t]
        y = torch.einsum('bdn,bn->bd', h, C[:, -1])
        return y @ self.w


def loss_of(model, tokens, labels):
    logits = model(tokens)
    loss = torch.nn.functional.binary_cross_entropy_with_logits(logits, labels)
    spread = torch.std(torch.sigmoid(logits))
    return loss + torch.clamp((0.1 - spread) * 10, min=0.0)


def median_ms(function, runs):
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        function()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main():
    length, batch, sequences = (int(value) for value in sys.argv[1:4])
    torch.set_num_threads(1)
    torch.manual_seed(0)
    model = Model(2, 4, 4)
    tokens = torch.randint(0, 2, (sequences, length))
    labels = (tokens.sum(dim=1) > length / 2).float()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2, weight_decay=1e-5)

    def batch_step():
        optimizer.zero_grad()
        loss_of(model, tokens[:batch], labels[:batch]).backward()

    def epoch():
        order = torch.randperm(sequences)
        for start in range(0, sequences, batch):
            index = order[start:start + batch]
            optimizer.zero_grad()
            loss_of(model, tokens[index], labels[index]).backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=5.0)
            optimizer.step()

    print(json.dumps({
        "torch_version": torch.__version__,
        "gradient_batch": median_ms(batch_step, 7),
        "epoch": median_ms(epoch, 3),
    }))


if __name__ == "__main__":
    main()
