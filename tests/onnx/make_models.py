#!/usr/bin/python3
"""make_models.py OUTDIR: ONNX graphs shaped like what torch.onnx.export
writes for common vision and transformer models, built with the onnx
Python helpers (Debian's python3-onnx), into OUTDIR:

    NAME.onnx         as exported without shape inference: no value_info,
                      a symbolic batch ('N') on inputs and outputs
                      (transformer_dyn: a symbolic sequence 'S' too)
    NAME_shapes.onnx  the same after onnx.shape_inference (value_info)
    NAME.expect       'params P' (trainable float initializer elements,
                      batch-norm running statistics excluded) and
                      'output D1 D2 ..' (per-sample shape of the output)
    bad_NAME.onnx     wrong graphs (a one-input Add, a MatMul whose inner
    bad_NAME.error    dimensions differ, an impossible Reshape, a declared
                      shape that contradicts the graph, an axis out of
                      range): the node's name and the text its error must
                      contain

Weights are stored as dimensions only (external data is never read by
wafersim), so the files stay small.  Used by tests/unit/test_onnx.c."""
import os
import sys

import onnx
from onnx import TensorProto, helper, shape_inference


class Net:
    def __init__(self, name):
        self.name = name
        self.nodes, self.inits, self.k = [], [], 0
        self.params, self.buffers = 0, 0

    def uid(self, base):
        self.k += 1
        return "%s_%d" % (base, self.k)

    def weight(self, shape, name="w", trainable=True):
        """A float initializer with external (absent) data."""
        t = TensorProto()
        t.name = self.uid(name)
        t.data_type = TensorProto.FLOAT
        t.dims.extend(shape)
        t.data_location = TensorProto.EXTERNAL
        e = t.external_data.add()
        e.key, e.value = "location", self.name + ".weights"
        self.inits.append(t)
        n = 1
        for d in shape:
            n *= d
        if trainable:
            self.params += n
        else:
            self.buffers += n
        return t.name

    def ints(self, vals, name="c"):
        t = helper.make_tensor(self.uid(name), TensorProto.INT64,
                               [len(vals)], vals)
        self.inits.append(t)
        return t.name

    def const(self, val):
        return self.op("Constant", [], value=helper.make_tensor(
            self.uid("v"), TensorProto.FLOAT, [], [val]))

    def op(self, kind, ins, n_out=1, **attrs):
        outs = [self.uid(kind.lower()) for _ in range(n_out)]
        self.nodes.append(helper.make_node(kind, ins, outs,
                                           name=self.uid("/" + kind),
                                           **attrs))
        return outs[0] if n_out == 1 else outs

    # layers as PyTorch exports them
    def conv(self, x, cin, cout, k, s=1, p=0, groups=1, bias=True, dims=2):
        w = self.weight([cout, cin // groups] + [k] * dims)
        ins = [x, w] + ([self.weight([cout])] if bias else [])
        return self.op("Conv", ins, kernel_shape=[k] * dims,
                       strides=[s] * dims, pads=[p] * 2 * dims,
                       group=groups)

    def bn(self, x, c):
        ins = [x, self.weight([c]), self.weight([c]),
               self.weight([c], "mean", False), self.weight([c], "var", False)]
        return self.op("BatchNormalization", ins)

    def silu(self, x):
        return self.op("Mul", [x, self.op("Sigmoid", [x])])

    def dense(self, x, k, n):
        y = self.op("MatMul", [x, self.weight([k, n])])
        return self.op("Add", [self.weight([n], "b"), y])

    def gelu(self, x):
        d = self.op("Div", [x, self.const(1.4142135)])
        e = self.op("Add", [self.op("Erf", [d]), self.const(1.0)])
        return self.op("Mul", [self.op("Mul", [x, e]), self.const(0.5)])

    def layernorm(self, x, c):
        return self.op("LayerNormalization",
                       [x, self.weight([c]), self.weight([c])], axis=-1)

    def save(self, outdir, inputs, output, out_shape):
        g = helper.make_graph(self.nodes, self.name, inputs, [output],
                              self.inits)
        m = helper.make_model(g, producer_name="pytorch",
                              opset_imports=[helper.make_opsetid("", 17)])
        m.ir_version = 8
        onnx.save(m, os.path.join(outdir, self.name + ".onnx"))
        shaped = shape_inference.infer_shapes(m)
        onnx.save(shaped, os.path.join(outdir, self.name + "_shapes.onnx"))
        with open(os.path.join(outdir, self.name + ".expect"), "w") as f:
            f.write("params %d\noutput %s\n" %
                    (self.params, " ".join(str(d) for d in out_shape)))


def vinfo(name, shape, dtype=TensorProto.FLOAT):
    return helper.make_tensor_value_info(name, dtype, ["N"] + shape)


def efficientnet(outdir):
    """Stem, two MBConv blocks with squeeze-excitation, head."""
    n = Net("efficientnet_tiny")
    x = n.silu(n.bn(n.conv("image", 3, 32, 3, 2, 1, bias=False), 32))
    for cin, cout, expand in ((32, 16, 1), (16, 24, 6)):
        c = cin * expand
        h = x
        if expand > 1:
            h = n.silu(n.bn(n.conv(h, cin, c, 1, bias=False), c))
        h = n.silu(n.bn(n.conv(h, c, c, 3, 1, 1, groups=c, bias=False), c))
        s = n.op("GlobalAveragePool", [h])
        s = n.silu(n.conv(s, c, max(1, cin // 4), 1))
        s = n.op("Sigmoid", [n.conv(s, max(1, cin // 4), c, 1)])
        h = n.op("Mul", [h, s])
        h = n.bn(n.conv(h, c, cout, 1, bias=False), cout)
        x = n.op("Add", [h, x]) if cin == cout else h
    x = n.silu(n.bn(n.conv(x, 24, 64, 1, bias=False), 64))
    x = n.op("Flatten", [n.op("GlobalAveragePool", [x])], axis=1)
    y = n.op("Gemm", [x, n.weight([10, 64]), n.weight([10])], transB=1)
    n.save(outdir, [vinfo("image", [3, 64, 64])], vinfo(y, [10]), [10])


def convnext(outdir):
    """Patchify stem, blocks (depthwise 7x7, channels-last layer norm,
    inverted MLP with GELU, layer scale), a channels-first layer norm spelled
    out with ReduceMean, the mean-pool head."""
    n = Net("convnext_tiny")
    x = n.conv("image", 3, 32, 4, 4)
    c = 32
    for stage in range(2):
        for _ in range(2):
            h = n.conv(x, c, c, 7, 1, 3, groups=c)
            h = n.op("Transpose", [h], perm=[0, 2, 3, 1])
            h = n.layernorm(h, c)
            h = n.dense(n.gelu(n.dense(h, c, 4 * c)), 4 * c, c)
            h = n.op("Mul", [h, n.weight([c], "gamma")])
            h = n.op("Transpose", [h], perm=[0, 3, 1, 2])
            x = n.op("Add", [x, h])
        if stage == 0:  # downsample: channels-first norm, then 2x2 conv
            u = n.op("ReduceMean", [x], axes=[1], keepdims=1)
            dx = n.op("Sub", [x, u])
            v = n.op("ReduceMean", [n.op("Pow", [dx, n.const(2.0)])],
                     axes=[1], keepdims=1)
            s = n.op("Sqrt", [n.op("Add", [v, n.const(1e-6)])])
            h = n.op("Div", [dx, s])
            h = n.op("Mul", [n.weight([c, 1, 1], "lnw"), h])
            h = n.op("Add", [h, n.weight([c, 1, 1], "lnb")])
            x = n.conv(h, c, 2 * c, 2, 2)
            c *= 2
    x = n.op("ReduceMean", [x], axes=[-2, -1], keepdims=0)
    x = n.layernorm(x, c)
    y = n.op("Gemm", [x, n.weight([10, c]), n.weight([10])], transB=1)
    n.save(outdir, [vinfo("image", [3, 64, 64])], vinfo(y, [10]), [10])


def unet(outdir):
    """Two levels down, up by ConvTranspose (with skip concat) and by
    Resize (bilinear), a Pad, a 1x1 head."""
    n = Net("unet_tiny")

    def double(x, cin, cout):
        x = n.op("Relu", [n.bn(n.conv(x, cin, cout, 3, 1, 1, bias=False),
                               cout)])
        return n.op("Relu", [n.bn(n.conv(x, cout, cout, 3, 1, 1,
                                         bias=False), cout)])
    e1 = double("image", 1, 16)
    e2 = double(n.op("MaxPool", [e1], kernel_shape=[2, 2], strides=[2, 2]),
                16, 32)
    b = double(n.op("MaxPool", [e2], kernel_shape=[2, 2], strides=[2, 2]),
               32, 64)
    u2 = n.op("ConvTranspose", [b, n.weight([64, 32, 2, 2]),
                                n.weight([32])],
              kernel_shape=[2, 2], strides=[2, 2])
    d2 = double(n.op("Concat", [u2, e2], axis=1), 64, 32)
    u1 = n.op("Resize", [d2, "", n.op("Constant", [], value=helper.make_tensor(
        n.uid("scales"), TensorProto.FLOAT, [4], [1, 1, 2, 2]))],
        mode="linear")
    u1 = n.op("Pad", [u1, n.ints([0, 0, 1, 1, 0, 0, 1, 1])])
    u1 = n.op("Slice", [u1, n.ints([1, 1]), n.ints([-1, -1]),
                        n.ints([2, 3])])
    d1 = double(n.op("Concat", [u1, e1], axis=1), 48, 16)
    y = n.conv(d1, 16, 2, 1)
    n.save(outdir, [vinfo("image", [1, 32, 32])], vinfo(y, [2, 32, 32]),
           [2, 32, 32])


def deconv(outdir):
    """ConvTranspose in 1-D (output_padding) and 3-D (output_shape)."""
    n = Net("deconv_1d_3d")
    a = n.op("ConvTranspose", ["signal", n.weight([4, 8, 5])],
             kernel_shape=[5], strides=[3], pads=[1, 1], output_padding=[2])
    a = n.op("Flatten", [a], axis=1)
    b = n.op("ConvTranspose", ["volume", n.weight([2, 3, 3, 3, 3]),
                               n.weight([3])],
             kernel_shape=[3, 3, 3], strides=[2, 2, 2],
             output_shape=[16, 16, 16])
    b = n.op("Flatten", [b], axis=1)
    y = n.op("Concat", [a, b], axis=1)
    # 1-D: (20 - 1) 3 - 2 + 4 + 2 + 1 = 62 positions x 8 channels
    n.save(outdir, [vinfo("signal", [4, 20]), vinfo("volume", [2, 8, 8, 8])],
           vinfo(y, [8 * 62 + 3 * 16 ** 3]), [8 * 62 + 3 * 16 ** 3])


def transformer(outdir, dyn=False):
    """Token and position embeddings, a pre-norm block whose heads are
    split by a Reshape computed from Shape (as exported for a dynamic
    batch), a tanh-GELU MLP, an RMS norm (ReduceMean, no layer norm).
    dyn: the sequence axis is dynamic too (dynamic_axes {0: 'N', 1: 'S'}):
    the position table fixes it."""
    n = Net("transformer_dyn" if dyn else "transformer_tiny")
    s, d, h = 16, 64, 4
    x = n.op("Gather", [n.weight([1000, d], "tok"), "ids"])
    x = n.op("Add", [x, n.weight([1, s, d], "pos")])
    a = n.layernorm(x, d)
    qkv = n.dense(a, d, 3 * d)
    q, k, v = n.op("Split", [qkv, n.ints([d, d, d])], n_out=3, axis=-1)
    shp = n.op("Shape", [x])
    bs = n.op("Gather", [shp, n.ints([0, 1])], axis=0)
    heads = n.op("Concat", [bs, n.ints([h, d // h])], axis=0)

    def split_heads(t):
        return n.op("Transpose", [n.op("Reshape", [t, heads])],
                    perm=[0, 2, 1, 3])
    q, k, v = split_heads(q), split_heads(k), split_heads(v)
    kt = n.op("Transpose", [k], perm=[0, 1, 3, 2])
    sc = n.op("Div", [n.op("MatMul", [q, kt]), n.const(4.0)])
    o = n.op("MatMul", [n.op("Softmax", [sc], axis=-1), v])
    o = n.op("Transpose", [o], perm=[0, 2, 1, 3])
    o = n.op("Reshape", [o, n.op("Concat", [bs, n.ints([d])], axis=0)])
    x = n.op("Add", [x, n.dense(o, d, d)])
    # tanh GELU: 0.5 x (1 + tanh(0.79788 (x + 0.044715 x^3)))
    f = n.dense(x, d, 4 * d)
    t = n.op("Mul", [n.op("Pow", [f, n.const(3.0)]), n.const(0.044715)])
    t = n.op("Tanh", [n.op("Mul", [n.op("Add", [f, t]), n.const(0.79788)])])
    f = n.op("Mul", [n.op("Mul", [f, n.op("Add", [t, n.const(1.0)])]),
                     n.const(0.5)])
    x = n.op("Add", [x, n.dense(f, 4 * d, d)])
    # RMS norm (T5): x / sqrt(mean(x^2) + eps) * w
    ms = n.op("ReduceMean", [n.op("Pow", [x, n.const(2.0)])], axes=[-1],
              keepdims=1)
    x = n.op("Div", [x, n.op("Sqrt", [n.op("Add", [ms, n.const(1e-6)])])])
    x = n.op("Mul", [x, n.weight([d], "rms")])
    y = n.op("MatMul", [x, n.weight([d, 1000], "head")])
    seq = "S" if dyn else s
    n.save(outdir, [vinfo("ids", [seq], TensorProto.INT64)],
           vinfo(y, [seq, 1000]), [s, 1000])


def wildcard(outdir):
    """A symbolic dimension nothing in the graph gives a size:
    wild_unbound.onnx and wild_unbound.error (the text of its error)."""
    g = helper.make_graph([helper.make_node("Relu", ["x"], ["y"],
                                            name="act")], "wild",
                          [vinfo("x", ["F"])], [vinfo("y", ["F"])])
    m = helper.make_model(g, producer_name="pytorch",
                          opset_imports=[helper.make_opsetid("", 17)])
    m.ir_version = 8
    onnx.save(m, os.path.join(outdir, "wild_unbound.onnx"))
    with open(os.path.join(outdir, "wild_unbound.error"), "w") as f:
        f.write("graph input 'x' dimension 1 ('F') must get a size from "
                "the graph\n")


def bad(outdir, name, nodes, inits, inputs, output, error, vi=(), node=None):
    """A wrong graph, bad_NAME.onnx, and bad_NAME.error: the text the
    error must contain (besides the file and the node's name)."""
    g = helper.make_graph(nodes, name, inputs, [output], inits,
                          value_info=list(vi))
    m = helper.make_model(g, producer_name="pytorch",
                          opset_imports=[helper.make_opsetid("", 17)])
    m.ir_version = 8
    onnx.save(m, os.path.join(outdir, "bad_%s.onnx" % name))
    with open(os.path.join(outdir, "bad_%s.error" % name), "w") as f:
        f.write("%s\n%s\n" % (node or nodes[-1].name, error))


def bad_models(outdir):
    """Graphs a careless or hostile exporter could write (issue 17)."""
    x4 = vinfo("x", [4])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, None)
    bad(outdir, "add_one_input",
        [helper.make_node("Add", ["x"], ["y"], name="add1")], [], [x4], y,
        "(Add) must have at least 2 inputs, got 1")
    w = helper.make_tensor("W", TensorProto.FLOAT, [6, 3], [0.0] * 18)
    bad(outdir, "matmul_inner",
        [helper.make_node("MatMul", ["x", "W"], ["y"], name="mm")], [w],
        [vinfo("x", [8])], y,
        "input 'x' [1, 8] must have 6 in its last dimension to match "
        "weight 'W' [6, 3], got 8")
    shp = helper.make_tensor("shape", TensorProto.INT64, [2], [1, 7])
    bad(outdir, "reshape_impossible",
        [helper.make_node("Relu", ["x"], ["r"], name="relu"),
         helper.make_node("Reshape", ["r", "shape"], ["y"], name="rs")],
        [shp], [vinfo("x", [6])], y,
        "'shape' input must hold the 6 elements of 'r' [1, 6], got [1, 7]",
        vi=[vinfo("y", [6])])
    bad(outdir, "declared_shape",
        [helper.make_node("Relu", ["x"], ["r"], name="act"),
         helper.make_node("Sigmoid", ["r"], ["y"], name="sig")],
        [], [x4], y,
        "(op type Relu, node 0): output 'r' is declared [1, 5] in the "
        "file, got [4]", vi=[vinfo("r", [5])], node="act")
    bad(outdir, "axis_range",
        [helper.make_node("Softmax", ["x"], ["y"], name="sm",
                          axis=-2 ** 63)], [], [x4], y,
        "'axis' must be in [-2, 1], got -9223372036854775808")


def main():
    outdir = sys.argv[1]
    os.makedirs(outdir, exist_ok=True)
    for make in (efficientnet, convnext, unet, deconv, transformer,
                 bad_models, wildcard):
        make(outdir)
    transformer(outdir, dyn=True)


if __name__ == "__main__":
    main()
