"""Training speed of the chapter-6 stacked NumPy CNN against the same network in Keras.

Network (chapter 6): Conv2D 3x3x8 (same) -> ReLU -> MaxPool 2x2 -> Conv2D 3x3x16 (same) -> ReLU
-> MaxPool 2x2 -> Dense 10 (logits), softmax cross-entropy, SGD with momentum 0.9, learning rate 0.05.

One run, on the same images (the first N training images of ``load_mnist()``, as
``image / 255 - 0.5``, float32 unless --dtype float64), measures images per second of
``--epochs`` training epochs (forward + backprop + update, fixed order, no augmentation) for:

* NumPy (``cnnbook.numpy_layers``), BLAS limited to ``--numpy-threads`` threads (default 1);
* Keras, the same network, ``model.fit`` after one warm-up ``fit`` on 64 images (graph tracing
  is not timed), with TensorFlow's default threads.

    .venv/bin/python benchmarks/stacked_numpy_vs_keras.py                  # 4,000 images, batch 32
    .venv/bin/python benchmarks/stacked_numpy_vs_keras.py --batch-size 128 --numpy-threads 2

It also prints the 1-minute load average: on a shared machine the numbers are lower.
"""

import argparse
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")   # keep TensorFlow's start-up log short

import numpy as np
from threadpoolctl import threadpool_limits

from cnnbook.data import load_mnist
from cnnbook.numpy_layers import (Conv2D, Dense, MaxPool2D, ReLU, SGDMomentum, SoftmaxCrossEntropy,
                                  train_step)

LEARN_RATE, MOMENTUM = 0.05, 0.9


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=4000, help="training images per epoch (at most 4000 offline)")
    parser.add_argument("--epochs", type=int, default=1, help="epochs timed for each implementation (default 1)")
    parser.add_argument("--batch-size", type=int, default=32, help="mini-batch size (default 32)")
    parser.add_argument("--numpy-threads", type=int, default=1, help="BLAS threads for NumPy (default 1)")
    parser.add_argument("--dtype", choices=("float32", "float64"), default="float32")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    for name in ("images", "epochs", "batch_size", "numpy_threads"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    return args


def numpy_network(seed, dtype):
    rng = np.random.default_rng(seed)
    return [Conv2D(1, 8, 3, "same", rng, dtype), ReLU(), MaxPool2D(),
            Conv2D(8, 16, 3, "same", rng, dtype), ReLU(), MaxPool2D(),
            Dense(7 * 7 * 16, 10, rng, dtype)]


def numpy_speed(images, labels, args):
    layers, loss, optimizer = numpy_network(args.seed, args.dtype), SoftmaxCrossEntropy(), SGDMomentum(LEARN_RATE, MOMENTUM)
    with threadpool_limits(args.numpy_threads, user_api="blas"):
        start = time.perf_counter()
        for _ in range(args.epochs):
            for i in range(0, len(images), args.batch_size):
                train_step(layers, loss, optimizer, images[i:i + args.batch_size], labels[i:i + args.batch_size])
        seconds = time.perf_counter() - start
    return args.epochs * len(images) / seconds


def keras_speed(images, labels, args):
    import keras

    keras.utils.set_random_seed(args.seed)
    dtype = args.dtype
    model = keras.Sequential([
        keras.Input(shape=(28, 28, 1), dtype=dtype),
        keras.layers.Conv2D(8, 3, padding="same", activation="relu", dtype=dtype), keras.layers.MaxPool2D(2, dtype=dtype),
        keras.layers.Conv2D(16, 3, padding="same", activation="relu", dtype=dtype), keras.layers.MaxPool2D(2, dtype=dtype),
        keras.layers.Flatten(dtype=dtype), keras.layers.Dense(10, dtype=dtype),
    ])
    model.compile(optimizer=keras.optimizers.SGD(LEARN_RATE, momentum=MOMENTUM),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    model.fit(images[:64], labels[:64], batch_size=args.batch_size, epochs=1, verbose=0)   # warm-up
    start = time.perf_counter()
    model.fit(images, labels, batch_size=args.batch_size, epochs=args.epochs, verbose=0, shuffle=False)
    return args.epochs * len(images) / (time.perf_counter() - start)


def main(argv=None):
    args = parse_args(argv)
    (x_train, y_train), _ = load_mnist()
    if args.images > len(x_train):
        print(f"--images: only {len(x_train)} training images available", file=sys.stderr)
        return 2
    images = (x_train[:args.images] / 255 - 0.5)[..., None].astype(args.dtype)
    labels = y_train[:args.images]
    print(f"load average before: {os.getloadavg()[0]:.2f} (1 min), cores: {os.cpu_count()}")
    speed_np = numpy_speed(images, labels, args)
    print(f"NumPy ({args.numpy_threads} BLAS thread(s), {args.dtype}, batch {args.batch_size}): {speed_np:8.0f} images/s")
    speed_keras = keras_speed(images, labels, args)
    print(f"Keras ({args.dtype}, batch {args.batch_size}):                {speed_keras:8.0f} images/s")
    print(f"NumPy / Keras: {speed_np / speed_keras:.2f}")
    print(f"load average after:  {os.getloadavg()[0]:.2f} (1 min)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
