"""Loads the models a submission's sandbox saved and predicts the test images (runs in a sandbox too).

    python -I keras_eval.py IN_DIR OUT_DIR

No student code runs here: ``keras.saving.load_model(..., safe_mode=True)`` with no custom objects
loads only Keras' own layers and models (a subclass with its own ``fit``/``predict``, or a ``Lambda``,
does not load).  For every ``IN_DIR/models/NAME.keras`` it writes ``OUT_DIR/NAME.npz``: the predicted
probabilities of ``IN_DIR/eval.npz``'s images and the model's shapes and sizes, or ``OUT_DIR/NAME.json``
with the reason it could not be used.
"""

import json
import os
import sys
from pathlib import Path

import numpy as np

IN, OUT = Path(sys.argv[1]), Path(sys.argv[2])


def main():
    import keras

    x = np.load(IN / "eval.npz", allow_pickle=False)["x"]
    for path in sorted((IN / "models").glob("*.keras")):
        try:
            model = keras.saving.load_model(path, safe_mode=True, compile=False)
            if type(model) not in (keras.Sequential, keras.Model) and type(model).__name__ != "Functional":
                raise TypeError(f"应当是 keras.Sequential 或函数式 API 搭的模型，而不是 {type(model).__name__}")
            foreign = [type(layer).__name__ for layer in model.layers if not type(layer).__module__.startswith("keras.")]
            if foreign:
                raise TypeError(f"只能用 Keras 自带的层：{', '.join(foreign)}")
            probs = np.asarray(model.predict(x, batch_size=250, verbose=0), dtype=np.float64)
            shape_in = [-1 if d is None else int(d) for d in model.input_shape]
            shape_out = [-1 if d is None else int(d) for d in model.output_shape]
            conv = sum(isinstance(layer, keras.layers.Conv2D) for layer in model.layers)
            np.savez(OUT / f"{path.stem}.npz", probs=probs, input_shape=np.array(shape_in),
                     output_shape=np.array(shape_out), conv_layers=np.array(conv), params=np.array(model.count_params()))
        except Exception as error:  # noqa: BLE001
            text = f"模型无法按普通的 Keras 模型读入：{type(error).__name__}: {str(error)[:300]}"
            (OUT / f"{path.stem}.json").write_text(json.dumps({"error": text}, ensure_ascii=False), encoding="utf-8")


if __name__ == "__main__":
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    main()
