"""PyTorch twins of the models in backend-models.ts (mlp, transformer, cnn) and task-models.ts
(sit, char-transformer): the same shapes,
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


def sit(size=16, patch=4, d=32, depth=4, h=2, mlp_ratio=2, classes=6, b=32, label_dropout=0.1):
    """shapesDiffusion()'s SiT: patch embedding + fixed sin-cos positions, adaLN-Zero blocks
    conditioned on an MLP of sinusoidal(1000 t) plus a class embedding (one null class), GELU
    as x*sigmoid(1.702 x), zero-initialised modulation and final layer; x_t = (1-t) x0 + t eps,
    MSE to v* = eps - x0; Adam 1e-3. A new batch every step (random images, noise, t, labels)."""
    pd, hidden, tokens, dh = patch * patch, d * mlp_ratio, (size // patch) ** 2, d // h
    xavier = lambda fan_in, fan_out: math.sqrt(2 / (fan_in + fan_out))
    zeros = lambda *shape: torch.zeros(*shape, requires_grad=True)
    patch_w, patch_b = param(pd, d, scale=xavier(pd, d)), zeros(d)
    time_w1, time_b1, time_w2, time_b2 = param(d, d, scale=0.02), zeros(d), param(d, d, scale=0.02), zeros(d)
    class_table = param(classes + 1, d, scale=0.02)
    blocks = [dict(mod_w=zeros(d, 6 * d), mod_b=zeros(6 * d), qkv_w=param(d, 3 * d, scale=xavier(d, 3 * d)), qkv_b=zeros(3 * d),
                   proj_w=param(d, d, scale=xavier(d, d)), proj_b=zeros(d), fc1_w=param(d, hidden, scale=xavier(d, hidden)),
                   fc1_b=zeros(hidden), fc2_w=param(hidden, d, scale=xavier(hidden, d)), fc2_b=zeros(d)) for _ in range(depth)]
    final_mod_w, final_mod_b, final_w, final_b = zeros(d, 2 * d), zeros(2 * d), zeros(d, pd), zeros(pd)
    params = [patch_w, patch_b, time_w1, time_b1, time_w2, time_b2, class_table] + [t for blk in blocks for t in blk.values()] + \
        [final_mod_w, final_mod_b, final_w, final_b]
    grid = size // patch
    quarter = d // 4
    omega = torch.tensor([1 / 10000 ** (i / quarter) for i in range(quarter)])
    ys, xs = torch.meshgrid(torch.arange(grid).float(), torch.arange(grid).float(), indexing='ij')
    ys, xs = ys.reshape(-1, 1) * omega, xs.reshape(-1, 1) * omega
    positions = torch.cat([ys.sin(), ys.cos(), xs.sin(), xs.cos()], 1)
    freqs = torch.exp(-math.log(10000) * torch.arange(d // 2).float() / (d // 2))

    def ln(x):
        mean = x.mean(-1, keepdim=True)
        var = ((x - mean) ** 2).mean(-1, keepdim=True)
        return (x - mean) / torch.sqrt(var + 1e-6)

    def patchify(img):
        return img.reshape(b, grid, patch, grid, patch).permute(0, 1, 3, 2, 4).reshape(b, tokens, pd)

    def unpatchify(tok):
        return tok.reshape(b, grid, grid, patch, patch).permute(0, 1, 3, 2, 4).reshape(b, size, size, 1)

    def attention(x, blk):
        qkv = x @ blk['qkv_w'] + blk['qkv_b']
        outs = []
        for i in range(h):
            part = lambda j: qkv[:, :, j * d + i * dh: j * d + (i + 1) * dh]
            att = torch.softmax((part(0) @ part(1).transpose(1, 2)) * (1 / math.sqrt(dh)), -1)
            outs.append(att @ part(2))
        return torch.cat(outs, 2) @ blk['proj_w'] + blk['proj_b']

    def loss():
        x0 = torch.rand(b, size, size, 1) * 2 - 1
        noise = torch.randn(b, size, size, 1)
        t = torch.rand(b)
        labels = torch.randint(0, classes, (b,))
        labels = torch.where(torch.rand(b) < label_dropout, torch.full_like(labels, classes), labels)
        tt = t.reshape(-1, 1, 1, 1)
        xt = (1 - tt) * x0 + tt * noise
        args_ = (t * 1000).reshape(-1, 1) * freqs
        pre = torch.cat([args_.cos(), args_.sin()], 1) @ time_w1 + time_b1
        c = (pre * torch.sigmoid(pre)) @ time_w2 + time_b2 + F.one_hot(labels, classes + 1).float() @ class_table
        silu_c = c * torch.sigmoid(c)
        hid = patchify(xt) @ patch_w + patch_b + positions
        for blk in blocks:
            shift_a, scale_a, gate_a, shift_m, scale_m, gate_m = (silu_c @ blk['mod_w'] + blk['mod_b']).reshape(b, 1, 6 * d).chunk(6, 2)
            hid = hid + gate_a * attention(ln(hid) * (1 + scale_a) + shift_a, blk)
            inner = (ln(hid) * (1 + scale_m) + shift_m) @ blk['fc1_w'] + blk['fc1_b']
            hid = hid + gate_m * ((inner * torch.sigmoid(1.702 * inner)) @ blk['fc2_w'] + blk['fc2_b'])
        shift, scale = (silu_c @ final_mod_w + final_mod_b).reshape(b, 1, 2 * d).chunk(2, 2)
        v = unpatchify((ln(hid) * (1 + scale) + shift) @ final_w + final_b)
        return ((v - (noise - x0)) ** 2).mean()
    return adam_step(params, 1e-3, loss)


def char_transformer(v=32, s=32, d=64, h=4, layers=2, ff=176, b=16):
    """charLmTransformer()'s decoder: oneHot @ E + learned positions, pre-norm blocks (RMSNorm ->
    causal attention, RMSNorm -> SwiGLU), final RMSNorm, untied head; init N(0, 0.02), residual
    outputs 0.02/sqrt(2 layers); next-token softmax cross-entropy; Adam 3e-3."""
    dh, res = d // h, 0.02 / math.sqrt(2 * layers)
    embed, pos = param(v, d, scale=0.02), param(s, d, scale=0.02)
    blocks = [dict(attn_norm=const(d, value=1), wq=param(d, d, scale=0.02), wk=param(d, d, scale=0.02), wv=param(d, d, scale=0.02),
                   wo=param(d, d, scale=res), mlp_norm=const(d, value=1), w_gate=param(d, ff, scale=0.02), w_up=param(d, ff, scale=0.02),
                   w_down=param(ff, d, scale=res)) for _ in range(layers)]
    final_norm, head = const(d, value=1), param(d, v, scale=0.02)
    params = [embed, pos] + [t for blk in blocks for t in blk.values()] + [final_norm, head]
    mask = torch.triu(torch.full((s, s), -1e9), diagonal=1)

    def rms(x, g):
        return x * torch.rsqrt((x * x).mean(-1, keepdim=True) + 1e-6) * g

    def split(t):
        return t.reshape(b, s, h, dh).transpose(1, 2).reshape(b * h, s, dh)

    def merge(t):
        return t.reshape(b, h, s, dh).transpose(1, 2).reshape(b * s, d)

    def loss():
        text = torch.randint(0, v, (b, s + 1))
        x, y = text[:, :-1], F.one_hot(text[:, 1:].reshape(-1), v).float()
        hid = ((F.one_hot(x.reshape(-1), v).float() @ embed).reshape(b, s, d) + pos).reshape(b * s, d)
        for blk in blocks:
            a = rms(hid, blk['attn_norm'])
            q, k, val = split(a @ blk['wq']), split(a @ blk['wk']), split(a @ blk['wv'])
            scores = (q @ k.transpose(1, 2)) * (1 / math.sqrt(dh)) + mask
            hid = hid + merge(torch.softmax(scores, -1) @ val) @ blk['wo']
            m = rms(hid, blk['mlp_norm'])
            gate = m @ blk['w_gate']
            hid = hid + ((gate * torch.sigmoid(gate)) * (m @ blk['w_up'])) @ blk['w_down']
        logits = rms(hid, final_norm) @ head
        return -(y * torch.log_softmax(logits, -1)).sum(-1).mean()
    return adam_step(params, 3e-3, loss)


MODELS = {'mlp': mlp, 'transformer': transformer, 'cnn': cnn, 'sit': sit, 'char-transformer': char_transformer}
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
