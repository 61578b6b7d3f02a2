#!/usr/bin/env python3
"""arsim profiler: per-layer latency of a PyTorch model on a CUDA GPU, written as an arsim profile.

On a CUDA machine it measures every layer of the model with CUDA events, for each batch size
(1, 2, 4, ... up to --max-batch) and precision (fp32, fp16; tf32 on request), after a warm-up; it
also times the whole model without per-layer instrumentation and reports how far the sum of the
layers is from that end-to-end time. Weights are random: nothing is downloaded.

Without a GPU (or with --layers-only) it writes the model's layer table instead: every layer in
execution order with its output shape, FLOPs, bytes moved and the bytes that would cross the
network if the model were split after it, computed from a trace on PyTorch's meta device.

  python3 tools/profile_model.py --model resnet50 --out Workloads/profiles/measured
  python3 tools/profile_model.py --model resnet50 --layers-only --out Workloads/models

docs/profiling.md explains how to profile your own model and use it in a scenario.
"""

import argparse
import datetime
import json
import math
import os
import platform
import subprocess
import sys
import time

import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from profile_timing import MIN_REPETITIONS, fits, next_batch_seconds, repetitions_for  # noqa: E402
from torch.utils._python_dispatch import TorchDispatchMode

FORMAT_VERSION = 1

# --------------------------------------------------------------------------------------------
# Models. Each entry: constructor (random weights) and the input shape of one sample (C, H, W).


def _torchvision():
    import torchvision.models as tv
    import torchvision.models.detection as det
    import torchvision.models.segmentation as seg
    return tv, det, seg


class TensorOutput(nn.Module):
    """Wraps a model whose forward returns a dict or list, returning its main tensor."""

    def __init__(self, inner, key):
        super().__init__()
        self.inner = inner
        self.key = key

    def forward(self, x):
        out = self.inner(x)
        return out[self.key]


class SSDCore(nn.Module):
    """SSD300-VGG16 without pre- and post-processing: backbone feature maps into the heads.
    The image transform and non-maximum suppression run on the CPU in torchvision and are left
    out, as a GPU latency profile should."""

    def __init__(self):
        super().__init__()
        _, det, _ = _torchvision()
        model = det.ssd300_vgg16(weights=None, weights_backbone=None)
        self.backbone = model.backbone
        self.head = model.head

    def forward(self, x):
        features = list(self.backbone(x).values())
        out = self.head(features)
        return torch.cat([out["bbox_regression"], out["cls_logits"]], dim=2)


class MaskRCNNCore(nn.Module):
    """Mask R-CNN (He, Gkioxari, Dollar, Girshick, ICCV 2017) as torchvision builds it
    (maskrcnn_resnet50_fpn: ResNet-50 with an FPN), without the CPU-side image transform and
    post-processing: the backbone and FPN, the RPN head on every level, the box head on 1,000
    proposals and the mask head on 100 detections per image, torchvision's test-time defaults
    (rpn_post_nms_top_n_test, box_detections_per_img). Which proposals survive non-maximum
    suppression depends on the image; their number, which is what costs, does not. Every RoI is
    pooled from the finest FPN level: torchvision picks a level per box from its area, which the
    meta-device trace cannot evaluate, and the pooled output (and so the heads' work) is the same."""

    def __init__(self, proposals=1000, detections=100):
        super().__init__()
        _, det, _ = _torchvision()
        m = det.maskrcnn_resnet50_fpn(weights=None, weights_backbone=None)
        self.backbone, self.rpn_head = m.backbone, m.rpn.head
        heads = m.roi_heads
        self.box_head, self.box_predictor = heads.box_head, heads.box_predictor
        self.mask_head, self.mask_predictor = heads.mask_head, heads.mask_predictor
        self.proposals, self.detections = proposals, detections
        # RoIs as (image index, x1, y1, x2, y2); their values do not matter for the cost.
        self.register_buffer("rois", torch.zeros(proposals, 5), persistent=False)

    def _pool(self, feature, count, batch, size):
        from torchvision.ops import roi_align
        rois = torch.cat([self.rois[:count]] * batch) if batch > 1 else self.rois[:count]
        return roi_align(feature, rois, (size, size), spatial_scale=0.25, sampling_ratio=2, aligned=False)

    def forward(self, x):
        features = self.backbone(x)
        objectness, deltas = self.rpn_head(list(features.values()))
        finest = features["0"]
        boxes = self.box_predictor(self.box_head(self._pool(finest, self.proposals, x.shape[0], 7)))
        masks = self.mask_predictor(self.mask_head(self._pool(finest, self.detections, x.shape[0], 14)))
        return masks


class YOLOCore(nn.Module):
    """A YOLOv8 detector (Ultralytics; Jocher, Chaurasia, Qiu 2023) built from the package's own
    model definition (its yolov8{n,s}.yaml, so needs `pip install ultralytics`), without the
    box decoding and non-maximum suppression: the backbone, the PAN neck and the detection head's
    raw box distributions and class scores for the 8,400 anchors of a 640x640 image."""

    def __init__(self, scale):
        super().__init__()
        # Building runs a forward pass to find the strides, which the meta device cannot: build on
        # the CPU (trace() moves the model to the meta device after). The import too: the package
        # makes tensors when it is first imported (the detection head's empty anchors), and made
        # inside trace()'s meta context they could never be moved to a GPU.
        with torch.device("cpu"):
            try:
                from ultralytics.nn.tasks import DetectionModel
            except ImportError:
                sys.exit("profile_model.py: the YOLO models need the ultralytics package (pip install ultralytics)")
            self.model = DetectionModel(f"yolov8{scale}.yaml", verbose=False).eval()
        # The head returns its raw outputs when it is in training mode; its layers stay in eval mode.
        self.model.model[-1].training = True

    def train(self, mode=True):
        super().train(mode)
        self.model.model[-1].training = True
        return self

    def forward(self, x):
        out = self.model(x)
        if not isinstance(out, dict):
            sys.exit("profile_model.py: the YOLO models need ultralytics 8.4 or later, whose detection head returns its raw "
                     "boxes and scores as a dict (built with 8.4.190)")
        return torch.cat([out["boxes"], out["scores"]], dim=1)


class _UpSampleBN(nn.Module):
    """AdaBins' decoder step: upsample to the skip's size, concatenate, two 3x3 conv-BN-LeakyReLU."""

    def __init__(self, c_in, c_out):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(c_in, c_out, 3, 1, 1), nn.BatchNorm2d(c_out), nn.LeakyReLU(0.01),
            nn.Conv2d(c_out, c_out, 3, 1, 1), nn.BatchNorm2d(c_out), nn.LeakyReLU(0.01))

    def forward(self, x, skip):
        up = nn.functional.interpolate(x, size=skip.shape[-2:], mode="bilinear", align_corners=True)
        return self.net(torch.cat([up, skip], dim=1))


class AdaBins(nn.Module):
    """AdaBins (Bhat, Alhashim, Wonka, CVPR 2021), its NYU configuration (256 bins, depth 0.001-10 m,
    480x640 input), written from the paper and the layer structure of its public code
    (shariqfarooq123/AdaBins): an EfficientNet-B5 encoder (timm's tf_efficientnet_b5, the
    architecture of the AdvProp weights it loads), a U-Net decoder of four upsample-concatenate
    steps to half resolution, and the mini-ViT: 16x16 patches into a 4-layer transformer (128-d,
    4 heads, feed-forward 1024) whose first token regresses the bin widths and whose next 128 are
    queries for the range-attention maps, then a 1x1 convolution and softmax over the bins, and
    depth as the probability-weighted sum of the bin centres."""

    def __init__(self, bins=256, min_depth=1e-3, max_depth=10.0):
        super().__init__()
        try:
            import timm
        except ImportError:
            sys.exit("profile_model.py: AdaBins needs the timm package (pip install timm) for its EfficientNet-B5 encoder")
        self.encoder = timm.create_model("tf_efficientnet_b5", pretrained=False)
        self.conv2 = nn.Conv2d(2048, 2048, 1, 1, 1)  # padding 1 on a 1x1 kernel, as in the original
        self.up1, self.up2 = _UpSampleBN(2048 + 176, 1024), _UpSampleBN(1024 + 64, 512)
        self.up3, self.up4 = _UpSampleBN(512 + 40, 256), _UpSampleBN(256 + 24, 128)
        self.conv3 = nn.Conv2d(128, 128, 3, 1, 1)
        self.patches = nn.Conv2d(128, 128, 16, 16)
        self.positions = nn.Parameter(torch.rand(500, 128))
        layer = nn.TransformerEncoderLayer(d_model=128, nhead=4, dim_feedforward=1024)
        self.transformer = nn.TransformerEncoder(layer, num_layers=4, enable_nested_tensor=False)
        self.regressor = nn.Sequential(nn.Linear(128, 256), nn.LeakyReLU(), nn.Linear(256, 256), nn.LeakyReLU(),
                                       nn.Linear(256, bins))
        self.queries_conv = nn.Conv2d(128, 128, 3, 1, 1)
        self.conv_out = nn.Sequential(nn.Conv2d(128, bins, 1), nn.Softmax(dim=1))
        self.min_depth, self.max_depth = min_depth, max_depth

    def forward(self, x):
        e = self.encoder
        x = e.bn1(e.conv_stem(x))
        skips = []
        for i, block in enumerate(e.blocks):
            x = block(x)
            if i in (0, 1, 2, 4):  # 24, 40, 64 and 176 channels at /2, /4, /8, /16
                skips.append(x)
        x = self.conv2(e.conv_head(x))  # the head's 1x1 conv, before its BN and activation
        x = self.up1(x, skips[3])
        x = self.up2(x, skips[2])
        x = self.up3(x, skips[1])
        x = self.conv3(self.up4(x, skips[0]))
        tokens = self.patches(x).flatten(2)                      # N, 128, S
        tokens = tokens + self.positions[:tokens.shape[2]].T.unsqueeze(0)
        tokens = self.transformer(tokens.permute(2, 0, 1))       # S, N, 128
        y = self.regressor(tokens[0])
        queries = tokens[1:129].permute(1, 0, 2)                 # N, 128, 128
        features = self.queries_conv(x)
        n, c, h, w = features.shape
        attention = torch.bmm(queries, features.flatten(2)).view(n, 128, h, w)
        probabilities = self.conv_out(attention)
        widths = torch.relu(y) + 0.1
        widths = widths / widths.sum(dim=1, keepdim=True) * (self.max_depth - self.min_depth)
        edges = torch.cumsum(nn.functional.pad(widths, (1, 0), value=self.min_depth), dim=1)
        centres = 0.5 * (edges[:, :-1] + edges[:, 1:])
        return (probabilities * centres.view(n, -1, 1, 1)).sum(dim=1, keepdim=True)


class DeepVO(nn.Module):
    """DeepVO (Wang, Clark, Wen, Trigoni, ICRA 2017): monocular visual odometry from two
    consecutive RGB frames stacked into 6 channels at 1280x384, a FlowNetS-style encoder of nine
    convolutions (ReLU after each but the last; the kernel, stride and channel layout of the public
    re-implementation ChiWeiHsiao/DeepVO-pytorch, which follows FlowNetS), then two LSTM layers of
    1,000 units and a 6-DoF pose. The paper's full-size configuration: its first LSTM layer reads
    the 20x6x1024 feature map, about 495 M weights. Run on a stream, each new frame advances the
    LSTM by one step from the carried state: the LSTMs are written as that step's gate products
    (input and recurrent matrix products, then the gates), so that their matrix work is counted."""

    def __init__(self, hidden=1000):
        super().__init__()
        layout = [(6, 64, 7, 2), (64, 128, 5, 2), (128, 256, 5, 2), (256, 256, 3, 1), (256, 512, 3, 2),
                  (512, 512, 3, 1), (512, 512, 3, 2), (512, 512, 3, 1), (512, 1024, 3, 2)]
        layers = []
        for i, (c_in, c_out, k, s) in enumerate(layout):
            layers.append(nn.Conv2d(c_in, c_out, k, s, (k - 1) // 2))
            if i < len(layout) - 1:
                layers.append(nn.ReLU(inplace=True))
        self.cnn = nn.Sequential(*layers)
        features = 1024 * 6 * 20
        # Both products carry a bias, as nn.LSTM's b_ih and b_hh do, so the parameters are nn.LSTM's.
        self.input1, self.recurrent1 = nn.Linear(features, 4 * hidden), nn.Linear(hidden, 4 * hidden)
        self.input2, self.recurrent2 = nn.Linear(hidden, 4 * hidden), nn.Linear(hidden, 4 * hidden)
        self.pose = nn.Linear(hidden, 6)
        self.register_buffer("state", torch.zeros(4, hidden), persistent=False)  # h1, c1, h2, c2

    @staticmethod
    def _step(gates, c):
        i, f, g, o = gates.chunk(4, dim=1)
        c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
        return torch.sigmoid(o) * torch.tanh(c), c

    def forward(self, x):
        n = x.shape[0]
        features = self.cnn(x).flatten(1)
        h1, c1, h2, c2 = (s.expand(n, -1) for s in self.state)
        h1, c1 = self._step(self.input1(features) + self.recurrent1(h1), c1)
        h2, c2 = self._step(self.input2(h1) + self.recurrent2(h2), c2)
        return self.pose(h2)


def _depthwise(c_in, kernel, stride=1):
    return nn.Sequential(
        nn.Conv2d(c_in, c_in, kernel, stride, kernel // 2, groups=c_in, bias=False),
        nn.BatchNorm2d(c_in), nn.ReLU(inplace=True))


def _pointwise(c_in, c_out):
    return nn.Sequential(nn.Conv2d(c_in, c_out, 1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU(inplace=True))


class FastDepth(nn.Module):
    """FastDepth (Wofk et al., ICRA 2019): a MobileNet encoder, a decoder of five depthwise 5x5 +
    pointwise convolutions each followed by 2x nearest upsampling, additive skip connections from
    the encoder, and a 1x1 convolution to one depth channel. Written from the paper's description
    (its Fig. 2 and Table I, 'NNConv5' decoder with additive skips)."""

    def __init__(self):
        super().__init__()
        # MobileNet v1 encoder: (out channels, stride) of the 13 depthwise-separable blocks.
        plan = [(64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2),
                (512, 1), (512, 1), (512, 1), (512, 1), (512, 1), (1024, 2), (1024, 1)]
        self.conv0 = nn.Sequential(nn.Conv2d(3, 32, 3, 2, 1, bias=False), nn.BatchNorm2d(32), nn.ReLU(inplace=True))
        blocks, c = [], 32
        for out, stride in plan:
            blocks.append(nn.Sequential(_depthwise(c, 3, stride), _pointwise(c, out)))
            c = out
        self.encoder = nn.ModuleList(blocks)
        widths = [1024, 512, 256, 128, 64, 32]
        self.decoder = nn.ModuleList(
            nn.Sequential(_depthwise(widths[i], 5), _pointwise(widths[i], widths[i + 1])) for i in range(5))
        self.up = nn.Upsample(scale_factor=2, mode="nearest")
        self.head = nn.Sequential(nn.Conv2d(32, 1, 1, bias=False), nn.BatchNorm2d(1), nn.ReLU(inplace=True))

    def forward(self, x):
        x = self.conv0(x)
        skips = {}
        for i, block in enumerate(self.encoder):
            x = block(x)
            if i in (0, 2, 4):  # 112x112x64, 56x56x128, 28x28x256 for a 224x224 input
                skips[i] = x
        for i, block in enumerate(self.decoder):
            x = self.up(block(x))
            if i == 1:
                x = x + skips[4]
            elif i == 2:
                x = x + skips[2]
            elif i == 3:
                x = x + skips[0]
        return self.head(x)


def _version(package):
    try:
        from importlib.metadata import version
        return version(package)
    except Exception:
        return "unknown"


# Where a model's architecture comes from, written into its layer table (called when writing, so
# that the versions are the ones that built it).
ARCHITECTURES = {
    "yolov8n": lambda: f"Ultralytics YOLOv8n, the package's yolov8n.yaml (ultralytics {_version('ultralytics')}); "
                       "published: 3.2 M parameters, 8.7 GFLOPs at 640x640",
    "yolov8s": lambda: f"Ultralytics YOLOv8s, the package's yolov8s.yaml (ultralytics {_version('ultralytics')}); "
                       "published: 11.2 M parameters, 28.6 GFLOPs at 640x640",
    "adabins": lambda: f"AdaBins (Bhat et al., CVPR 2021), NYU configuration, written from the paper and the layer structure "
                       f"of shariqfarooq123/AdaBins (class AdaBins); encoder timm {_version('timm')} tf_efficientnet_b5; "
                       "78.3 M parameters counted from that code's layers",
    "deepvo": lambda: "DeepVO (Wang et al., ICRA 2017) at the paper's 1280x384, nine FlowNetS-style convolutions as in the "
                      "re-implementation ChiWeiHsiao/DeepVO-pytorch, two 1000-unit LSTM layers as one streaming step (class DeepVO); "
                      "518.15 M parameters counted from that layout (nn.LSTM's)",
    "maskrcnn_resnet50_fpn": lambda: f"torchvision {_version('torchvision')} maskrcnn_resnet50_fpn (He et al., ICCV 2017), "
                                     "core without pre- and post-processing: 1,000 proposals, 100 detections (MaskRCNNCore)",
}


def build_model(name):
    tv, det, seg = _torchvision()
    table = {
        "resnet50": (lambda: tv.resnet50(weights=None), (3, 224, 224)),
        "mobilenet_v2": (lambda: tv.mobilenet_v2(weights=None), (3, 224, 224)),
        "vgg16": (lambda: tv.vgg16(weights=None), (3, 224, 224)),
        "ssd300_vgg16": (SSDCore, (3, 300, 300)),
        "deeplabv3_resnet50": (
            lambda: TensorOutput(seg.deeplabv3_resnet50(weights=None, weights_backbone=None, aux_loss=False), "out"),
            (3, 480, 640)),
        "fastdepth": (FastDepth, (3, 224, 224)),
        # More models that AR work uses (issue 17): a YOLO-class detector at two sizes, a Mask
        # R-CNN-class instance segmenter (at the AR camera's 480x640, like DeepLabV3).
        "yolov8n": (lambda: YOLOCore("n"), (3, 640, 640)),
        "yolov8s": (lambda: YOLOCore("s"), (3, 640, 640)),
        "maskrcnn_resnet50_fpn": (MaskRCNNCore, (3, 480, 640)),
        # An AdaBins-class depth estimator (NYU, 480x640) and a visual-odometry network (KITTI
        # frame pairs, 1280x384).
        "adabins": (AdaBins, (3, 480, 640)),
        "deepvo": (DeepVO, (6, 384, 1280)),
        # The PPipe models that torchvision defines, at the input shapes of the PPipe artifact;
        # used to validate the derived cost model against PPipe's measurements.
        "wide_resnet101_2": (lambda: tv.wide_resnet101_2(weights=None), (3, 518, 518)),
        "convnext_large": (lambda: tv.convnext_large(weights=None), (3, 128, 448)),
        "googlenet-v3-pytorch": (lambda: tv.inception_v3(weights=None, aux_logits=False, init_weights=False), (3, 598, 598)),
    }
    if name not in table:
        sys.exit(f"profile_model.py: unknown model {name!r}; known: {', '.join(sorted(table))}")
    make, shape = table[name]
    return make, shape


# --------------------------------------------------------------------------------------------
# Tracing: layers in execution order with their cost, on the meta device (no memory, no compute).

VIEW_OPS = {
    "view", "_unsafe_view", "reshape", "t", "transpose", "permute", "expand", "unsqueeze", "squeeze",
    "detach", "alias", "as_strided", "slice", "select", "split", "split_with_sizes", "chunk", "flatten",
    "_reshape_alias", "unbind", "contiguous", "lift_fresh", "empty", "empty_like", "empty_strided", "new_empty",
    "zeros", "zeros_like",
}


def _tensors(obj):
    if isinstance(obj, torch.Tensor):
        yield obj
    elif isinstance(obj, (list, tuple)):
        for o in obj:
            yield from _tensors(o)
    elif isinstance(obj, dict):
        for o in obj.values():
            yield from _tensors(o)


def _nbytes(t):
    return t.numel() * t.element_size()


def op_flops(name, args, outputs):
    """Floating-point operations of one aten op (multiply-add = 2)."""
    out = sum(t.numel() for t in outputs)
    if name == "convolution":
        x, w = args[0], args[1]
        groups = args[8] if len(args) > 8 else 1
        per_output = 2 * (x.shape[1] // groups) * math.prod(w.shape[2:])
        return out * per_output + (out if args[2] is not None else 0)
    if name in ("addmm",):
        a, b = args[1], args[2]
        return 2 * a.shape[0] * a.shape[1] * b.shape[1] + out
    if name == "mm":
        a, b = args[0], args[1]
        return 2 * a.shape[0] * a.shape[1] * b.shape[1]
    if name in ("bmm", "baddbmm"):
        a, b = (args[0], args[1]) if name == "bmm" else (args[1], args[2])
        return 2 * a.shape[0] * a.shape[1] * a.shape[2] * b.shape[2]
    if name in ("_native_batch_norm_legit_no_training", "native_batch_norm", "batch_norm"):
        return 2 * out
    if name in ("native_layer_norm", "native_group_norm", "_softmax", "softmax"):
        return 5 * out
    if name in ("max_pool2d_with_indices", "avg_pool2d", "max_pool2d"):
        return out * math.prod(args[1])
    if name in ("_adaptive_avg_pool2d", "adaptive_avg_pool2d", "mean", "sum"):
        return sum(_nbytes(a) // a.element_size() for a in _tensors(args[:1]))
    if name in ("upsample_bilinear2d", "_upsample_bilinear2d_aa"):
        return 8 * out
    if name in ("cat", "stack", "constant_pad_nd", "upsample_nearest2d", "_to_copy", "copy_", "clone"):
        return 0
    return out  # elementwise: one operation per output element


def op_kind(name):
    if name == "convolution":
        return "conv"
    if name in ("addmm", "mm", "bmm", "baddbmm"):
        return "gemm"
    return "memory"


class Layer:
    def __init__(self, name, module_type):
        self.name = name
        self.module_type = module_type
        self.ops = []
        self.flops = 0
        self.bytes = 0
        self.kinds = set()
        self.output_shape = None
        self.params = 0

    def kind(self):
        for k in ("conv", "gemm"):
            if k in self.kinds:
                return k
        return "memory"


class Tracer(TorchDispatchMode):
    """Attributes every aten op to the leaf module running it, or, between leaves, to a
    'functional' layer named after the innermost module (a residual add, a flatten), and records
    which layer produced and which last read each activation."""

    def __init__(self, model):
        super().__init__()
        self.layers = []
        self.current = None          # the leaf layer running, if any
        self.gap = None              # the functional layer collecting ops between leaves
        self.scope = []              # names of the modules entered
        self.counts = {}
        self.root = {}               # id(tensor) -> id of the tensor it is a view of (itself if none)
        self.produced = {}           # root id -> (layer, bytes)
        self.last_use = {}           # root id -> last layer that read it
        self.keep = []               # tensors kept alive so that ids stay unique
        self.params = {id(p) for p in model.parameters()} | {id(b) for b in model.buffers()}
        names = {m: n for n, m in model.named_modules()}
        for module, name in names.items():
            leaf = len(list(module.children())) == 0
            module.register_forward_pre_hook(self._pre(name or "model", leaf, module))
            module.register_forward_hook(self._post(leaf))

    def _unique(self, base):
        n = self.counts.get(base, 0)
        self.counts[base] = n + 1
        return base if n == 0 else f"{base}#{n}"

    def _pre(self, name, leaf, module):
        def hook(_module, _inputs):
            self.scope.append(name)
            if leaf:
                self.gap = None
                self.current = Layer(self._unique(name), type(module).__name__)
                self.current.params = sum(p.numel() for p in module.parameters(recurse=False))
                self.layers.append(self.current)
        return hook

    def _post(self, leaf):
        def hook(_module, _inputs, output):
            self.scope.pop()
            if leaf and self.current is not None:
                shapes = [list(t.shape) for t in _tensors(output)]
                self.current.output_shape = shapes[0] if len(shapes) == 1 else shapes
                self.current = None
        return hook

    def root_of(self, t):
        return self.root.get(id(t), id(t))

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        out = func(*args, **kwargs)
        base = func.__name__.split(".")[0]
        name = base[:-1] if base.endswith("_") and not base.endswith("__") else base
        inputs = list(_tensors(args))
        outputs = list(_tensors(out))
        self.keep.extend(outputs)
        if name in VIEW_OPS:
            # A view aliases its input: reading the view reads the input's storage.
            source = self.root_of(inputs[0]) if inputs else None
            for t in outputs:
                self.root[id(t)] = source if source is not None else id(t)
            return out
        layer = self.current
        if layer is None:
            if self.gap is None:
                scope = self.scope[-1] if self.scope else "model"
                self.gap = Layer(self._unique(f"{scope}.{name}" if scope != "model" else name), "functional")
                self.layers.append(self.gap)
            layer = self.gap
        index = len(self.layers) - 1
        layer.ops.append(name)
        layer.kinds.add(op_kind(name))
        layer.flops += op_flops(name, args, outputs)
        layer.bytes += sum(_nbytes(t) for t in inputs) + sum(_nbytes(t) for t in outputs)
        for t in inputs:
            if id(t) not in self.params:
                self.last_use[self.root_of(t)] = index
        for t in outputs:
            if id(t) not in self.root:   # an in-place op returns its input: keep the first producer
                self.root[id(t)] = id(t)
                self.produced[id(t)] = (index, _nbytes(t))
        if layer is self.gap:
            shapes = [list(t.shape) for t in outputs]
            layer.output_shape = shapes[0] if len(shapes) == 1 else shapes
        return out


def trace(model_name, dtype=torch.float32):
    """The layer table of one sample (batch 1)."""
    make, shape = build_model(model_name)
    with torch.device("meta"):
        model = make().to(device="meta", dtype=dtype).eval()
        x = torch.empty((1, *shape), dtype=dtype)
    tracer = Tracer(model)
    with torch.no_grad(), tracer:
        y = model(x)
    # A leaf that runs no kernel (dropout or identity in eval mode) stays a layer, so that the GPU
    # run's hooks line up with the table; a functional layer exists only if it ran an operation.
    kept = [i for i, l in enumerate(tracer.layers) if l.ops or l.module_type != "functional"]
    new_index = {old: new for new, old in enumerate(kept)}
    layers = [tracer.layers[i] for i in kept]
    n = len(layers)
    # Bytes that cross a cut after layer i: activations produced at or before i and read after
    # it; the model's output counts until the end.
    crossing = [0] * n
    outputs = {tracer.root_of(t) for t in _tensors(y)}
    for tid, (producer, size) in tracer.produced.items():
        start = new_index.get(producer)
        if start is None:
            continue
        end = n - 1 if tid in outputs else new_index.get(tracer.last_use.get(tid, producer), start)
        for i in range(start, end):
            crossing[i] += size
    crossing[n - 1] = sum(_nbytes(t) for t in _tensors(y))
    rows = []
    for i, l in enumerate(layers):
        rows.append({
            "name": l.name, "type": l.module_type, "op": l.kind(), "ops": sorted(set(l.ops)),
            "output_shape": l.output_shape, "params": l.params, "flops": int(l.flops),
            "bytes": int(l.bytes), "output_bytes": int(crossing[i]),
        })
    return {"input_shape": list(shape), "input_bytes": math.prod(shape) * torch.empty((), dtype=dtype).element_size(),
            "layers": rows}


# --------------------------------------------------------------------------------------------
# Measurement on a CUDA GPU.

def percentile(sorted_values, p):
    if not sorted_values:
        return None
    k = (len(sorted_values) - 1) * p / 100
    lo, hi = math.floor(k), math.ceil(k)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (k - lo)


def stats(samples_us):
    s = sorted(samples_us)
    n = len(s)
    mean = sum(s) / n
    std = math.sqrt(sum((v - mean) ** 2 for v in s) / (n - 1)) if n > 1 else 0.0
    return {"mean": mean, "p50": percentile(s, 50), "p99": percentile(s, 99), "std": std, "n": n}


class HostEvent:
    """A stand-in for torch.cuda.Event with the host's clock, for --check on a machine without a
    GPU: it runs the same hooks and attribution, so that a model whose GPU run would not line up
    with its traced table fails here, before any GPU time is spent."""

    def __init__(self, enable_timing=True):
        self.t = None

    def record(self):
        self.t = time.perf_counter()

    def elapsed_time(self, end):
        return (end.t - self.t) * 1000


class EventHooks:
    """CUDA events at every leaf module's entry and exit. The time from one leaf's exit to the
    next leaf's entry is the functional ops between them (a residual add)."""

    def __init__(self, model, event=None):
        self.event = event or torch.cuda.Event
        self.events = []
        self.handles = []
        for module in model.modules():
            if len(list(module.children())) == 0:
                self.handles.append(module.register_forward_pre_hook(self._mark("enter")))
                self.handles.append(module.register_forward_hook(self._mark("exit")))

    def _mark(self, what):
        def hook(*_):
            e = self.event(enable_timing=True)
            e.record()
            self.events.append((what, e))
        return hook

    def remove(self):
        for h in self.handles:
            h.remove()


def measure(model_name, table, precision, batch_sizes, warmup, repetitions, deadline=None, check=False,
            batch_seconds=None):
    """Times every layer at each batch size. With a deadline (time.monotonic()), a batch size is
    started only if it is predicted to end before it (profile_timing.next_batch_seconds), so a
    time limit leaves a profile of the smaller batches instead of nothing. With batch_seconds, the number of
    timed passes per batch size is cut to fit it (repetitions_for). With check, one pass per batch
    size runs on the CPU with host-clock events and nothing is timed that matters."""
    make, shape = build_model(model_name)
    device = "cpu" if check else "cuda"
    event = HostEvent if check else torch.cuda.Event
    sync = (lambda: None) if check else torch.cuda.synchronize
    dtype = torch.float16 if precision == "fp16" else torch.float32
    torch.backends.cuda.matmul.allow_tf32 = precision == "tf32"
    torch.backends.cudnn.allow_tf32 = precision == "tf32"
    torch.backends.cudnn.benchmark = True
    # Built on the device itself: random initialisation of DeepVO's 518 M weights takes seconds
    # on the host and is repeated for every precision.
    with torch.device(device):
        model = make().to(device, dtype).eval()
    layers = table["layers"]
    functional = [l["type"] == "functional" for l in layers]
    results = {"batch_sizes": [], "layers": [[] for _ in layers], "end_to_end": [], "unattributed_us": [], "repetitions": []}
    predicted_s = 0.0
    for b in batch_sizes:
        if results["batch_sizes"] and not fits(time.monotonic(), deadline, predicted_s):
            print(f"  batch {b}: time limit; larger batches skipped", file=sys.stderr)
            break
        began = time.monotonic()
        try:
            x = torch.randn((b, *shape), device=device, dtype=dtype)
            with torch.no_grad():
                for _ in range(warmup):
                    model(x)
                sync()
                # One pass, timed from the host, sets how many passes this batch size gets.
                clock = time.monotonic()
                model(x)
                sync()
                pass_s = time.monotonic() - clock
                setup_s = clock - began
                reps = repetitions_for(pass_s, repetitions, batch_seconds)
                # End to end, no hooks.
                e2e = []
                for _ in range(reps):
                    start, end = event(enable_timing=True), event(enable_timing=True)
                    start.record()
                    model(x)
                    end.record()
                    sync()
                    e2e.append(start.elapsed_time(end) * 1000)
                # Per layer.
                per_layer = [[] for _ in layers]
                unattributed = []
                hooks = EventHooks(model, event)
                for _ in range(reps):
                    hooks.events.clear()
                    first = event(enable_timing=True)
                    first.record()
                    model(x)
                    last = event(enable_timing=True)
                    last.record()
                    sync()
                    times, lost = attribute(hooks.events, first, last, functional)
                    if len(times) != len(layers):
                        sys.exit(f"profile_model.py: traced {len(layers)} layers but timed {len(times)}; "
                                 "the model's control flow differs between the meta trace and the GPU run")
                    for i, t in enumerate(times):
                        per_layer[i].append(t)
                    unattributed.append(lost)
                hooks.remove()
        except torch.cuda.OutOfMemoryError:
            print(f"  batch {b}: out of GPU memory; larger batches skipped", file=sys.stderr)
            torch.cuda.empty_cache()
            break
        timed_s = time.monotonic() - began - setup_s - pass_s
        predicted_s = next_batch_seconds(setup_s, pass_s, timed_s, reps, repetitions, batch_seconds)
        results["batch_sizes"].append(b)
        results["repetitions"].append(reps)
        for i in range(len(layers)):
            results["layers"][i].append(stats(per_layer[i]))
        results["end_to_end"].append(stats(e2e))
        results["unattributed_us"].append(sum(unattributed) / len(unattributed))
        layer_sum = sum(results["layers"][i][-1]["mean"] for i in range(len(layers)))
        e2e_mean = results["end_to_end"][-1]["mean"]
        print(f"  {precision} batch {b:3d}: end to end {e2e_mean / 1000:8.3f} ms, sum of layers "
              f"{layer_sum / 1000:8.3f} ms ({(layer_sum / e2e_mean - 1) * 100:+.1f} %); set-up {setup_s:.1f} s, "
              f"2 × {reps} timed passes {timed_s:.1f} s", file=sys.stderr)
    return results


def attribute(events, first, last, functional):
    """Turns the event sequence of one forward pass into one time per layer (microseconds):
    leaves get enter→exit, functional layers the exit→enter gap before the next leaf. Gaps with no
    functional layer traced are returned as unattributed time."""
    times, lost = [], 0.0
    layer = 0
    previous = first
    pairs = [(events[i][1], events[i + 1][1]) for i in range(0, len(events), 2)]
    for enter, exit_ in pairs:
        gap = previous.elapsed_time(enter) * 1000
        if layer < len(functional) and functional[layer]:
            times.append(gap)
            layer += 1
        else:
            lost += gap
        times.append(enter.elapsed_time(exit_) * 1000)
        layer += 1
        previous = exit_
    tail = previous.elapsed_time(last) * 1000
    if layer < len(functional) and functional[layer]:
        times.append(tail)
    else:
        lost += tail
    return times, lost


def driver_version():
    try:
        return subprocess.run(["nvidia-smi", "--query-gpu=driver_version", "--format=csv,noheader"],
                              capture_output=True, text=True, check=True).stdout.strip().splitlines()[0]
    except (OSError, subprocess.CalledProcessError, IndexError):
        return None


def gpu_short_name(device):
    for token in ("H200", "H100", "A100", "A10G", "A10", "L40S", "L4", "V100", "T4", "P100", "P4", "Orin"):
        if token in device:
            return token
    return device.replace(" ", "_")


def profile_document(model_name, table, precision, results, args, device):
    layers = []
    for i, l in enumerate(table["layers"]):
        s = results["layers"][i]
        layers.append({
            "name": l["name"], "op": l["op"], "output_bytes": l["output_bytes"] * (2 if precision == "fp16" else 4) // 4,
            "flops": l["flops"],
            "mean_us": [round(x["mean"], 3) for x in s], "p50_us": [round(x["p50"], 3) for x in s],
            "p99_us": [round(x["p99"], 3) for x in s], "std_us": [round(x["std"], 3) for x in s],
            "samples": [x["n"] for x in s],
        })
    mps = os.environ.get("CUDA_MPS_ACTIVE_THREAD_PERCENTAGE")
    return {
        "arsim_profile": FORMAT_VERSION,
        "model": model_name,
        "gpu": args.gpu_name or gpu_short_name(device),
        "precision": precision,
        "mps_share": float(mps) / 100 if mps else 1.0,
        "input_bytes": table["input_bytes"] * (2 if precision == "fp16" else 4) // 4,
        # A module run more than once ("name#1" ...) holds its weights once.
        "weight_bytes": sum(l["params"] for l in table["layers"] if "#" not in l["name"]) * (2 if precision == "fp16" else 4),
        "batch_sizes": results["batch_sizes"],
        "end_to_end_us": [round(x["mean"], 3) for x in results["end_to_end"]],
        "layers": layers,
        "provenance": {
            "kind": "measured",
            "device": device,
            "driver": driver_version(),
            "cuda": torch.version.cuda,
            "cudnn": str(torch.backends.cudnn.version()),
            "tensorrt": None,
            "framework": f"PyTorch {torch.__version__}",
            "precision": precision,
            "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d"),
            "warmup": args.warmup,
            "repetitions": args.repetitions,
            "mps_share": float(mps) / 100 if mps else 1.0,
            "method": ("tools/profile_model.py: CUDA events at the entry and exit of every leaf module "
                       "(functional ops between leaves timed as their own layer), eager mode, random weights, "
                       "cudnn.benchmark on, TF32 " + ("on" if precision == "tf32" else "off")
                       + f"; unattributed time per pass (mean, per batch size): "
                       + ", ".join(f"{u:.1f} us" for u in results["unattributed_us"])
                       + ("" if all(r == args.repetitions for r in results["repetitions"]) else
                          "; timed passes per batch size (cut to fit --batch-seconds): "
                          + ", ".join(str(r) for r in results["repetitions"]))),
            "source": f"measured by the arsim profiler on {platform.node()}",
            "citation": None,
        },
        # Where the architecture comes from, for the models not taken whole from torchvision.
        **({"notes": "architecture: " + ARCHITECTURES[model_name]()} if model_name in ARCHITECTURES else {}),
    }


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", required=True, help="model name (see the list in build_model)")
    p.add_argument("--out", help="directory to write into (required unless --check)")
    p.add_argument("--layers-only", action="store_true", help="write the layer table, measure nothing")
    p.add_argument("--precision", default="fp32,fp16", help="comma-separated: fp32, tf32, fp16")
    p.add_argument("--max-batch", type=int, default=64, help="largest batch size (powers of two from 1)")
    p.add_argument("--warmup", type=int, default=20, help="forward passes before timing")
    p.add_argument("--repetitions", type=int, default=100, help="timed forward passes per batch size")
    p.add_argument("--gpu-name", help="GPU type as scenarios name it (default: from the device name, e.g. H100)")
    p.add_argument("--time-limit", type=float, help="seconds for the whole measurement, shared evenly by the "
                   "precisions left: a batch size that would not finish in time is skipped, and what was "
                   "measured is written")
    p.add_argument("--batch-seconds", type=float, help="cut the timed passes of a batch size (to no fewer than "
                   f"{MIN_REPETITIONS}) where --repetitions of them would take longer than this; each layer's "
                   "samples record how many it got")
    p.add_argument("--check", action="store_true", help="no GPU needed: build the model as a GPU run does, run it "
                   "in FP32 on the CPU at batch 1 and 2 with the profiler's hooks, and check that every layer of its "
                   "traced table is timed; writes nothing. It catches a model that cannot leave the trace's meta "
                   "device or whose control flow differs from the trace, not faults of FP16 or CUDA-only operators")
    args = p.parse_args()
    precisions = args.precision.split(",")
    for precision in precisions:
        if precision not in ("fp32", "tf32", "fp16"):
            p.error(f"--precision: {precision!r} is not fp32, tf32 or fp16")
    if args.repetitions < 2:
        p.error("--repetitions: at least 2 (a standard deviation needs two)")
    if not args.check and not args.out:
        p.error("--out is required (unless --check)")

    table = trace(args.model)
    if args.check:
        results = measure(args.model, table, "fp32", [1, 2], 0, 1, check=True)
        if results["batch_sizes"] != [1, 2]:
            sys.exit(f"profile_model.py: {args.model} did not run at batch 1 and 2 on the CPU")
        print(f"{args.model}: every one of its {len(table['layers'])} traced layers is timed at batch 1 and 2")
        return
    if args.layers_only or not torch.cuda.is_available():
        if not args.layers_only:
            print("profile_model.py: no CUDA GPU; writing the layer table only", file=sys.stderr)
        os.makedirs(args.out, exist_ok=True)
        path = os.path.join(args.out, f"{args.model}.layers.json")
        provenance = {"kind": "derived", "method": "analytic: FLOPs and bytes of every aten op in a trace on "
                      "PyTorch's meta device (tools/profile_model.py)", "framework": f"PyTorch {torch.__version__}"}
        if args.model in ARCHITECTURES:
            provenance["architecture"] = ARCHITECTURES[args.model]()
        doc = {"arsim_layer_table": FORMAT_VERSION, "model": args.model, "precision": "fp32", **table, "provenance": provenance}
        with open(path, "w") as f:
            json.dump(doc, f, indent=1)
            f.write("\n")
        print(f"{path}: {len(table['layers'])} layers, {sum(l['flops'] for l in table['layers']) / 1e9:.2f} GFLOP per sample")
        return

    device = torch.cuda.get_device_name()
    batch_sizes = [2 ** i for i in range(int(math.log2(args.max_batch)) + 1)]
    began = time.monotonic()
    for k, precision in enumerate(precisions):
        deadline = None
        if args.time_limit is not None:
            left = args.time_limit - (time.monotonic() - began)
            deadline = time.monotonic() + left / (len(precisions) - k)
        print(f"{args.model} on {device}, {precision}:", file=sys.stderr)
        results = measure(args.model, table, precision, batch_sizes, args.warmup, args.repetitions, deadline,
                          batch_seconds=args.batch_seconds)
        if not results["batch_sizes"]:
            print(f"  {precision}: nothing measured, no file written", file=sys.stderr)
            continue
        doc = profile_document(args.model, table, precision, results, args, device)
        directory = os.path.join(args.out, doc["gpu"])
        os.makedirs(directory, exist_ok=True)
        path = os.path.join(directory, f"{args.model}.{precision}.json")
        with open(path, "w") as f:
            json.dump(doc, f, indent=1)
            f.write("\n")
        print(path)


if __name__ == "__main__":
    main()
