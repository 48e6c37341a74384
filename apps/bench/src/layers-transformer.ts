// A pre-norm transformer encoder block for tfjs-layers, written as a tfjs-layers user must write it:
// tfjs-layers 4.22 has no MultiHeadAttention, LayerNormalization-in-a-block or Transformer layer
// usable for this, so it is one custom `tf.layers.Layer` of tf ops whose weights are `addWeight`s
// (trained by `model.trainOnBatch` like any other layer's). The equations are PyTorch's
// `TransformerEncoderLayer(norm_first=True, activation='gelu', dropout=0)`:
//   x ← x + MHA(LN₁(x)),  x ← x + W₂·gelu(W₁·LN₂(x) + b₁) + b₂,
// LayerNorm with ε 1e-5, attention scores scaled by 1/√(dim/heads), gelu exact (with erf).
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

/** Options of `TransformerEncoderBlock`. */
export interface TransformerBlockArgs {
  readonly dim: number;
  readonly heads: number;
  readonly ffn: number;
  /** The first layer of a sequential model needs it: `[tokens, dim]`. */
  readonly inputShape?: number[];
}

/** The block's weights in the order `getWeights`/`setWeights` use. */
export const TRANSFORMER_WEIGHTS = [
  'norm1Gamma',
  'norm1Beta',
  'queryKernel',
  'queryBias',
  'keyKernel',
  'keyBias',
  'valueKernel',
  'valueBias',
  'outputKernel',
  'outputBias',
  'norm2Gamma',
  'norm2Beta',
  'ffn1Kernel',
  'ffn1Bias',
  'ffn2Kernel',
  'ffn2Bias',
] as const;

type WeightName = (typeof TRANSFORMER_WEIGHTS)[number];

/** One pre-norm transformer encoder block (see the file's header); input and output `[batch, tokens, dim]`. */
export class TransformerEncoderBlock extends tfl.layers.Layer {
  static readonly className = 'GradkitBenchTransformerEncoderBlock';
  private readonly dim: number;
  private readonly heads: number;
  private readonly ffn: number;
  private w = {} as Record<WeightName, tfl.LayerVariable>;

  constructor(args: TransformerBlockArgs) {
    super(args.inputShape ? { inputShape: args.inputShape } : {});
    this.dim = args.dim;
    this.heads = args.heads;
    this.ffn = args.ffn;
  }

  override build(): void {
    const d = this.dim;
    const shapes: Record<WeightName, number[]> = {
      norm1Gamma: [d],
      norm1Beta: [d],
      queryKernel: [d, d],
      queryBias: [d],
      keyKernel: [d, d],
      keyBias: [d],
      valueKernel: [d, d],
      valueBias: [d],
      outputKernel: [d, d],
      outputBias: [d],
      norm2Gamma: [d],
      norm2Beta: [d],
      ffn1Kernel: [d, this.ffn],
      ffn1Bias: [this.ffn],
      ffn2Kernel: [this.ffn, d],
      ffn2Bias: [d],
    };
    for (const name of TRANSFORMER_WEIGHTS) {
      const init = name.endsWith('Gamma') ? 'ones' : name.endsWith('Kernel') ? 'glorotUniform' : 'zeros';
      this.w[name] = this.addWeight(name, shapes[name], 'float32', tfl.initializers[init]({}));
    }
    this.built = true;
  }

  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape | tfl.Shape[] {
    return inputShape;
  }

  private read(name: WeightName): tf.Tensor {
    return this.w[name].read();
  }

  private layerNorm(x: tf.Tensor, gamma: WeightName, beta: WeightName): tf.Tensor {
    const { mean, variance } = tf.moments(x, -1, true);
    return tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, 1e-5))), this.read(gamma)), this.read(beta));
  }

  private linear(x: tf.Tensor, kernel: WeightName, bias: WeightName): tf.Tensor {
    const [b, t, d] = x.shape as [number, number, number];
    const k = this.read(kernel);
    return tf.reshape(tf.add(tf.matMul(tf.reshape(x, [b * t, d]), k), this.read(bias)), [b, t, k.shape[1] as number]);
  }

  private attention(x: tf.Tensor): tf.Tensor {
    const [b, t, d] = x.shape as [number, number, number];
    const h = this.heads;
    const split = (y: tf.Tensor) => tf.transpose(tf.reshape(y, [b, t, h, d / h]), [0, 2, 1, 3]);
    const q = split(this.linear(x, 'queryKernel', 'queryBias'));
    const k = split(this.linear(x, 'keyKernel', 'keyBias'));
    const v = split(this.linear(x, 'valueKernel', 'valueBias'));
    const scores = tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(d / h));
    const mixed = tf.matMul(tf.softmax(scores), v);
    return this.linear(tf.reshape(tf.transpose(mixed, [0, 2, 1, 3]), [b, t, d]), 'outputKernel', 'outputBias');
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = Array.isArray(inputs) ? (inputs[0] as tf.Tensor) : inputs;
      const mid = tf.add(x, this.attention(this.layerNorm(x, 'norm1Gamma', 'norm1Beta')));
      const hidden = this.linear(this.layerNorm(mid, 'norm2Gamma', 'norm2Beta'), 'ffn1Kernel', 'ffn1Bias');
      const gelu = tf.mul(tf.mul(hidden, 0.5), tf.add(tf.erf(tf.mul(hidden, Math.SQRT1_2)), 1));
      return tf.add(mid, this.linear(gelu, 'ffn2Kernel', 'ffn2Bias'));
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), dim: this.dim, heads: this.heads, ffn: this.ffn };
  }
}
