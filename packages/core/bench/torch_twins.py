"""PyTorch twins of the models in backend-models.ts (mlp, transformer, cnn): the same shapes,
initialisation scales, loss and Adam settings, fp32 on the CPU, the loss read back every step
(.item()). Driven by torch-parity.ts over stdin/stdout, one JSON object per line each way:

  {"op": "info"}                          -> torch version, threads, BLAS and build settings
  {"op": "create", "model": M, "warmup": W} -> builds M, takes W steps, returns their losses
  {"op": "block", "model": M, "ms": T}     -> steps M for about T ms; steps, wall and CPU ms
  {"op": "quit"}

  python3 torch_twins.py [--threads 1]
"""
import argparse
import json
import math
import sys
import time

import torch
import torch.nn.functional as F

parser = argparse.ArgumentParser()
parser.add_argument('--threads', type=int, default=1)
parser.add_argument('--seed', type=int, default=1)
args = parser.parse_args()
torch.set_num_threads(args.threads)
torch.manual_seed(args.seed)


def param(*shape, scale):
    return (torch.randn(*shape) * scale).requires_grad_()


def const(*shape, value):
    return torch.full(shape, float(value), requires_grad=True)


def cycle(items):
    state = {'i': 0}

    def next_item():
        item = items[state['i'] % len(items)]
        state['i'] += 1
        return item
    return next_item


def adam_step(params, lr, loss_fn):
    opt = torch.optim.Adam(params, lr=lr)

    def step():
        opt.zero_grad(set_to_none=True)
        loss = loss_fn()
        loss.backward()
        opt.step()
        return loss.item()
    return step


def mlp():
    """MLP 128 -> 256 ReLU -> 10, batch 256, softmax cross-entropy, Adam 1e-3."""
    w1, b1 = param(128, 256, scale=math.sqrt(2 / 128)), const(256, value=0)
    w2, b2 = param(256, 10, scale=math.sqrt(1 / 256)), const(10, value=0)
    batch = cycle([(torch.randn(256, 128), torch.randint(0, 10, (256,))) for _ in range(4)])

    def loss():
        x, y = batch()
        return F.cross_entropy(torch.relu(x @ w1 + b1) @ w2 + b2, y)
    return adam_step([w1, b1, w2, b2], 1e-3, loss)


def transformer(b=32, s=16, d=64, h=2, layers=2, ff=256, v=64):
    """Pre-LN decoder: oneHot @ E + positions, causal softmax attention, tanh-GELU with pow(x, 3),
    layer norm from the mean and biased variance, logSoftmax NLL; the previous-token task."""
    dh = d // h
    embed, pos = param(v, d, scale=0.02), param(s, d, scale=0.02)
    blocks = [dict(ln1g=const(d, value=1), ln1b=const(d, value=0),
                   wq=param(d, d, scale=1 / math.sqrt(d)), wk=param(d, d, scale=1 / math.sqrt(d)),
                   wv=param(d, d, scale=1 / math.sqrt(d)), wo=param(d, d, scale=1 / math.sqrt(d)),
                   ln2g=const(d, value=1), ln2b=const(d, value=0),
                   w1=param(d, ff, scale=1 / math.sqrt(d)), b1=const(ff, value=0),
                   w2=param(ff, d, scale=1 / math.sqrt(ff)), b2=const(d, value=0)) for _ in range(layers)]
    lnfg, lnfb, out = const(d, value=1), const(d, value=0), param(d, v, scale=1 / math.sqrt(d))
    params = [embed, pos] + [t for blk in blocks for t in blk.values()] + [lnfg, lnfb, out]
    mask = torch.triu(torch.full((s, s), -1e9), diagonal=1)

    def make_batch():
        tokens = torch.randint(0, v, (b, s))
        targets = torch.cat([tokens[:, :1], tokens[:, :-1]], 1)
        return F.one_hot(tokens.reshape(-1), v).float(), F.one_hot(targets.reshape(-1), v).float()
    batch = cycle([make_batch() for _ in range(4)])

    def ln(x, g, bias):
        mean = x.mean(-1, keepdim=True)
        var = ((x - mean) ** 2).mean(-1, keepdim=True)
        return (x - mean) / torch.sqrt(var + 1e-5) * g + bias

    def gelu(x):
        return 0.5 * x * (1 + torch.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * torch.pow(x, 3))))

    def heads(t):
        return t.reshape(b, s, h, dh).transpose(1, 2)

    def loss():
        x, y = batch()
        hid = ((x @ embed).reshape(b, s, d) + pos).reshape(b * s, d)
        for blk in blocks:
            n1 = ln(hid, blk['ln1g'], blk['ln1b'])
            q, k, val = heads(n1 @ blk['wq']), heads(n1 @ blk['wk']), heads(n1 @ blk['wv'])
            scores = (q @ k.transpose(-1, -2)) * (1 / math.sqrt(dh)) + mask
            att = (torch.softmax(scores, -1) @ val).transpose(1, 2).reshape(b * s, d)
            hid = hid + att @ blk['wo']
            n2 = ln(hid, blk['ln2g'], blk['ln2b'])
            hid = hid + (gelu(n2 @ blk['w1'] + blk['b1']) @ blk['w2'] + blk['b2'])
        logits = ln(hid, lnfg, lnfb) @ out
        return -(y * torch.log_softmax(logits, -1)).sum(-1).mean()
    return adam_step(params, 1e-3, loss)


def cnn():
    """28x28x1 -> conv 3x3 8 'same' ReLU -> maxpool 2 -> conv 3x3 16 'same' ReLU -> maxpool 2 ->
    dense 784 -> 10, batch 64, softmax cross-entropy, Adam 1e-3 (NCHW, PyTorch's layout)."""
    k1, c1 = param(8, 1, 3, 3, scale=math.sqrt(2 / 9)), const(8, value=0)
    k2, c2 = param(16, 8, 3, 3, scale=math.sqrt(2 / 72)), const(16, value=0)
    w, bias = param(7 * 7 * 16, 10, scale=math.sqrt(1 / 784)), const(10, value=0)
    batch = cycle([(torch.randn(64, 1, 28, 28), torch.randint(0, 10, (64,))) for _ in range(4)])

    def loss():
        x, y = batch()
        h1 = F.max_pool2d(torch.relu(F.conv2d(x, k1, c1, padding=1)), 2)
        h2 = F.max_pool2d(torch.relu(F.conv2d(h1, k2, c2, padding=1)), 2)
        return F.cross_entropy(h2.reshape(64, -1) @ w + bias, y)
    return adam_step([k1, c1, k2, c2, w, bias], 1e-3, loss)


MODELS = {'mlp': mlp, 'transformer': transformer, 'cnn': cnn}
steps = {}


def reply(obj):
    sys.stdout.write(json.dumps(obj) + '\n')
    sys.stdout.flush()


for line in sys.stdin:
    msg = json.loads(line)
    op = msg['op']
    if op == 'info':
        config = torch.__config__.show()
        blas = [ln.strip() for ln in config.splitlines() if 'BLAS' in ln or 'LAPACK' in ln]
        with open('/proc/self/maps') as maps:  # the BLAS the process actually loaded (Linux)
            loaded = sorted({ln.split()[-1] for ln in maps if 'blas' in ln.lower() or 'lapack' in ln.lower()})
        reply({'torch': torch.__version__, 'threads': torch.get_num_threads(), 'blas': blas, 'blasLoaded': loaded, 'config': config,
               'python': sys.version.split()[0], 'models': sorted(MODELS)})
    elif op == 'create':
        name = msg['model']
        if name not in MODELS:
            reply({'error': f'no PyTorch twin of {name}; have {sorted(MODELS)}'})
            continue
        steps[name] = MODELS[name]()
        reply({'losses': [steps[name]() for _ in range(msg.get('warmup', 5))]})
    elif op == 'block':
        step = steps[msg['model']]
        t0, c0, n = time.perf_counter(), time.process_time(), 0
        while (time.perf_counter() - t0) * 1000 < msg['ms'] or n < 2:
            loss = step()
            n += 1
        reply({'steps': n, 'wallMs': (time.perf_counter() - t0) * 1000, 'cpuMs': (time.process_time() - c0) * 1000, 'loss': loss})
    elif op == 'quit':
        break
    else:
        reply({'error': f'unknown op {op}'})
