import { checkOptions, HyperParameterError, optionOr, ValueError } from '@gradkit/core';
import * as tf from '@tensorflow/tfjs-core';
import { BaseModule, booleanOption, checkCount, checkFloatInput, checkName } from './base.js';
import { paddingFor, parsePadding, type SpatialSize, spatialSizes } from './conv-geometry.js';
import { convolve } from './conv-op.js';
import type { ConvLayer, ConvOptions, ConvParams, ConvParamsNoBias } from './conv-types.js';
import { kernelAndBias, optionalActivation } from './initialize.js';

const CONV_KEYS = [
  'inChannels',
  'outChannels',
  'kernelSize',
  'stride',
  'padding',
  'dilation',
  'groups',
  'activation',
  'kernelInitializer',
  'biasInitializer',
  'useBias',
  'seed',
  'name',
];

/** What differs between conv1d and conv2d. */
interface Flavour {
  /** `'conv2d'` or `'conv1d'`. */
  readonly kind: string;
  /** The number of spatial axes. */
  readonly axes: 1 | 2;
  /** The input's layout, for messages: `'[batch, height, width, C]'`. */
  readonly layout: (channels: number) => string;
  /** The spatial axes' names, for messages. */
  readonly axisNames: readonly string[];
}

export const CONV2D: Flavour = { kind: 'conv2d', axes: 2, layout: (c) => `[batch, height, width, ${c}] (NHWC)`, axisNames: ['height', 'width'] };
export const CONV1D: Flavour = { kind: 'conv1d', axes: 1, layout: (c) => `[batch, time, ${c}]`, axisNames: ['length (axis 1)'] };

/** A convolution over 1 or 2 spatial axes, channels last; conv1d runs as a conv2d of height 1. */
export class ConvModule<P extends ConvParams | ConvParamsNoBias> extends BaseModule<P> implements ConvLayer<P> {
  readonly name: string;
  readonly params: P;
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernelSize: readonly number[];
  readonly stride: readonly number[];
  readonly dilation: readonly number[];
  readonly padding: 'valid' | 'same' | readonly number[];
  readonly groups: number;
  readonly useBias: boolean;
  readonly activation: string;
  private readonly phi: ((x: tf.Tensor) => tf.Tensor) | null;
  private readonly flavour: Flavour;

  constructor(flavour: Flavour, conv: ConvOptions<SpatialSize>) {
    super();
    const { kind, axes } = flavour;
    this.flavour = flavour;
    const example = `${kind}({ inChannels: 3, outChannels: 16, kernelSize: 3, padding: 'same' })`;
    const options = checkOptions(kind, conv, CONV_KEYS, { example, required: true });
    this.inChannels = checkCount('inChannels', options.inChannels, 'the channels of the input, its last axis');
    this.outChannels = checkCount('outChannels', options.outChannels, 'the channels of the output');
    if (options.kernelSize === undefined) throw new HyperParameterError('kernelSize', `${kind}: kernelSize is required, e.g. ${example}`);
    this.kernelSize = spatialSizes('kernelSize', options.kernelSize, axes, 'the window size');
    this.stride = spatialSizes('stride', optionOr('stride', options.stride, 1), axes, 'the step between windows');
    this.dilation = spatialSizes('dilation', optionOr('dilation', options.dilation, 1), axes, 'the spacing between kernel taps');
    this.padding = parsePadding(optionOr('padding', options.padding, 'valid'), axes);
    this.groups = checkCount('groups', optionOr('groups', options.groups, 1), 'channel groups');
    for (const [field, n] of [
      ['inChannels', this.inChannels],
      ['outChannels', this.outChannels],
    ] as const)
      if (n % this.groups !== 0)
        throw new HyperParameterError(
          'groups',
          `${kind}: groups = ${this.groups} must divide ${field} = ${n} (each group maps inChannels/groups inputs to outChannels/groups outputs)`,
        );
    this.useBias = booleanOption('useBias', options.useBias, true);
    this.name = checkName(options.name, kind);
    ({ fn: this.phi, name: this.activation } = optionalActivation(options.activation));
    const kernelShape = [...this.kernelSize, this.inChannels / this.groups, this.outChannels];
    this.params = kernelAndBias(kind, options, this.useBias, kernelShape, [this.outChannels]) as P;
  }

  protected forward(x: tf.Tensor): tf.Tensor {
    const { inChannels, flavour } = this;
    const rank = flavour.axes + 2;
    if (x.rank !== rank || x.shape[rank - 1] !== inChannels) {
      const channelsFirst = x.rank === rank && x.shape[1] === inChannels ? '; channels-first input (PyTorch) must be transposed to channels last' : '';
      throw new ValueError('x', `${this.name}: expected input ${flavour.layout(inChannels)}, got shape [${x.shape.join(', ')}]${channelsFirst}`);
    }
    checkFloatInput(this.name, x);
    const sizes = x.shape.slice(1, -1);
    const windows = this.kernelSize.map((kernel, i) => ({ kernel, stride: this.stride[i] as number, dilation: this.dilation[i] as number }));
    const pads = paddingFor(this.name, this.padding as 'valid' | 'same' | number[], sizes, windows, flavour.axisNames);
    const { kernel, bias } = this.params as Partial<ConvParams>;
    const spatial = (v: readonly number[], one: number): [number, number] => (flavour.axes === 2 ? [v[0], v[1]] : [one, v[0]]) as [number, number];
    // conv1d: [batch, time, c] → [batch, 1, time, c], kernel [k, in, out] → [1, k, in, out].
    const x4 = flavour.axes === 2 ? (x as tf.Tensor4D) : tf.expandDims<tf.Tensor4D>(x, 1);
    const k4 = flavour.axes === 2 ? (kernel as tf.Variable<tf.Rank.R4>) : tf.expandDims<tf.Tensor4D>(kernel as tf.Tensor, 0);
    let y: tf.Tensor = convolve(x4, k4, {
      strides: spatial(this.stride, 1),
      dilations: spatial(this.dilation, 1),
      pads: flavour.axes === 2 ? pads : [[0, 0], pads[0] as [number, number]],
      groups: this.groups,
    });
    if (flavour.axes === 1) y = tf.squeeze(y, [1]);
    if (bias) y = tf.add(y, bias);
    return this.phi ? this.phi(y) : y;
  }
}
