"""Training steps of the authors' recipe in PyTorch, float64: an independent
reference for tests/torch.test.mjs.

Reads one JSON object from standard input: the initial parameters (lists
by name), batches of token rows and labels, and the recipe. Writes the parameters after every step, flattened in ssm-lens's
packed order (embedding, A, W_B, W_C, q, p, w), and each step's loss.
"""
import json
import sys

import torch


def main():
    job = json.load(sys.stdin)
    torch.set_default_dtype(torch.float64)
    names = ["embedding", "A", "W_B", "W_C", "q", "p", "w"]
    params = {name: torch.nn.Parameter(torch.tensor(job["params"][name])) for name in names}
    recipe = job["recipe"]
    optimizer = torch.optim.Adam(params.values(), lr=recipe["lr"], betas=tuple(recipe["betas"]),
                                 eps=recipe["eps"], weight_decay=recipe["weightDecay"])

    def forward(tokens):
        u = params["embedding"][tokens]                                  # batch × T × d
        delta = torch.nn.functional.softplus(params["p"] + u @ params["q"])
        B = u @ params["W_B"].T
        C = u @ params["W_C"].T
        h = torch.zeros(tokens.shape[0], params["A"].shape[0], params["A"].shape[1])
        for t in range(tokens.shape[1]):
            decay = torch.exp(delta[:, t, None, None] * params["A"])
            h = decay * h + delta[:, t, None, None] * B[:, t, None, :] * u[:, t, :, None]
        y = torch.einsum("bdn,bn->bd", h, C[:, -1])
        # w is d for one logit, K×d for K classes (the authors' ListOps readout W).
        readout = params["w"]
        return y @ (readout.T if readout.dim() == 2 else readout)

    steps = []
    for batch in job["batches"]:
        tokens = torch.tensor(batch["tokens"])
        optimizer.zero_grad()
        logits = forward(tokens)
        if logits.dim() == 1:
            labels = torch.tensor(batch["labels"], dtype=torch.float64)
            loss = torch.nn.functional.binary_cross_entropy_with_logits(logits, labels)
        else:
            loss = torch.nn.functional.cross_entropy(logits, torch.tensor(batch["labels"]))
        spread = torch.std(torch.sigmoid(logits))
        loss = loss + torch.clamp((recipe["minStd"] - spread) * recipe["penaltyFactor"], min=0.0)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params.values(), max_norm=recipe["clipNorm"])
        optimizer.step()
        flat = torch.cat([params[name].detach().reshape(-1) for name in names])
        steps.append({"loss": loss.item(), "params": flat.tolist()})
    json.dump({"torch_version": torch.__version__, "steps": steps}, sys.stdout)


if __name__ == "__main__":
    main()
